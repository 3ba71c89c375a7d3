// A small "kubelet" for the e2e suite: starts a Deployment's or DaemonSet's container from the rendered object,
// as a local process in a pod-like sandbox, and counts it as started only when its readiness probe passes.
//
// What a pod gets, and the only things mapped (listed in README.md, "End-to-end tests"):
// - its own IP: a loopback address 127.A.B.n, A.B drawn at random per run (so two runs never share an
//   address:port), every rendered port unchanged. Listening on 0.0.0.0 inside a pod means "the pod's own
//   interfaces", so `0.0.0.0` in the container's args and in its ConfigMap files becomes the pod IP.
// - its own root: a folder with the binary at the image's entrypoint, mount points for every volumeMount at the
//   path the pod sees (ConfigMaps from the rendered objects, Secrets from test fixtures, emptyDirs), /proc,
//   /sys and /dev from the host, and /etc/hosts. The process runs in its own mount namespace (`unshare
//   --mount`, private propagation, so nothing leaks to the host), chrooted there, as the pod's runAsUser /
//   runAsGroup with fsGroup applied to its volumes, with the root read-only when readOnlyRootFilesystem says so.
// - cluster DNS: /etc/hosts lists every rendered Service name (svc, svc.ns, svc.ns.svc,
//   svc.ns.svc.cluster.local) with the IPs of the Ready pods its selector matches, like EndpointSlices (a
//   headless Service resolves to all of them). There is no kube-proxy: a Service port must equal its target
//   container port, and the runner refuses to start otherwise.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { Run, sleep, Started } from '../support/procs';
import { find, K8sObject } from './manifests';

/** Secret name → key → content: stand-ins for the Secrets the cluster (cert-manager, the platform team) provides. */
export type SecretFixtures = Record<string, Record<string, string | Buffer>>;

/** Image repository (without tag) → the local binary that image's entrypoint runs. */
export interface ImageBinary {
  readonly binary: string;
  /** The image's ENTRYPOINT path inside the container (where the binary is mounted). */
  readonly entrypoint: string;
}

export interface Endpoint {
  readonly name: string;
  readonly ip: string;
  readonly labels: Record<string, string>;
  ready: boolean;
}

export interface Pod extends Endpoint {
  readonly namespace: string;
  readonly proc: Started;
  readonly root: string;
  /** Host folder behind each volume (name → folder): write there to change what the pod sees. */
  readonly volumes: Record<string, string>;
  readonly container: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** host:port of a named container port. */
  port(name: string): string;
}

type Probe = { httpGet?: { path?: string; port: string | number; scheme?: string }; tcpSocket?: { port: string | number }; initialDelaySeconds?: number; periodSeconds?: number; timeoutSeconds?: number; failureThreshold?: number };

const LISTEN_ALL = /\b0\.0\.0\.0\b/g;

export class Cluster {
  readonly endpoints: Endpoint[] = [];
  private readonly hostsFile: string;
  private readonly prefix: string;
  private next = 1;

  constructor(readonly run: Run, readonly objects: readonly K8sObject[], readonly secrets: SecretFixtures, readonly images: Record<string, ImageBinary>) {
    this.hostsFile = path.join(run.mkdir('cluster'), 'hosts');
    // 127.0.0.0/8 is all loopback on Linux; A.B random per run, never 127.0.0.x (where ordinary services listen).
    const a = 1 + Math.floor(Math.random() * 254);
    const b = Math.floor(Math.random() * 256);
    this.prefix = `127.${a}.${b}.`;
    this.writeHosts();
  }

  /** A fresh pod IP on which every given port is free. */
  async allocateIP(ports: readonly number[]): Promise<string> {
    for (let tries = 0; tries < 50; tries++) {
      const ip = `${this.prefix}${this.next++}`;
      if (this.next > 254) throw new Error('e2e: out of pod IPs in this run');
      const free = await Promise.all(ports.map((p) => portFree(ip, p)));
      if (free.every(Boolean)) return ip;
    }
    throw new Error(`e2e: no free pod IP under ${this.prefix}0/24`);
  }

  /** Registers a process of the test's own (a stand-in) as an endpoint with the labels of the pods it stands in for. */
  addEndpoint(name: string, ip: string, labels: Record<string, string>): Endpoint {
    const ep: Endpoint = { name, ip, labels, ready: true };
    this.endpoints.push(ep);
    this.writeHosts();
    return ep;
  }

  /** The labels a rendered Service selects on: a stand-in registered with them answers at the Service's name. */
  serviceSelector(service: string): Record<string, string> {
    return { ...(find(this.objects, 'Service', service).spec.selector as Record<string, string>) };
  }

  /** Marks an endpoint ready or not (like an EndpointSlice condition) and updates /etc/hosts. */
  setReady(ep: Endpoint, ready: boolean): void {
    ep.ready = ready;
    this.writeHosts();
  }

  /**
   * Starts `replicas` pods of a rendered Deployment/DaemonSet (default: the object's replicas, 1 for a
   * DaemonSet) and resolves when every one passed its readiness probe.
   */
  async start(kind: 'Deployment' | 'DaemonSet' | 'StatefulSet', name: string, opts: { replicas?: number; container?: string; env?: Record<string, string> } = {}): Promise<Pod[]> {
    const workload = find(this.objects, kind, name);
    const replicas = opts.replicas ?? (kind === 'DaemonSet' ? 1 : workload.spec.replicas ?? 1);
    const pods: Pod[] = [];
    for (let i = 0; i < replicas; i++) pods.push(await this.startPod(workload, `${name}-${i}`, opts));
    await Promise.all(pods.map((p) => this.waitReady(p)));
    return pods;
  }

  /** Stops a pod (SIGTERM, like a deletion) and removes it from the Service endpoints first. */
  async stopPod(pod: Pod, graceMs = 10_000): Promise<void> {
    this.setReady(pod, false);
    const i = this.endpoints.indexOf(pod);
    if (i >= 0) this.endpoints.splice(i, 1);
    this.writeHosts();
    if (pod.proc.child.exitCode === null && pod.proc.child.signalCode === null) {
      try { process.kill(-pod.proc.child.pid!, 'SIGTERM'); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(-pod.proc.child.pid!, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
      await pod.proc.exited;
      clearTimeout(timer);
    }
  }

  /** Starts the same pod again (same IP, same volumes: a container restart). */
  async restart(pod: Pod): Promise<Pod> {
    await this.stopPod(pod);
    const workload = this.objects.find((o) => o.spec?.template?.spec?.containers?.includes(pod.container))!;
    const again = await this.startPod(workload, pod.name, { container: pod.container.name, reuse: pod });
    await this.waitReady(again);
    return again;
  }

  private async startPod(workload: K8sObject, podName: string, opts: { container?: string; env?: Record<string, string>; reuse?: Pod }): Promise<Pod> {
    const spec = workload.spec.template.spec;
    const labels = workload.spec.template.metadata.labels as Record<string, string>;
    const containers = spec.containers as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const container = opts.container ? containers.find((c) => c.name === opts.container) : containers[0];
    if (!container) throw new Error(`e2e: ${workload.kind} ${workload.metadata.name} has no container ${opts.container}`);
    const where = `${workload.kind} ${workload.metadata.name} container ${container.name}`;
    const ns = workload.metadata.namespace ?? 'default';
    const ports = ((container.ports ?? []) as { name?: string; containerPort: number }[]);
    this.checkServicePorts(labels, ports, where);

    const ip = opts.reuse?.ip ?? (await this.allocateIP(ports.map((p) => p.containerPort)));
    const base = opts.reuse ? path.dirname(opts.reuse.root) : this.run.mkdir('pods', podName);
    const root = path.join(base, 'root');
    const image = String(container.image).replace(/[:@].*$/, '');
    const bin = this.images[image];
    if (!bin) throw new Error(`e2e: ${where}: no local binary for image ${container.image}`);

    // Volumes: host folders, filled the way the kubelet fills them (once per pod; a restart keeps them).
    const sc = { ...(spec.securityContext ?? {}), ...(container.securityContext ?? {}) };
    const uid = Number(sc.runAsUser ?? 0);
    const gid = Number(sc.runAsGroup ?? uid);
    const fsGroup = spec.securityContext?.fsGroup as number | undefined;
    const volumes: Record<string, string> = opts.reuse?.volumes ?? {};
    if (!opts.reuse) {
      for (const v of (spec.volumes ?? []) as any[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
        const dir = path.join(base, 'volumes', v.name);
        fs.mkdirSync(dir, { recursive: true });
        if (v.configMap) {
          const cm = find(this.objects, 'ConfigMap', v.configMap.name);
          for (const [k, text] of Object.entries(cm.data ?? {})) fs.writeFileSync(path.join(dir, k), text.replace(LISTEN_ALL, ip), { mode: 0o644 });
        } else if (v.secret) {
          const data = this.secrets[v.secret.secretName];
          if (!data) throw new Error(`e2e: ${where} mounts Secret ${v.secret.secretName}, which has no test fixture`);
          for (const [k, content] of Object.entries(data)) fs.writeFileSync(path.join(dir, k), content, { mode: 0o644 });
        } else if (v.emptyDir) {
          fs.chmodSync(dir, 0o2775);
        } else if (v.hostPath) {
          // hostPath volumes are the test's to provide (e.g. pod log folders): a folder in the run, same path in the pod.
        } else {
          throw new Error(`e2e: ${where}: volume ${v.name} has a kind the runner does not know (${Object.keys(v).filter((k) => k !== 'name').join(', ')})`);
        }
        fs.chmodSync(dir, v.emptyDir ? 0o2775 : 0o755);
        if (fsGroup !== undefined) chownTree(dir, fsGroup);
        volumes[v.name] = dir;
      }
    }

    // The pod's root and its mount points.
    fs.mkdirSync(root, { recursive: true, mode: 0o755 });
    for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) fs.mkdirSync(path.join(root, d), { recursive: true, mode: 0o755 });
    fs.chmodSync(path.join(root, 'tmp'), 0o1777);
    fs.writeFileSync(path.join(root, 'etc', 'hosts'), '');
    const entry = path.join(root, bin.entrypoint);
    fs.mkdirSync(path.dirname(entry), { recursive: true });
    fs.writeFileSync(entry, '');
    const binds: string[] = [];
    for (const m of (container.volumeMounts ?? []) as { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[]) {
      const src = volumes[m.name];
      if (!src) throw new Error(`e2e: ${where} mounts volume ${m.name}, which the pod does not declare`);
      const from = m.subPath ? path.join(src, m.subPath) : src;
      const to = path.join(root, m.mountPath);
      if (fs.existsSync(from) && fs.statSync(from).isFile()) { fs.mkdirSync(path.dirname(to), { recursive: true }); if (!fs.existsSync(to)) fs.writeFileSync(to, ''); }
      else fs.mkdirSync(to, { recursive: true });
      binds.push(`mount --bind ${q(from)} ${q(to)}`);
      if (m.readOnly) binds.push(`mount -o remount,bind,ro ${q(to)}`);
    }
    const script = [
      'set -e',
      `mount --bind ${q(root)} ${q(root)}`,
      `mount --bind ${q(bin.binary)} ${q(entry)}`,
      `mount --rbind /proc ${q(path.join(root, 'proc'))}`,
      `mount --rbind /sys ${q(path.join(root, 'sys'))}`,
      `mount --rbind /dev ${q(path.join(root, 'dev'))}`,
      `mount --bind ${q(this.hostsFile)} ${q(path.join(root, 'etc', 'hosts'))}`,
      ...binds,
      ...(sc.readOnlyRootFilesystem ? [`mount -o remount,bind,ro ${q(root)}`] : []),
      `cd ${q(root)}`,
      `exec chroot --userspec=${uid}:${gid}${fsGroup !== undefined ? ` --groups=${fsGroup}` : ''} ${q(root)} "$@"`,
    ].join('\n');

    // PATH also serves the sandbox script run before chroot (mount, chroot live in /usr/bin and /usr/sbin).
    const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: podName, HOME: '/' };
    for (const e of (container.env ?? []) as any[]) env[e.name] = this.envValue(e, { ip, podName, ns, container, where }); // eslint-disable-line @typescript-eslint/no-explicit-any
    Object.assign(env, opts.env ?? {});
    const command: string[] = container.command ?? [bin.entrypoint];
    const args: string[] = ((container.args ?? []) as string[]).map((a) => expandVars(a.replace(LISTEN_ALL, ip), env));
    const proc = this.run.start(podName, 'unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'pod', ...command, ...args], { env });

    const pod: Pod = {
      name: podName, namespace: ns, ip, labels, ready: false, proc, root, volumes, container,
      port: (n) => `${ip}:${containerPort(container, n, where)}`,
    };
    this.endpoints.push(pod);
    return pod;
  }

  /** Runs the startup probe (if any), then the readiness probe, the kubelet's way, until the first success. */
  async waitReady(pod: Pod, timeoutMs = 180_000): Promise<void> {
    const where = `pod ${pod.name}`;
    const deadline = Date.now() + timeoutMs;
    for (const kind of ['startupProbe', 'readinessProbe'] as const) {
      const probe = pod.container[kind] as Probe | undefined;
      if (!probe) continue;
      await sleep((probe.initialDelaySeconds ?? 0) * 1000);
      let last = '';
      for (;;) {
        if (pod.proc.child.exitCode !== null || pod.proc.child.signalCode !== null) {
          throw new Error(`e2e: ${where} exited before its ${kind} passed\n${tailText(pod.proc.log())}`);
        }
        const r = await runProbe(pod, probe, where);
        if (r === true) break;
        last = r;
        if (Date.now() > deadline) throw new Error(`e2e: ${where}: ${kind} did not pass within ${timeoutMs / 1000}s (last: ${last})\n${tailText(pod.proc.log())}`);
        await sleep((probe.periodSeconds ?? 10) * 1000);
      }
    }
    this.setReady(pod, true);
  }

  private envValue(e: any, ctx: { ip: string; podName: string; ns: string; container: any; where: string }): string { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (e.value !== undefined) return String(e.value);
    const from = e.valueFrom ?? {};
    if (from.fieldRef) {
      const fields: Record<string, string> = {
        'status.podIP': ctx.ip, 'status.podIPs': ctx.ip, 'status.hostIP': ctx.ip, 'metadata.name': ctx.podName,
        'metadata.namespace': ctx.ns, 'spec.nodeName': 'e2e-node', 'spec.serviceAccountName': 'default',
      };
      const v = fields[from.fieldRef.fieldPath];
      if (v === undefined) throw new Error(`e2e: ${ctx.where}: env ${e.name} reads fieldRef ${from.fieldRef.fieldPath}, which the runner does not provide`);
      return v;
    }
    if (from.secretKeyRef) {
      const v = this.secrets[from.secretKeyRef.name]?.[from.secretKeyRef.key];
      if (v === undefined) throw new Error(`e2e: ${ctx.where}: env ${e.name} reads Secret ${from.secretKeyRef.name} key ${from.secretKeyRef.key}, which has no test fixture`);
      return String(v);
    }
    if (from.configMapKeyRef) {
      const v = find(this.objects, 'ConfigMap', from.configMapKeyRef.name).data?.[from.configMapKeyRef.key];
      if (v === undefined) throw new Error(`e2e: ${ctx.where}: env ${e.name}: ConfigMap ${from.configMapKeyRef.name} has no key ${from.configMapKeyRef.key}`);
      return v;
    }
    if (from.resourceFieldRef) {
      const q = ctx.container.resources?.[from.resourceFieldRef.resource.split('.')[0]]?.[from.resourceFieldRef.resource.split('.')[1]];
      if (q === undefined) throw new Error(`e2e: ${ctx.where}: env ${e.name} reads ${from.resourceFieldRef.resource}, which the container does not set`);
      return String(quantity(String(q)) / quantity(String(from.resourceFieldRef.divisor ?? '1')));
    }
    throw new Error(`e2e: ${ctx.where}: env ${e.name} has a source the runner does not know`);
  }

  /** No kube-proxy here: a Service port must be the container port it targets, or the Service name would not work. */
  private checkServicePorts(labels: Record<string, string>, ports: readonly { name?: string; containerPort: number }[], where: string): void {
    for (const svc of this.objects.filter((o) => o.kind === 'Service')) {
      if (!selects(svc.spec.selector, labels)) continue;
      for (const p of svc.spec.ports ?? []) {
        const target = typeof p.targetPort === 'string' ? ports.find((c) => c.name === p.targetPort)?.containerPort : (p.targetPort ?? p.port);
        if (target === undefined) continue; // the port belongs to another container of the pod
        if (target !== p.port) throw new Error(`e2e: ${where}: Service ${svc.metadata.name} port ${p.port} targets container port ${target}; the runner has no kube-proxy to map them`);
      }
    }
  }

  /** Rewrites /etc/hosts in place (the pods see it through a bind mount of this very inode). */
  writeHosts(): void {
    const lines = ['127.0.0.1 localhost'];
    for (const svc of (this.objects ?? []).filter((o) => o.kind === 'Service' && o.spec?.selector)) {
      const ns = svc.metadata.namespace ?? 'default';
      const n = svc.metadata.name;
      const names = [`${n}.${ns}.svc.cluster.local`, `${n}.${ns}.svc`, `${n}.${ns}`, n].join(' ');
      for (const ep of this.endpoints) if (ep.ready && selects(svc.spec.selector, ep.labels)) lines.push(`${ep.ip} ${names}`);
    }
    const fd = fs.openSync(this.hostsFile, fs.existsSync(this.hostsFile) ? 'r+' : 'w');
    const text = Buffer.from(lines.join('\n') + '\n');
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, text, 0, text.length, 0);
    fs.closeSync(fd);
  }

  /** Service name → IPs of its ready endpoints (what a pod's resolver sees). */
  resolve(service: string): string[] {
    const svc = find(this.objects, 'Service', service);
    return this.endpoints.filter((e) => e.ready && selects(svc.spec.selector, e.labels)).map((e) => e.ip);
  }
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function containerPort(container: any, port: string | number, where: string): number { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = (container.ports ?? []).find((x: { name?: string }) => x.name === port);
  if (!p) throw new Error(`e2e: ${where}: no container port named ${port}`);
  return p.containerPort;
}

async function runProbe(pod: Pod, probe: Probe, where: string): Promise<true | string> {
  const timeout = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = containerPort(pod.container, probe.httpGet.port, where);
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    // The kubelet probes the pod IP, does not verify certificates, and takes 200-399 as success.
    return new Promise((resolve) => {
      const lib = scheme === 'https' ? https : http;
      const req = lib.get({ host: pod.ip, port, path: probe.httpGet!.path ?? '/', timeout, rejectUnauthorized: false, headers: { 'User-Agent': 'kube-probe/1.33' } }, (res) => {
        res.resume();
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 400;
        resolve(ok ? true : `HTTP ${res.statusCode}`);
      });
      req.on('timeout', () => { req.destroy(); resolve('timeout'); });
      req.on('error', (e) => resolve(String(e.message)));
    });
  }
  if (probe.tcpSocket) {
    const port = containerPort(pod.container, probe.tcpSocket.port, where);
    return (await portOpen(pod.ip, port, timeout)) ? true : `tcp ${pod.ip}:${port} refused`;
  }
  throw new Error(`e2e: ${where}: probe kind not supported by the runner (${Object.keys(probe).join(', ')})`);
}

export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function portOpen(host: string, port: number, timeout: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('timeout', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(false));
  });
}

/** `$(VAR)` in args expands from the container's env, as the kubelet does. */
function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => env[v] ?? m);
}

function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGTE]i?|m)?$/.exec(q);
  if (!m) throw new Error(`e2e: quantity ${q} not understood`);
  const mult: Record<string, number> = { '': 1, m: 1e-3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return Number(m[1]) * mult[m[2] ?? ''];
}

function chownTree(p: string, gid: number): void {
  fs.chownSync(p, 0, gid);
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), gid);
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function tailText(text: string): string {
  return text.split('\n').slice(-40).join('\n');
}

/** True when this process may create mount namespaces and chroot (root, as in CI); the runner needs both. */
export function canSandbox(): boolean {
  return spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'true']).status === 0;
}
