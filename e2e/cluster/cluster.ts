// One simulated Kubernetes cluster per test file: etcd, kube-apiserver (PodSecurity admission on, RBAC),
// kube-controller-manager and kube-scheduler at v1.34.4, and kwok playing the kubelets of nodes spread over
// three zones, labelled as a cloud labels them. Everything listens on 127.0.0.1 on ports the kernel hands
// out, in a folder of its own (e2e/support/procs.ts), so runs never collide and leave nothing behind.
//
// What a kwok cluster cannot show: no container runs (kwok marks a bound pod Running and Ready at once; probes,
// commands and images are never evaluated), no Service networking or DNS, no NetworkPolicy enforcement, no
// metrics (HPAs never scale), no controllers for custom resources (they are stored and validated only).
import { execFile, ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as http from 'node:http';
import * as path from 'node:path';
import { dump } from 'js-yaml';
import { freePort, Run, Started, waitFor } from '../support/procs';
import { crdFiles, kwokStages, programs, Programs } from './programs';

/** Zones and region as AWS names them; any cloud's labels have the same keys (kubernetes.io well-known labels). */
export const REGION = 'eu-west-1';
export const ZONES = ['a', 'b', 'c'].map((z) => `${REGION}${z}`);
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** Node sizes (allocatable after a kubelet's reservations), so requests are checked for fit. */
export const INSTANCES = {
  'm6i.4xlarge': { cpu: '15890m', memory: '60Gi', pods: '234', capacityCpu: '16', capacityMemory: '64Gi' },
  'm6i.32xlarge': { cpu: '127610m', memory: '500Gi', pods: '737', capacityCpu: '128', capacityMemory: '512Gi' },
} as const;

export interface ClusterOptions {
  /** Nodes in each zone (default 2). */
  nodesPerZone?: number;
  /** How many of the three zones get nodes (default 3). */
  zones?: number;
  /** Node size (default m6i.4xlarge; scenarios running many renders side by side take bigger nodes). */
  instance?: keyof typeof INSTANCES;
}

export interface KubectlResult { code: number; stdout: string; stderr: string }

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[]; deletionTimestamp?: string; generation?: number };
  spec?: any;
  status?: any;
  [key: string]: any;
}

export class Cluster {
  readonly nodes: string[] = [];
  private constructor(
    readonly run: Run,
    readonly bin: Programs,
    readonly server: string,
    private readonly token: string,
    private ca: Buffer,
    readonly kubeconfig: string,
    readonly procs: Started[],
  ) {}

  /**
   * Brings a cluster up: etcd, apiserver (ready), controller-manager (the `default` ServiceAccount exists),
   * scheduler, kwok, the nodes (Ready), a zonal StorageClass with volumes in each zone, the CRDs (Established).
   */
  static async up(name: string, opts: ClusterOptions = {}): Promise<Cluster> {
    const bin = programs();
    const crds = crdFiles();
    const run = new Run(`cluster-${name}`);
    try {
      const cluster = await Cluster.start(run, bin);
      await cluster.addNodes(opts.nodesPerZone ?? 2, ZONES.slice(0, opts.zones ?? ZONES.length), opts.instance ?? 'm6i.4xlarge');
      await cluster.installStorage();
      await cluster.installCrds(crds);
      return cluster;
    } catch (e) {
      await run.stop();
      throw e;
    }
  }

  private static async start(run: Run, bin: Programs): Promise<Cluster> {
    const pki = run.mkdir('pki');
    const home = run.mkdir('home');
    // One RSA key signs and verifies ServiceAccount tokens (a private PEM serves both flags, as kwokctl does).
    const saKey = path.join(pki, 'sa.key');
    fs.writeFileSync(saKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }));
    // A static token in group system:masters: cluster-admin for kubectl and every component (a test cluster).
    const token = randomBytes(24).toString('hex');
    const tokens = path.join(pki, 'tokens.csv');
    fs.writeFileSync(tokens, `${token},e2e-admin,e2e-admin,"system:masters"\n`, { mode: 0o600 });
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const certDir = run.mkdir('pki', 'apiserver');
    const ca = path.join(certDir, 'apiserver.crt');
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = path.join(pki, 'kubeconfig');
    fs.writeFileSync(kubeconfig, dump({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'e2e',
      clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': ca } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'admin' } }],
    }), { mode: 0o600 });
    const env = { ...process.env, HOME: home, KUBECONFIG: kubeconfig, KUBECACHEDIR: path.join(home, 'kube-cache') };

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd = run.start('etcd', bin.etcd, [
      '--name=e2e', `--data-dir=${run.mkdir('etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=e2e=${peerUrl}`,
      // No fsync: a test cluster's data dies with it (etcd@v3.6.14 server/embed/config.go:958).
      '--unsafe-no-fsync', '--log-level=warn',
    ], { env });
    await waitFor('etcd /health', async () => (await httpGet(`${etcdUrl}/health`)).includes('"health":"true"'), { timeoutMs: 60_000, watch: [etcd] });

    const apiserver = run.start('kube-apiserver', bin.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
      // With no --tls-cert-file it writes a self-signed pair here, the bind address as an IP SAN
      // (kubernetes/apiserver@v0.34.4 pkg/server/options/serving.go:340-380).
      `--cert-dir=${certDir}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-signing-key-file=${saKey}`, `--service-account-key-file=${saKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      `--token-auth-file=${tokens}`,
      '--authorization-mode=Node,RBAC',
      // PodSecurity is among the default admission plugins; with no cluster-wide configuration each
      // namespace's pod-security.kubernetes.io labels decide (pod-security-admission@v0.34 api/constants.go).
      '--allow-privileged=true',
      // The `kubernetes` Service endpoint would be 127.0.0.1, which Endpoints validation rejects.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ], { env });
    const cluster = new Cluster(run, bin, server, token, Buffer.alloc(0), kubeconfig, [etcd, apiserver]);
    await waitFor('kube-apiserver certificate', () => fs.existsSync(ca), { timeoutMs: 60_000, watch: [apiserver] });
    cluster.ca = fs.readFileSync(ca);
    await waitFor('kube-apiserver /readyz', async () => (await cluster.raw('GET', '/readyz')).status === 200, { timeoutMs: 120_000, watch: [etcd, apiserver] });

    const controllerManager = run.start('kube-controller-manager', bin.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`,
      // No serving endpoint: nothing scrapes it, and a port is one more thing that could collide.
      '--secure-port=0', '--leader-elect=false',
      `--service-account-private-key-file=${saKey}`, `--root-ca-file=${ca}`,
      '--controllers=*',
    ], { env });
    const scheduler = run.start('kube-scheduler', bin.kubeScheduler, [`--kubeconfig=${kubeconfig}`, '--secure-port=0', '--leader-elect=false'], { env });
    const stages = path.join(run.dir, 'kwok-stages.yaml');
    fs.writeFileSync(stages, kwokStages());
    const kwok = run.start('kwok', bin.kwok, [
      `--kubeconfig=${kubeconfig}`, '--manage-all-nodes=true', `--config=${stages}`,
      // Pod IPs: never dialled (nothing here connects to a pod); outside 127/8 so EndpointSlices accept them.
      '--cidr=10.244.0.0/16',
      // Node leases renewed every 10 s, as a kubelet does. Without the flag this kwok renews none (its default of
      // 40 is not applied when --config is given) and heartbeats the node status only about once a minute, past
      // the node lifecycle controller's 50 s grace: it then marks the node Unknown and every pod on it NotReady.
      '--node-lease-duration-seconds=40',
    ], { env });
    cluster.procs.push(controllerManager, scheduler, kwok);
    cluster.env = env;
    await waitFor('the controller-manager to create serviceaccount default/default', async () => (await cluster.get('/api/v1/namespaces/default/serviceaccounts/default')) !== undefined, { timeoutMs: 120_000, watch: cluster.procs });
    return cluster;
  }

  env: NodeJS.ProcessEnv = process.env;

  /** Creates `perZone` nodes in each of `zones` and waits until kwok has made them Ready. */
  async addNodes(perZone: number, zones: readonly string[] = ZONES, instance: keyof typeof INSTANCES = 'm6i.4xlarge', prefix = 'node'): Promise<string[]> {
    const size = INSTANCES[instance];
    const names: string[] = [];
    const nodes = zones.flatMap((zone) => Array.from({ length: perZone }, (_, i) => {
      const name = `${prefix}-${zone}-${i + 1}`;
      names.push(name);
      return {
        apiVersion: 'v1', kind: 'Node',
        metadata: {
          name,
          labels: {
            [HOSTNAME_LABEL]: name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
            [ZONE_LABEL]: zone, 'topology.kubernetes.io/region': REGION,
            'node.kubernetes.io/instance-type': instance, type: 'kwok',
          },
          // kwok's own node template carries this; it marks the node as one kwok manages.
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
        },
        // A provider ID keeps the node lifecycle controller from treating it as gone (kwok known issues).
        spec: { providerID: `kwok://${REGION}/${name}` },
        status: { allocatable: { cpu: size.cpu, memory: size.memory, pods: size.pods }, capacity: { cpu: size.capacityCpu, memory: size.capacityMemory, pods: size.pods } },
      };
    }));
    await this.kubectlOk(['create', '-f', '-'], { input: nodes.map((n) => JSON.stringify(n)).join('\n') });
    this.nodes.push(...names);
    await waitFor(`nodes ${names.join(', ')} Ready`, async () => {
      const list = await this.list('/api/v1/nodes');
      return names.every((n) => list.find((o) => o.metadata.name === n)?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    }, { timeoutMs: 60_000, watch: this.procs });
    return names;
  }

  /**
   * Volumes as a cloud's zonal block storage behaves: the default StorageClass binds when the first pod is
   * scheduled (WaitForFirstConsumer), each volume lives in one zone, so a pod that owns one can only ever run
   * in that zone. Pre-made PersistentVolumes stand in for a provisioner (the real PV controller binds them).
   */
  async installStorage(perZone = 70): Promise<void> {
    const objects: object[] = [{
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
      metadata: { name: 'zonal', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Retain',
      // As a cloud's block-storage classes do (a volume grows in place; the PersistentVolumeClaimResize admission reads this).
      allowVolumeExpansion: true,
    }];
    for (const zone of ZONES) {
      for (let i = 0; i < perZone; i++) {
        objects.push({
          apiVersion: 'v1', kind: 'PersistentVolume',
          metadata: { name: `pv-${zone}-${i}`, labels: { [ZONE_LABEL]: zone } },
          spec: {
            capacity: { storage: '1Ti' }, accessModes: ['ReadWriteOnce'], storageClassName: 'zonal', persistentVolumeReclaimPolicy: 'Retain',
            local: { path: `/mnt/disks/${i}` },
            nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_LABEL, operator: 'In', values: [zone] }] }] } },
          },
        });
      }
    }
    await this.kubectlOk(['create', '-f', '-'], { input: objects.map((o) => JSON.stringify(o)).join('\n') });
  }

  private async installCrds(files: string[]): Promise<void> {
    // Server-side: several of these are over the 256 KiB client-side apply annotation limit.
    await this.kubectlOk(['apply', '--server-side', '--field-manager=e2e-crds', ...files.flatMap((f) => ['-f', f])]);
    await this.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  }

  /** Runs kubectl against this cluster. */
  kubectl(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const child = execFile(this.bin.kubectl, [...args], { env: this.env, maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) + (error && code === -1 ? `\n${String(error)}` : '') });
      });
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
  }

  /** kubectl that must succeed; a failure throws with its command and output. */
  async kubectlOk(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`e2e: kubectl ${args.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}`);
    return r;
  }

  /** A long-running kubectl (drain), with its output kept. */
  spawnKubectl(args: readonly string[]): { child: ChildProcess; output: () => string; done: Promise<number | null> } {
    const child = spawn(this.bin.kubectl, [...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += String(d); });
    child.stderr!.on('data', (d) => { out += String(d); });
    const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => out, done };
  }

  /** A request to the API server (loopback HTTPS, verified against its own self-signed certificate). */
  raw(method: string, apiPath: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = https.request(`${this.server}${apiPath}`, {
        method, ca: this.ca.length ? this.ca : undefined, rejectUnauthorized: this.ca.length > 0,
        // Content-Length always with a body: Node frames neither a DELETE's body nor its length by default, so the
        // server reads the body as the start of the next request on the kept-alive connection (a plain 400).
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(data !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(data) } : {}) },
        timeout: 30_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${apiPath}`)));
      req.end(data);
    });
  }

  /** A streaming GET (a watch): `onLine` per JSON line, `onEnd` when the stream ends or breaks. */
  stream(apiPath: string, onLine: (line: string) => void, onEnd: () => void): ReturnType<typeof https.request> {
    let buf = '';
    let ended = false;
    const end = () => { if (!ended) { ended = true; onEnd(); } };
    const req = https.request(`${this.server}${apiPath}`, {
      method: 'GET', ca: this.ca, headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
    }, (res) => {
      res.on('data', (c) => {
        buf += String(c);
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) onLine(line);
        }
      });
      res.on('end', end);
      res.on('error', end);
    });
    req.on('error', end);
    req.end();
    return req;
  }

  /** GET of one object; undefined when it does not exist. */
  async get(apiPath: string): Promise<K8sObject | undefined> {
    const r = await this.raw('GET', apiPath);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET ${apiPath}: ${r.status} ${r.body}`);
    return JSON.parse(r.body) as K8sObject;
  }

  /** GET of a list; its items. */
  async list(apiPath: string): Promise<K8sObject[]> {
    const r = await this.raw('GET', apiPath);
    if (r.status !== 200) throw new Error(`GET ${apiPath}: ${r.status} ${r.body}`);
    return (JSON.parse(r.body) as { items: K8sObject[] }).items;
  }

  /** Every pod in the cluster (or in the namespaces given). */
  async pods(namespaces?: readonly string[]): Promise<K8sObject[]> {
    const all = await this.list('/api/v1/pods');
    return namespaces ? all.filter((p) => namespaces.includes(p.metadata.namespace!)) : all;
  }

  /** The node → zone map. */
  async zones(): Promise<Map<string, string>> {
    return new Map((await this.list('/api/v1/nodes')).map((n) => [n.metadata.name, n.metadata.labels![ZONE_LABEL]]));
  }

  /** The last lines of every component's log (for failure messages). */
  logs(lines = 30): string {
    return this.procs.map((p) => `--- ${p.name} ---\n${p.log().split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  async down(): Promise<void> {
    await this.run.stop();
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => { body += String(c); });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
  });
}
