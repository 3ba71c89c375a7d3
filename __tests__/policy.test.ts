/**
 * The project's own policy suite over every environment: what kube-linter or Polaris would flag, and the
 * cross-references between objects that a typo in one chart would break.
 */
import { load } from 'js-yaml';
import { anyEnv, CHECKED, K8sObject, objects } from './helpers';

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet'];
/** The one documented exception: the log agent reads the node's log files (README, "Security"). */
const HOST_LOG_READERS = new Set(['promtail', 'alloy']);
/** The agents' writable host folders (read positions), one per agent namespace. */
const AGENT_STATE = /^\/var\/lib\/(promtail|alloy)\//;

const podSpec = (o: K8sObject) => o.spec.template.spec;
const id = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

// The fixtures, production scaled out or on other stores, Grafana HA and tenants, and every config/*.yaml.
describe.each(CHECKED)('%s policy', (name) => {
  const all = objects(anyEnv(name));
  const workloads = all.filter((o) => WORKLOADS.includes(o.kind));
  const find = (kind: string, ns: string | undefined, n: string) => all.find((o) => o.kind === kind && o.metadata.name === n && (ns === undefined || o.metadata.namespace === ns));

  test('every object has the standard labels and an explicit name', () => {
    for (const o of all) {
      const l = o.metadata.labels ?? {};
      for (const key of ['name', 'instance', 'component', 'part-of', 'managed-by', 'version']) expect(`${id(o)} ${key}=${l[`app.kubernetes.io/${key}`] ?? ''}`).not.toMatch(/=$/);
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    }
  });

  test('selectors never include the version label', () => {
    for (const o of [...workloads, ...all.filter((x) => x.kind === 'Service')]) {
      const selector = o.spec.selector?.matchLabels ?? o.spec.selector ?? {};
      expect(Object.keys(selector)).not.toContain('app.kubernetes.io/version');
    }
  });

  test('pods meet Pod Security "restricted", Promtail excepted only where it must be', () => {
    for (const w of workloads) {
      const spec = podSpec(w);
      // Excepted only while it mounts host paths: Alloy reading the API must meet "restricted" in full.
      const agent = HOST_LOG_READERS.has(w.metadata.name) && (spec.volumes ?? []).some((v: any) => v.hostPath);
      expect(spec.hostNetwork ?? false).toBe(false);
      expect(spec.hostPID ?? false).toBe(false);
      expect(spec.hostIPC ?? false).toBe(false);
      expect(spec.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      if (!agent) {
        expect(`${id(w)} runAsNonRoot=${spec.securityContext.runAsNonRoot}`).toBe(`${id(w)} runAsNonRoot=true`);
        expect((spec.volumes ?? []).filter((v: any) => v.hostPath)).toEqual([]);
      }
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const sc = c.securityContext;
        expect(`${id(w)}/${c.name}: ${sc.allowPrivilegeEscalation}`).toBe(`${id(w)}/${c.name}: false`);
        expect(sc.privileged ?? false).toBe(false);
        expect(sc.readOnlyRootFilesystem).toBe(true);
        expect(sc.capabilities.drop).toEqual(['ALL']);
        expect(sc.capabilities.add ?? []).toEqual([]);
        if (!agent) expect(sc.runAsNonRoot).toBe(true);
      }
      if (agent) {
        for (const v of spec.volumes.filter((x: any) => x.hostPath)) {
          const mount = spec.containers[0].volumeMounts.find((m: any) => m.name === v.name);
          // Host paths the agent only reads are mounted read-only; only its positions folder is writable.
          expect(`${v.name}:${mount.readOnly === true || AGENT_STATE.test(v.hostPath.path)}`).toBe(`${v.name}:true`);
        }
      }
    }
  });

  test('a namespace running the agent is the only one not enforcing "restricted"', () => {
    const namespaces = all.filter((o) => o.kind === 'Namespace');
    for (const ns of namespaces) {
      const hostPathWorkloads = workloads.filter((w) => w.metadata.namespace === ns.metadata.name && (podSpec(w).volumes ?? []).some((v: any) => v.hostPath));
      expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe(hostPathWorkloads.length ? 'privileged' : 'restricted');
      // Audit records every exception; warn follows enforce, so applying the agent draws no warning.
      expect(ns.metadata.labels?.['pod-security.kubernetes.io/audit']).toBe('restricted');
      expect(ns.metadata.labels?.['pod-security.kubernetes.io/warn']).toBe(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']);
    }
  });

  test('every container has requests, a memory limit, probes and a pinned image', () => {
    for (const w of workloads) {
      for (const c of podSpec(w).containers) {
        const where = `${id(w)}/${c.name}`;
        expect(`${where} ${Boolean(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory)}`).toBe(`${where} true`);
        // Each probe asks the container itself: a port it declares (by name or number), an HTTP path or a TCP connect.
        for (const kind of ['readinessProbe', 'livenessProbe'] as const) {
          const probe = c[kind];
          const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
          const declared = (c.ports ?? []).some((p: any) => p.name === port || p.containerPort === port);
          expect(`${where} ${kind} ${port} ${declared} ${probe?.httpGet ? /^\//.test(probe.httpGet.path) : Boolean(probe?.tcpSocket || probe?.grpc)}`).toBe(`${where} ${kind} ${port} true true`);
        }
        expect(c.image).toMatch(/:[\w.-]+$|@sha256:/);
        expect(c.image).not.toMatch(/:latest$/);
      }
    }
  });

  test('each workload has its own ServiceAccount; only pods that talk to the API mount a token', () => {
    const accounts = workloads.map((w) => `${w.metadata.namespace}/${podSpec(w).serviceAccountName}`);
    expect(new Set(accounts).size).toBe(accounts.length);
    const bound = new Set(all.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding').flatMap((b) => (b.subjects ?? []).filter((s: any) => s.kind === 'ServiceAccount').map((s: any) => `${s.namespace ?? b.metadata.namespace}/${s.name}`)));
    for (const w of workloads) {
      const sa = `${w.metadata.namespace}/${podSpec(w).serviceAccountName}`;
      expect(find('ServiceAccount', w.metadata.namespace, podSpec(w).serviceAccountName)).toBeDefined();
      expect(`${sa} automount=${podSpec(w).automountServiceAccountToken}`).toBe(`${sa} automount=${bound.has(sa)}`);
    }
  });

  test('RBAC is read-only, but for the rollout-operator\'s namespaced writes on what it rolls', () => {
    // The rollout-operator deletes the pods it rolls, stamps their ready time and records a StatefulSet's
    // finished revision: those writes only, in a Role of the stack's namespace (never a ClusterRole).
    const ROLLOUT_WRITES = new Set(['pods:delete', 'pods:patch', 'statefulsets/status:update']);
    for (const role of all.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
      const operator = role.kind === 'Role' && role.metadata.name === 'rollout-operator' && role.metadata.namespace === anyEnv(name).config.namespace;
      for (const rule of role.rules) {
        const writes = rule.verbs.filter((v: string) => !['get', 'list', 'watch'].includes(v)).flatMap((v: string) => rule.resources.map((r: string) => `${r}:${v}`));
        expect(`${id(role)}: ${writes.filter((w: string) => !(operator && ROLLOUT_WRITES.has(w))).join(', ')}`).toBe(`${id(role)}: `);
      }
    }
  });

  test('no Secret objects and no literal credentials', () => {
    expect(all.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const w of workloads) {
      for (const c of podSpec(w).containers) {
        for (const e of c.env ?? []) if (/PASSWORD|SECRET|TOKEN|ACCESS_KEY|API_KEY/.test(e.name)) expect(`${e.name}: ${e.value ?? 'from ref'}`).toBe(`${e.name}: from ref`);
      }
    }
    for (const cm of all.filter((o) => o.kind === 'ConfigMap')) {
      const text = Object.values(cm.data ?? {}).join('\n');
      expect(text).not.toMatch(/AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|(secret_access_key|secret_key|password|client_secret)["']?\s*[:=]\s*["']?[^\s"'${}][^\s"']{5,}/i);
    }
  });

  test('workloads with more than one replica have a PodDisruptionBudget', () => {
    // An autoscaled Deployment leaves replicas to its autoscaler (min >= 2).
    const autoscaled = new Set(all.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((h) => `${h.metadata.namespace}/${h.spec.scaleTargetRef.name}`));
    for (const w of workloads.filter((x) => (x.spec.replicas ?? 1) > 1 || autoscaled.has(`${x.metadata.namespace}/${x.metadata.name}`))) {
      // Selects this workload's pods (live-store zones share one budget).
      const pdb = all.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.namespace === w.metadata.namespace && Object.entries(o.spec.selector.matchLabels).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
      expect(`${id(w)} pdb=${Boolean(pdb)}`).toBe(`${id(w)} pdb=true`);
    }
  });

  test('every Service selects the pods of a workload and targets a declared container port', () => {
    for (const svc of all.filter((o) => o.kind === 'Service')) {
      const pods = workloads.filter((w) => w.metadata.namespace === svc.metadata.namespace && Object.entries(svc.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
      // A memberlist (gossip) Service selects every ring member; any other Service exactly one workload.
      const gossip = svc.spec.clusterIP === 'None' && (svc.spec.ports ?? []).length > 0 && svc.spec.ports.every((p: any) => p.name === 'gossip');
      expect(`${id(svc)} selects ${gossip ? pods.length > 0 : pods.length}`).toBe(`${id(svc)} selects ${gossip ? true : 1}`);
      for (const w of pods) {
        const declared = w.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []);
        for (const p of svc.spec.ports ?? []) {
          const target = declared.find((d: any) => d.name === p.targetPort);
          expect(`${id(svc)}:${p.name} → ${target?.containerPort}`).toBe(`${id(svc)}:${p.name} → ${p.port}`);
        }
      }
    }
  });

  test('every referenced ConfigMap, PVC and ServiceAccount exists', () => {
    for (const w of workloads) {
      const spec = podSpec(w);
      const ns = w.metadata.namespace;
      for (const v of spec.volumes ?? []) {
        if (v.configMap) expect(`${id(w)} → ConfigMap ${v.configMap.name}: ${Boolean(find('ConfigMap', ns, v.configMap.name))}`).toMatch(/true$/);
        if (v.persistentVolumeClaim) expect(`${id(w)} → PVC ${v.persistentVolumeClaim.claimName}: ${Boolean(find('PersistentVolumeClaim', ns, v.persistentVolumeClaim.claimName))}`).toMatch(/true$/);
      }
      const claimTemplates = new Set((w.spec.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name));
      const volumes = new Set([...(spec.volumes ?? []).map((v: any) => v.name), ...claimTemplates]);
      for (const c of spec.containers) for (const m of c.volumeMounts ?? []) expect(`${id(w)} mounts ${m.name}: ${volumes.has(m.name)}`).toMatch(/true$/);
      for (const c of spec.containers) for (const e of c.envFrom ?? []) if (e.configMapRef) expect(find('ConfigMap', ns, e.configMapRef.name)).toBeDefined();
    }
  });

  test('every in-cluster URL in a rendered config names a Service port of this environment', () => {
    const servicePorts = new Set(all.filter((o) => o.kind === 'Service').flatMap((s) => (s.spec.ports ?? []).map((p: any) => `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local:${p.port}`)));
    const { config } = anyEnv(name);
    // Outside the stack: Prometheus, the team's Kafka, an in-cluster S3-compatible store.
    const s3Endpoints = (['tempo', 'loki'] as const).filter((c) => config[c].backend === 's3').map((c) => config[c].s3.endpoint);
    const external = new Set([new URL(config.prometheus.url).host, ...(config.tempo.kafka ? [config.tempo.kafka.address] : []), ...s3Endpoints]);
    let seen = 0;
    for (const cm of all.filter((o) => o.kind === 'ConfigMap')) {
      for (const text of Object.values(cm.data ?? {}) as string[]) {
        for (const [hostPort] of text.matchAll(/[a-z0-9-]+\.[a-z0-9-]+\.svc\.cluster\.local:\d+/g)) {
          seen++;
          if (!external.has(hostPort)) expect(`${id(cm)} → ${hostPort}: ${servicePorts.has(hostPort)}`).toMatch(/true$/);
        }
      }
    }
    expect(seen).toBeGreaterThan(3);
  });

  test('each namespace we own denies by default, and every workload has its own policy', () => {
    const policies = all.filter((o) => o.kind === 'NetworkPolicy');
    for (const ns of all.filter((o) => o.kind === 'Namespace')) {
      const deny = policies.find((p) => p.metadata.namespace === ns.metadata.name && Object.keys(p.spec.podSelector).length === 0);
      expect(deny?.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(deny?.spec.ingress).toBeUndefined();
    }
    for (const w of workloads) {
      const own = policies.filter((p) => p.metadata.namespace === w.metadata.namespace && p.spec.podSelector.matchLabels && Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => w.spec.template.metadata.labels[k] === v));
      expect(`${id(w)} policies=${own.length}`).toBe(`${id(w)} policies=1`);
    }
  });

  test('config files in ConfigMaps parse', () => {
    for (const cm of all.filter((o) => o.kind === 'ConfigMap')) {
      for (const [key, text] of Object.entries(cm.data ?? {}) as [string, string][]) {
        if (key.endsWith('.yaml')) expect(() => load(text)).not.toThrow();
        if (key.endsWith('.json')) expect(() => JSON.parse(text)).not.toThrow();
      }
    }
  });
});
