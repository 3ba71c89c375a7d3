import { LOG_FIELDS } from '../lib/log-format';
import { configMapYaml, ENVIRONMENTS, env, envFrom, findObject, K8sObject, objects, problems } from './helpers';
import { relabel, runPipeline } from './support/promtail-pipeline';

const AGENT_NS = 'observability-agent';

/** A JSON line as the application logger writes it (lib/log-format.ts), inside the kubelet's CRI framing. */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const APP_LINE = JSON.stringify({
  [LOG_FIELDS.time]: '2026-11-24T10:00:00.000Z',
  [LOG_FIELDS.level]: 'info',
  [LOG_FIELDS.message]: 'Fetching job',
  [LOG_FIELDS.service]: 'ybuilt-api',
  [LOG_FIELDS.traceId]: TRACE_ID,
  [LOG_FIELDS.spanId]: '00f067aa0ba902b7',
  job_id: '42',
});
const CRI_LINE = `2026-11-24T10:00:00.123456789Z stdout F ${APP_LINE}`;

/** What Kubernetes pod discovery gives a target for the API's pod (one container, one port). */
function discovered(labels: Record<string, string>, namespace = 'ybuilt'): Record<string, string> {
  const pod = {
    __address__: '10.0.3.7:8080',
    __meta_kubernetes_namespace: namespace,
    __meta_kubernetes_pod_name: 'ybuilt-api-7d9f8c6b5-x2k4q',
    __meta_kubernetes_pod_uid: '3f1c2a9e-8d1b-4c55-9a8e-2b7f0d6c1e42',
    __meta_kubernetes_pod_container_name: 'api',
    __meta_kubernetes_pod_node_name: 'node-a',
    __meta_kubernetes_pod_phase: 'Running',
  };
  const podLabels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [`__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`, v]));
  return { ...pod, ...podLabels };
}

function promtail(objs: K8sObject[]) {
  return configMapYaml(objs, 'promtail', 'promtail.yaml');
}


const FS = { tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' } };

describe.each(ENVIRONMENTS)('promtail in %s', (name) => {
  const objs = objects(env(name));
  const ds = findObject(objs, 'DaemonSet', 'promtail');
  const pod = ds.spec.template.spec;
  const container = pod.containers[0];
  const config = promtail(objs);

  test('runs in its own namespace, enforcing privileged and auditing restricted; the stack namespace stays restricted', () => {
    const ns = findObject(objs, 'Namespace', AGENT_NS);
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/audit': 'restricted',
      // Warn at the enforced level: no warning on every apply of the DaemonSet (audit keeps the record).
      'pod-security.kubernetes.io/warn': 'privileged',
    });
    expect(findObject(objs, 'Namespace', 'observability').metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const kind of ['DaemonSet', 'ConfigMap', 'ServiceAccount']) expect(findObject(objs, kind, 'promtail').metadata.namespace).toBe(AGENT_NS);
  });

  test('pushes to the Loki Service URL: the Service port, the container port and loki.yaml agree', () => {
    const svc = findObject(objs, 'Service', 'loki');
    const http = svc.spec.ports.find((p: any) => p.name === 'http');
    const loki = configMapYaml(objs, 'loki', 'loki.yaml');
    expect(http.port).toBe(loki.server.http_listen_port);
    const tls = env(name).config.tls.enabled;
    expect(config.clients).toEqual([
      { url: `${tls ? 'https' : 'http'}://loki.observability.svc.cluster.local:${http.port}/loki/api/v1/push`, ...(tls ? { tls_config: { ca_file: '/etc/tls/ca.crt' } } : {}) },
    ]);
  });

  test('discovers pods of its own node: HOSTNAME is the node name', () => {
    expect(config.scrape_configs[0].kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    expect(container.env).toContainEqual({ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  });

  test('may only list and watch pods, and mounts its API token', () => {
    const role = findObject(objs, 'ClusterRole', `${AGENT_NS}-promtail`);
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]);
    const binding = findObject(objs, 'ClusterRoleBinding', `${AGENT_NS}-promtail`);
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: AGENT_NS }]);
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  test('reads pod logs read-only and keeps positions on a writable hostPath', () => {
    const vol = (n: string) => pod.volumes.find((v: any) => v.name === n);
    const mount = (n: string) => container.volumeMounts.find((m: any) => m.name === n);
    expect(vol('pod-logs').hostPath).toEqual({ path: '/var/log/pods', type: 'Directory' });
    expect(mount('pod-logs')).toEqual({ name: 'pod-logs', mountPath: '/var/log/pods', readOnly: true });
    expect(vol('positions').hostPath.type).toBe('DirectoryOrCreate');
    expect(config.positions.filename).toBe(`${mount('positions').mountPath}/positions.yaml`);
    expect(mount('positions').readOnly).toBeUndefined();
  });

  test('runs as root only: read-only root filesystem, no capabilities, no escalation, RuntimeDefault seccomp', () => {
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: false,
      runAsUser: 0,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext.privileged).toBeUndefined();
    expect(pod.hostNetwork).toBeUndefined();
    expect(pod.hostPID).toBeUndefined();
  });

  test('runs on every node and is ready on /ready of its config port', () => {
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: config.server.http_listen_port, protocol: 'TCP' }]);
  });

  test('rolls when promtail.yaml changes', () => {
    expect(ds.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('review summary', () => {
    expect({
      image: container.image,
      namespace: ds.metadata.namespace,
      pushUrl: config.clients[0].url,
      tenant: config.clients[0].tenant_id ?? null,
      stages: config.scrape_configs[0].pipeline_stages.map((s: object) => Object.keys(s)[0]),
      sampleLine: runPipeline(config, CRI_LINE, discovered({ 'app.kubernetes.io/name': 'ybuilt-api' })),
    }).toMatchSnapshot();
  });
});

describe('the app log line through the declared relabel rules and pipeline', () => {
  const config = promtail(objects(env('production')));

  test('a JSON line of ybuilt-api gets job="ybuilt-api" and trace_id/span_id as structured metadata, not labels', () => {
    const out = runPipeline(config, CRI_LINE, discovered({ 'app.kubernetes.io/name': 'ybuilt-api', 'pod-template-hash': '7d9f8c6b5' }));
    expect(out.labels).toEqual({ namespace: 'ybuilt', pod: 'ybuilt-api-7d9f8c6b5-x2k4q', container: 'api', app: 'ybuilt-api', job: 'ybuilt-api', stream: 'stdout' });
    expect(out.structuredMetadata).toEqual({ [LOG_FIELDS.traceId]: TRACE_ID, [LOG_FIELDS.spanId]: '00f067aa0ba902b7' });
    // The line keeps its JSON, so `{job="ybuilt-api"} | json | trace_id="..."` still works.
    expect(JSON.parse(out.line)[LOG_FIELDS.traceId]).toBe(TRACE_ID);
  });

  test('job selects the app in any namespace', () => {
    for (const ns of ['default', 'ybuilt-staging']) {
      expect(runPipeline(config, CRI_LINE, discovered({ 'app.kubernetes.io/name': 'ybuilt-api' }, ns)).labels).toMatchObject({ job: 'ybuilt-api', namespace: ns });
    }
  });

  test('falls back to the app label, then to the container name', () => {
    expect(runPipeline(config, CRI_LINE, discovered({ app: 'legacy' })).labels).toMatchObject({ app: 'legacy', job: 'legacy' });
    expect(runPipeline(config, CRI_LINE, discovered({})).labels).toMatchObject({ app: 'api', job: 'api' });
  });

  test('tails the kubelet file of the container', () => {
    const target = relabel(discovered({}), config.scrape_configs[0].relabel_configs)!;
    expect(target.__path__).toBe('/var/log/pods/*3f1c2a9e-8d1b-4c55-9a8e-2b7f0d6c1e42/api/*.log');
  });

  test('a plain-text line passes through without structured metadata', () => {
    const out = runPipeline(config, '2026-11-24T10:00:00Z stderr F listening on :8080', discovered({ 'app.kubernetes.io/name': 'ybuilt-api' }));
    expect(out).toEqual({ labels: expect.objectContaining({ stream: 'stderr', job: 'ybuilt-api' }), structuredMetadata: {}, line: 'listening on :8080' });
  });

  test('the evaluator refuses a stage it does not model', () => {
    const withUnknown = { ...config, scrape_configs: [{ ...config.scrape_configs[0], pipeline_stages: [{ regex: { expression: '.*' } }] }] };
    expect(() => runPipeline(withUnknown, CRI_LINE, discovered({}))).toThrow('pipeline stage regex is not evaluated');
  });
});

describe('promtail follows the Loki construct', () => {
  test('sends the tenant id when Loki runs with auth', () => {
    const objs = objects(envFrom({ ...FS, loki: { backend: 'filesystem', authEnabled: true, tenantId: 'ybuilt' } }));
    expect(promtail(objs).clients[0].tenant_id).toBe('ybuilt');
  });

  test('sends no structured metadata while Loki cannot store it (an older schema period is listed)', () => {
    const loki = {
      backend: 'filesystem',
      schemaPeriods: [
        { from: '2024-01-01', store: 'boltdb-shipper', schema: 'v11' },
        { from: '2026-12-01', store: 'tsdb', schema: 'v13' },
      ],
    };
    const config = promtail(objects(envFrom({ ...FS, loki })));
    const out = runPipeline(config, CRI_LINE, discovered({ 'app.kubernetes.io/name': 'ybuilt-api' }));
    expect(out.structuredMetadata).toEqual({});
    expect(out.labels[LOG_FIELDS.traceId]).toBeUndefined();
    expect(JSON.parse(out.line)[LOG_FIELDS.traceId]).toBe(TRACE_ID);
  });

  test('uses promtail.namespace', () => {
    const objs = objects(envFrom({ ...FS, promtail: { namespace: 'log-agent' } }));
    expect(findObject(objs, 'DaemonSet', 'promtail').metadata.namespace).toBe('log-agent');
    expect(findObject(objs, 'ClusterRoleBinding', 'log-agent-promtail').subjects[0].namespace).toBe('log-agent');
  });
});

describe('promtail config errors', () => {
  test('fails when promtail.namespace is the stack namespace', () => {
    expect(problems('tempo: {backend: filesystem}\nloki: {backend: filesystem}\nnamespace: logs\npromtail: {namespace: logs}')).toContain(
      'promtail.namespace: expected a namespace other than the stack\'s "logs" (Promtail\'s needs Pod Security "privileged"), got "logs"',
    );
  });

  test('fails when promtail.namespace is not a DNS label', () => {
    expect(problems('tempo: {backend: filesystem}\nloki: {backend: filesystem}\npromtail: {namespace: Agents}')).toEqual([
      'promtail.namespace: expected a DNS label (1-63 lowercase letters, digits or "-", starting and ending alphanumeric), got "Agents"',
    ]);
  });
});
