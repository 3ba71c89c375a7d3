/**
 * Evaluates the rendered NetworkPolicies the way the API defines them (a connection is allowed when some
 * policy selecting the destination allows it as ingress and some policy selecting the source allows it as
 * egress; policies only add) and checks the flows the stack needs, and a few it must not allow.
 */
import { anyEnv, ENVIRONMENTS, env, envFrom, findObject, K8sObject, objects } from './helpers';
import { scrapeTargets } from './support/prometheus-operator';

interface Endpoint {
  namespace: string;
  labels: Record<string, string>;
  /** For peers outside the cluster. */
  ip?: string;
}

const matches = (selector: any, labels: Record<string, string>) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
const nsLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns, ...(ns === 'apps' ? { 'observability.ybuilt.dev/send-traces': 'true' } : {}) });

function peerMatches(peer: any, policyNs: string, other: Endpoint): boolean {
  if (peer.ipBlock) return other.ip !== undefined && !/^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/.test(other.ip);
  if (other.ip) return false;
  const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels(other.namespace)) : other.namespace === policyNs;
  return nsOk && (peer.podSelector ? matches(peer.podSelector, other.labels) : true);
}

function side(policies: K8sObject[], self: Endpoint, other: Endpoint, port: number, type: 'Ingress' | 'Egress'): boolean {
  if (self.ip) return true;
  const selecting = policies.filter((p) => p.metadata.namespace === self.namespace && p.spec.policyTypes.includes(type) && matches(p.spec.podSelector, self.labels));
  if (!selecting.length) return true;
  const rules = selecting.flatMap((p) => (type === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []);
  return rules.some(
    (r: any) =>
      ((type === 'Ingress' ? r.from : r.to) ?? [{}]).some((peer: any) => (Object.keys(peer).length === 0 ? true : peerMatches(peer, self.namespace, other))) &&
      (r.ports ?? [{ port }]).some((p: any) => p.port === port),
  );
}

describe.each(ENVIRONMENTS)('%s network policies', (name) => {
  const e = env(name);
  const all = objects(e);
  const policies = all.filter((o) => o.kind === 'NetworkPolicy');
  const pod = (kind: string, n: string): Endpoint => {
    const w = findObject(all, kind, n);
    return { namespace: w.metadata.namespace!, labels: w.spec.template.metadata.labels };
  };
  const port = (svc: string, p: string) => findObject(all, 'Service', svc).spec.ports.find((x: any) => x.name === p).port;
  const allowed = (from: Endpoint, to: Endpoint, p: number) => side(policies, from, to, p, 'Egress') && side(policies, to, from, p, 'Ingress');

  const tempo = pod('StatefulSet', 'tempo');
  const loki = pod('StatefulSet', 'loki');
  const grafana = pod('Deployment', 'grafana');
  const gateway = pod('Deployment', 'otel-gateway');
  const sampler = pod('Deployment', 'otel-sampler');
  const promtail = pod('DaemonSet', 'promtail');
  const app: Endpoint = { namespace: 'apps', labels: { 'app.kubernetes.io/name': 'ybuilt-api' } };
  const unlabelled: Endpoint = { namespace: 'other', labels: {} };
  const prometheus: Endpoint = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
  const s3: Endpoint = { namespace: '', labels: {}, ip: '52.216.0.10' };

  test('the flows the stack needs are allowed', () => {
    expect(allowed(grafana, tempo, port('tempo', 'http'))).toBe(true);
    expect(allowed(grafana, loki, port('loki', 'http'))).toBe(true);
    expect(allowed(grafana, prometheus, 9090)).toBe(true);
    expect(allowed(promtail, loki, port('loki', 'http'))).toBe(true);
    expect(allowed(app, gateway, port('otel-gateway', 'otlp-grpc'))).toBe(true);
    expect(allowed(app, gateway, port('otel-gateway', 'otlp-http'))).toBe(true);
    expect(allowed(gateway, sampler, port('otel-sampler', 'otlp-grpc'))).toBe(true);
    expect(allowed(sampler, tempo, port('tempo', 'otlp-grpc'))).toBe(true);
    expect(allowed(prometheus, tempo, port('tempo', 'http'))).toBe(true);
    expect(allowed(prometheus, sampler, port('otel-sampler', 'metrics'))).toBe(true);
    expect(allowed(prometheus, grafana, port('grafana', 'http'))).toBe(true);
  });

  test('object storage egress exists only where S3 is used', () => {
    expect(allowed(tempo, s3, 443)).toBe(e.config.tempo.backend === 's3');
    expect(allowed(loki, s3, 443)).toBe(e.config.loki.backend === 's3');
    expect(allowed(grafana, s3, 443)).toBe(Boolean(e.config.grafana.oauth));
  });

  test('everything else is denied', () => {
    expect(allowed(unlabelled, gateway, port('otel-gateway', 'otlp-grpc'))).toBe(false);
    expect(allowed(app, tempo, port('tempo', 'otlp-grpc'))).toBe(false);
    expect(allowed(app, loki, port('loki', 'http'))).toBe(false);
    expect(allowed(promtail, tempo, port('tempo', 'http'))).toBe(false);
    expect(allowed(gateway, tempo, port('tempo', 'otlp-grpc'))).toBe(false);
    expect(allowed(unlabelled, grafana, port('grafana', 'http'))).toBe(false);
    expect(allowed(sampler, s3, 443)).toBe(false);
  });

  // Dev renders no monitors (monitoring.enabled is off there); staging and production do.
  const targets = scrapeTargets(all);
  (targets.length ? test : test.skip)('Prometheus reaches every port a monitor scrapes, and nothing else reaches the metrics-only ports', () => {
    for (const t of targets) {
      const [kind, n] = t.workload.split('/');
      expect([t.workload, allowed(prometheus, pod(kind, n), t.containerPort)]).toEqual([t.workload, true]);
    }
    // The collector's telemetry port and the agent's port serve nothing but metrics.
    const metricsOnly = targets.filter((t) => t.portName === 'metrics' || t.monitor.startsWith('PodMonitor'));
    expect(new Set(metricsOnly.map((t) => t.workload))).toEqual(new Set(['Deployment/otel-gateway', 'Deployment/otel-sampler', 'DaemonSet/promtail']));
    for (const t of metricsOnly) {
      const [kind, n] = t.workload.split('/');
      for (const other of [app, unlabelled, grafana, gateway, sampler, tempo, loki, promtail]) {
        expect([t.workload, other.labels, allowed(other, pod(kind, n), t.containerPort)]).toEqual([t.workload, other.labels, false]);
      }
    }
  });
});

describe('applications.namespaces', () => {
  const all = objects(envFrom({ tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' }, applications: { namespaces: ['shop', { name: 'payments', serviceName: 'payments-api' }] } }));
  const policies = all.filter((o) => o.kind === 'NetworkPolicy');
  const gw = findObject(all, 'Deployment', 'otel-gateway');
  const gateway: Endpoint = { namespace: gw.metadata.namespace!, labels: gw.spec.template.metadata.labels };
  const port = (p: string) => findObject(all, 'Service', 'otel-gateway').spec.ports.find((x: any) => x.name === p).port;
  const allowed = (from: Endpoint, to: Endpoint, p: number) => side(policies, from, to, p, 'Egress') && side(policies, to, from, p, 'Ingress');
  const podIn = (namespace: string): Endpoint => ({ namespace, labels: { 'app.kubernetes.io/name': 'some-app' } });

  test('pods in the listed namespaces reach the gateway without the namespace label', () => {
    for (const ns of ['shop', 'payments']) {
      expect(allowed(podIn(ns), gateway, port('otlp-grpc'))).toBe(true);
      expect(allowed(podIn(ns), gateway, port('otlp-http'))).toBe(true);
    }
  });

  test('the label selector still admits, other namespaces still do not', () => {
    expect(allowed(podIn('apps'), gateway, port('otlp-grpc'))).toBe(true);
    expect(allowed(podIn('other'), gateway, port('otlp-grpc'))).toBe(false);
    expect(allowed(podIn('shop'), gateway, port('metrics'))).toBe(false);
  });
});

describe.each(['production-alloy-files', 'production-alloy-api'])('%s network policies', (name) => {
  const all = objects(anyEnv(name));
  const policies = all.filter((o) => o.kind === 'NetworkPolicy');
  const pod = (kind: string, n: string): Endpoint => {
    const w = findObject(all, kind, n);
    return { namespace: w.metadata.namespace!, labels: w.spec.template.metadata.labels };
  };
  const port = (svc: string, p: string) => findObject(all, 'Service', svc).spec.ports.find((x: any) => x.name === p).port;
  const allowed = (from: Endpoint, to: Endpoint, p: number) => side(policies, from, to, p, 'Egress') && side(policies, to, from, p, 'Ingress');
  const alloy = pod('DaemonSet', 'alloy');
  const prometheus: Endpoint = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
  const metricsPort = findObject(all, 'DaemonSet', 'alloy').spec.template.spec.containers[0].ports.find((p: any) => p.name === 'metrics').containerPort;

  test('Alloy may push to Loki, and Prometheus may scrape its metrics port', () => {
    expect(allowed(alloy, pod('StatefulSet', 'loki'), port('loki', 'http'))).toBe(true);
    expect(allowed(prometheus, alloy, metricsPort)).toBe(true);
  });

  test('Alloy reaches nothing else in the stack, and nothing but Prometheus reaches it', () => {
    expect(allowed(alloy, pod('StatefulSet', 'tempo'), port('tempo', 'http'))).toBe(false);
    expect(allowed(alloy, pod('Deployment', 'grafana'), port('grafana', 'http'))).toBe(false);
    expect(allowed(alloy, pod('Deployment', 'otel-gateway'), port('otel-gateway', 'otlp-grpc'))).toBe(false);
    expect(allowed(pod('Deployment', 'grafana'), alloy, metricsPort)).toBe(false);
    expect(allowed({ namespace: alloy.namespace, labels: {} }, pod('StatefulSet', 'loki'), port('loki', 'http'))).toBe(false);
  });

  test('no policy names Promtail', () => {
    expect(policies.map((p) => p.metadata.name)).not.toContain('promtail');
    expect(JSON.stringify(policies)).not.toContain('"app.kubernetes.io/name":"promtail"');
  });
});
