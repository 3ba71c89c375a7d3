/**
 * Grafana Alloy as the log agent (logAgent: alloy), in both sources, on every shipped environment: the
 * DaemonSet and its RBAC, the rendered config.alloy checked structurally, and the same labels and structured
 * metadata as Promtail for the same log lines, by evaluating both rendered pipelines.
 */
import { validateAlloy } from '../lib/alloy/validate';
import { LOG_FIELDS } from '../lib/log-format';
import { configMapYaml, ENVIRONMENTS, env, findObject, K8sObject, objects, problems } from './helpers';
import { ALLOY_SOURCES, alloyEnv } from './support/agents';
import { globMatches, kubeletLogFile, runAlloyPipeline } from './support/alloy-pipeline';
import { runPipeline } from './support/promtail-pipeline';

const AGENT_NS = 'observability-agent';
const NODE = 'node-a';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const APP_LINE = JSON.stringify({
  [LOG_FIELDS.time]: '2026-11-24T10:00:00.000Z',
  [LOG_FIELDS.level]: 'info',
  [LOG_FIELDS.message]: 'Fetching job',
  [LOG_FIELDS.service]: 'ybuilt-api',
  [LOG_FIELDS.traceId]: TRACE_ID,
  [LOG_FIELDS.spanId]: SPAN_ID,
  job_id: '42',
});

/** Lines as the container runtime writes them to the node (CRI framing). */
const LINES = {
  'a JSON line with trace_id on stdout': `2026-11-24T10:00:00.123456789Z stdout F ${APP_LINE}`,
  'a plain-text line on stderr': '2026-11-24T10:00:01Z stderr F listening on :8080',
  'a JSON line without trace ids': `2026-11-24T10:00:02Z stdout F ${JSON.stringify({ level: 'warn', message: 'slow' })}`,
  'a JSON line whose trace_id is not a string': `2026-11-24T10:00:03Z stdout F ${JSON.stringify({ trace_id: 42 })}`,
  'a line that looks like JSON but is not': '2026-11-24T10:00:04Z stdout F {"trace_id": "abc"',
};

/** What Kubernetes pod discovery gives a target for a container of a pod on `node`. */
function discovered(labels: Record<string, string>, opts: { namespace?: string; node?: string; container?: string } = {}): Record<string, string> {
  const podLabels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [`__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`, v]));
  return {
    __address__: '10.0.3.7:8080',
    __meta_kubernetes_namespace: opts.namespace ?? 'ybuilt',
    __meta_kubernetes_pod_name: 'ybuilt-api-7d9f8c6b5-x2k4q',
    __meta_kubernetes_pod_uid: '3f1c2a9e-8d1b-4c55-9a8e-2b7f0d6c1e42',
    __meta_kubernetes_pod_container_name: opts.container ?? 'api',
    __meta_kubernetes_pod_node_name: opts.node ?? NODE,
    __meta_kubernetes_pod_phase: 'Running',
    ...podLabels,
  };
}

const TARGETS = {
  'app.kubernetes.io/name': discovered({ 'app.kubernetes.io/name': 'ybuilt-api', 'pod-template-hash': '7d9f8c6b5' }),
  'only an app label': discovered({ app: 'legacy' }, { namespace: 'default' }),
  'no app label (container name)': discovered({}, { container: 'sidecar' }),
};

const alloyConfig = (objs: K8sObject[]): string => findObject(objs, 'ConfigMap', 'alloy').data['config.alloy'];

describe.each(ENVIRONMENTS.flatMap((e) => ALLOY_SOURCES.map((s) => [e, s] as const)))('alloy in %s reading %s', (name, source) => {
  const e = alloyEnv(name, source);
  const objs = objects(e);
  const ds = findObject(objs, 'DaemonSet', 'alloy');
  const pod = ds.spec.template.spec;
  const container = pod.containers[0];
  const config = alloyConfig(objs);
  const files = source === 'files';
  const arg = (flag: string) => container.args.find((a: string) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  const mountAt = (p: string) => container.volumeMounts.find((m: any) => p === m.mountPath || p.startsWith(`${m.mountPath}/`));
  const volume = (n: string) => pod.volumes.find((v: any) => v.name === n);

  test('renders Alloy and no Promtail object', () => {
    expect(objs.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'promtail')).toEqual([]);
    expect(objs.filter((o) => o.kind === 'DaemonSet').map((o) => o.metadata.name)).toEqual(['alloy']);
    for (const kind of ['DaemonSet', 'ConfigMap', 'ServiceAccount']) expect(findObject(objs, kind, 'alloy').metadata.namespace).toBe(AGENT_NS);
  });

  test('config.alloy passes the structural check (components, arguments, blocks, references of v1.18.1)', () => {
    expect(validateAlloy(config)).toEqual([]);
  });

  test('runs the mounted config, listens on all interfaces on its metrics port, keeps state on a writable volume', () => {
    const configPath = container.args[1];
    expect(container.args[0]).toBe('run');
    const configMount = mountAt(configPath);
    expect(volume(configMount.name).configMap.name).toBe('alloy');
    expect(configPath).toBe(`${configMount.mountPath}/config.alloy`);
    const [host, port] = arg('--server.http.listen-addr')!.split(':');
    expect(host).toBe('0.0.0.0');
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: Number(port), protocol: 'TCP' }]);
    expect(Number(port)).toBe(e.config.alloy.ports.http);
    const storage = mountAt(arg('--storage.path')!);
    expect(storage.readOnly).toBeUndefined();
    expect(volume(storage.name)).toMatchObject(files ? { hostPath: { path: `/var/lib/alloy/${AGENT_NS}`, type: 'DirectoryOrCreate' } } : { emptyDir: {} });
    expect(container.args).toContain('--disable-reporting');
  });

  test('is ready on /-/ready and live on /metrics of that port', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: 'metrics' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/metrics', port: 'metrics' });
  });

  test('discovers only the pods of its own node: HOSTNAME is the node name and the selector reads it', () => {
    expect(container.env).toContainEqual({ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    const line = LINES['a plain-text line on stderr'];
    expect(runAlloyPipeline(config, line, discovered({}), { node: NODE })).toBeDefined();
    expect(runAlloyPipeline(config, line, discovered({}, { node: 'node-b' }), { node: NODE })).toBeUndefined();
  });

  test('least-privilege RBAC for the source, no wildcards', () => {
    const role = findObject(objs, 'ClusterRole', `${AGENT_NS}-alloy`);
    expect(role.rules).toEqual(
      files
        ? [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]
        : [
            { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
            { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
          ],
    );
    const binding = findObject(objs, 'ClusterRoleBinding', `${AGENT_NS}-alloy`);
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: AGENT_NS }]);
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  test(files ? 'reads /var/log/pods read-only as root in a privileged namespace' : 'has no host access, runs as non-root in a restricted namespace', () => {
    const ns = findObject(objs, 'Namespace', AGENT_NS);
    expect(ns.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe(files ? 'privileged' : 'restricted');
    expect(ns.metadata.labels!['pod-security.kubernetes.io/audit']).toBe('restricted');
    const hostPaths = pod.volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path);
    expect(hostPaths).toEqual(files ? ['/var/log/pods', `/var/lib/alloy/${AGENT_NS}`] : []);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    if (files) {
      expect(mountAt('/var/log/pods')).toEqual({ name: 'pod-logs', mountPath: '/var/log/pods', readOnly: true });
      expect(container.securityContext.runAsUser).toBe(0);
    } else {
      expect(container.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 473, runAsGroup: 473 });
    }
  });

  test("pushes to the Loki Service's push URL, verifying Loki's certificate when TLS is on", () => {
    const svc = findObject(objs, 'Service', 'loki');
    const http = svc.spec.ports.find((p: any) => p.name === 'http');
    const tls = e.config.tls.enabled;
    const out = runAlloyPipeline(config, LINES['a plain-text line on stderr'], discovered({}), { node: NODE })!;
    expect(out.endpoint).toEqual({
      url: `${tls ? 'https' : 'http'}://loki.observability.svc.cluster.local:${http.port}/loki/api/v1/push`,
      ...(tls ? { caFile: '/etc/tls/ca.crt' } : {}),
    });
    if (tls) expect(volume(mountAt('/etc/tls/ca.crt').name).secret.secretName).toBe(e.config.tls.secretName);
  });

  test('rolls when config.alloy changes', () => {
    expect(ds.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe.each(ENVIRONMENTS)('switching %s from Promtail to Alloy changes nothing in Loki', (name) => {
  const promtail = configMapYaml(objects(env(name)), 'promtail', 'promtail.yaml');
  const alloy = Object.fromEntries(ALLOY_SOURCES.map((s) => [s, alloyConfig(objects(alloyEnv(name, s)))]));
  const cases = Object.entries(LINES).flatMap(([line, text]) => Object.entries(TARGETS).map(([target, labels]) => [line, target, text, labels] as const));

  test.each(cases)('files: %s from a pod with %s gets the same labels, structured metadata and line', (_l, _t, text, labels) => {
    const expected = runPipeline(promtail, text, labels);
    const { endpoint: _e, path: _p, ...got } = runAlloyPipeline(alloy.files, text, labels, { node: NODE })!;
    expect(got).toEqual(expected);
  });

  test.each(cases)('api: %s from a pod with %s gets the same, except the stream label the API cannot know', (_l, _t, text, labels) => {
    const { stream: _s, ...labelsWithoutStream } = runPipeline(promtail, text, labels).labels;
    const { endpoint: _e, ...got } = runAlloyPipeline(alloy.api, text, labels, { node: NODE })!;
    expect(got).toEqual({ ...runPipeline(promtail, text, labels), labels: labelsWithoutStream });
  });

  test('the JSON line keeps trace_id and span_id as structured metadata, never as labels', () => {
    for (const config of Object.values(alloy)) {
      const out = runAlloyPipeline(config, LINES['a JSON line with trace_id on stdout'], TARGETS['app.kubernetes.io/name'], { node: NODE })!;
      expect(out.structuredMetadata).toEqual({ [LOG_FIELDS.traceId]: TRACE_ID, [LOG_FIELDS.spanId]: SPAN_ID });
      expect(out.labels).toMatchObject({ job: 'ybuilt-api', app: 'ybuilt-api', namespace: 'ybuilt', pod: 'ybuilt-api-7d9f8c6b5-x2k4q', container: 'api' });
      expect(Object.keys(out.labels)).not.toContain(LOG_FIELDS.traceId);
    }
  });

  test("files: the glob matches the container's kubelet file and no other container's", () => {
    const target = TARGETS['app.kubernetes.io/name'];
    const out = runAlloyPipeline(alloy.files, LINES['a plain-text line on stderr'], target, { node: NODE })!;
    expect(globMatches(out.path!, kubeletLogFile(target))).toBe(true);
    expect(globMatches(out.path!, kubeletLogFile({ ...target, __meta_kubernetes_pod_container_name: 'sidecar' }))).toBe(false);
    expect(globMatches(out.path!, kubeletLogFile({ ...target, __meta_kubernetes_pod_uid: 'another-uid' }))).toBe(false);
  });
});

describe('the Alloy evaluator refuses what it does not model', () => {
  const config = alloyConfig(objects(alloyEnv('dev', 'files')));
  const line = LINES['a plain-text line on stderr'];
  test('a stage it does not evaluate', () => {
    const withRegex = config.replace('stage.cri {}', 'stage.regex {\n    expression = "(?P<x>.*)"\n  }');
    expect(withRegex).not.toBe(config);
    expect(() => runAlloyPipeline(withRegex, line, discovered({}), { node: NODE })).toThrow('stage.regex is not evaluated');
  });

  test('a reference to a component the config does not define', () => {
    const dangling = config.replace('forward_to = [loki.write.loki.receiver]', 'forward_to = [loki.write.other.receiver]');
    expect(dangling).not.toBe(config);
    expect(() => runAlloyPipeline(dangling, line, discovered({}), { node: NODE })).toThrow('does not name one component');
    expect(validateAlloy(dangling).join('\n')).toContain('which this config does not define');
  });
});

describe('alloy follows the Loki construct', () => {
  test('sends the tenant id when Loki runs with auth', () => {
    const config = alloyConfig(objects(alloyEnv('dev', 'files', { loki: { authEnabled: true, tenantId: 'ybuilt' } })));
    expect(runAlloyPipeline(config, LINES['a plain-text line on stderr'], discovered({}), { node: NODE })!.endpoint.tenantId).toBe('ybuilt');
    expect(validateAlloy(config)).toEqual([]);
  });

  test('sends no structured metadata while Loki cannot store it (an older schema period is listed)', () => {
    const schemaPeriods = [
      { from: '2024-01-01', store: 'boltdb-shipper', schema: 'v11' },
      { from: '2026-12-01', store: 'tsdb', schema: 'v13' },
    ];
    const config = alloyConfig(objects(alloyEnv('dev', 'files', { loki: { schemaPeriods } })));
    const out = runAlloyPipeline(config, LINES['a JSON line with trace_id on stdout'], discovered({}), { node: NODE })!;
    expect(out.structuredMetadata).toEqual({});
    expect(JSON.parse(out.line)[LOG_FIELDS.traceId]).toBe(TRACE_ID);
  });

  test('uses alloy.namespace for every namespaced object and the binding', () => {
    const objs = objects(alloyEnv('dev', 'files', { alloy: { namespace: 'log-agent' } }));
    expect(findObject(objs, 'DaemonSet', 'alloy').metadata.namespace).toBe('log-agent');
    expect(findObject(objs, 'ClusterRoleBinding', 'log-agent-alloy').subjects[0].namespace).toBe('log-agent');
    expect(findObject(objs, 'DaemonSet', 'alloy').spec.template.spec.volumes.find((v: any) => v.name === 'data').hostPath.path).toBe('/var/lib/alloy/log-agent');
  });
});

describe('alloy review', () => {
  test('production config.alloy (files) and the api variant summary', () => {
    const files = objects(alloyEnv('production', 'files'));
    const api = findObject(objects(alloyEnv('production', 'api')), 'DaemonSet', 'alloy').spec.template.spec;
    expect(alloyConfig(files)).toMatchSnapshot();
    expect({
      image: findObject(files, 'DaemonSet', 'alloy').spec.template.spec.containers[0].image,
      apiVolumes: api.volumes.map((v: any) => v.name),
      apiUser: api.securityContext.runAsUser,
    }).toMatchSnapshot();
  });
});

describe('alloy with TLS (production)', () => {
  test("gets the CA certificate in its own namespace, and Loki's Service is the one the certificate names", () => {
    const objs = objects(alloyEnv('production', 'api', { alloy: { namespace: 'log-agent' } }));
    const certs = objs.filter((o) => o.kind === 'Certificate');
    expect(certs.map((c) => c.metadata.namespace).sort()).toEqual(['log-agent', 'observability']);
    const url = new URL(runAlloyPipeline(alloyConfig(objs), LINES['a plain-text line on stderr'], discovered({}), { node: NODE })!.endpoint.url);
    const serving = certs.find((c) => c.metadata.namespace === 'observability')!;
    expect(serving.spec.dnsNames).toContain(url.hostname);
  });
});

describe('alloy config errors', () => {
  const base = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';
  test('fails when alloy.namespace is the stack namespace', () => {
    expect(problems(`${base}namespace: logs\nlogAgent: alloy\nalloy: {namespace: logs}`)).toEqual([
      'alloy.namespace: expected a namespace other than the stack\'s "logs" (the agent\'s namespace carries its own Pod Security level and policies), got "logs"',
    ]);
  });

  test('fails when logAgent or alloy.source is not one of the choices', () => {
    const out = problems(`${base}logAgent: fluentbit\nalloy: {source: journal}`);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^logAgent: .*"promtail".*"alloy".*fluentbit/);
    expect(out[1]).toMatch(/^alloy\.source: .*"files".*"api".*journal/);
  });

  test("Promtail's namespace is not checked while Alloy is the agent", () => {
    expect(problems(`${base}namespace: logs\nlogAgent: alloy\npromtail: {namespace: logs}`)).toEqual([]);
  });
});
