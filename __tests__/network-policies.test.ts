/**
 * Evaluates the rendered NetworkPolicies the way the API defines them (a connection is allowed when some
 * policy selecting the destination allows it as ingress and some policy selecting the source allows it as
 * egress; policies only add) and checks the flows the stack needs, and a few it must not allow.
 */
import { anyEnv, ENVIRONMENTS, env, envFrom, findObject, objects } from './helpers';
import { scrapeTargets } from './support/prometheus-operator';
import { allowed as allowedBy, Endpoint, podOf } from './support/netpol';

/** The labels of an application namespace that opted in (security.applicationNamespaceSelector, the same in every shipped config). */
const SENDS_TRACES: Record<string, string> = env('production').config.security.applicationNamespaceSelector;

describe.each(ENVIRONMENTS)('%s network policies', (name) => {
  const e = env(name);
  const all = objects(e);
  const pod = (kind: string, n: string): Endpoint => podOf(findObject(all, kind, n));
  const port = (svc: string, p: string) => findObject(all, 'Service', svc).spec.ports.find((x: any) => x.name === p).port;
  const allowed = (from: Endpoint, to: Endpoint, p: number) => allowedBy(all, from, to, p);

  const tempo = pod('StatefulSet', 'tempo');
  const loki = pod('StatefulSet', 'loki');
  const grafana = pod('Deployment', 'grafana');
  const gateway = pod('Deployment', 'otel-gateway');
  const sampler = pod('Deployment', 'otel-sampler');
  const promtail = pod('DaemonSet', 'promtail');
  const app: Endpoint = { namespace: 'apps', namespaceLabels: SENDS_TRACES, labels: { 'app.kubernetes.io/name': 'ybuilt-api' } };
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
  const e = envFrom({ tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' }, applications: { namespaces: ['shop', { name: 'payments', serviceName: 'payments-api' }] } });
  const all = objects(e);
  const gateway = podOf(findObject(all, 'Deployment', 'otel-gateway'));
  const port = (p: string) => findObject(all, 'Service', 'otel-gateway').spec.ports.find((x: any) => x.name === p).port;
  const allowed = (from: Endpoint, to: Endpoint, p: number) => allowedBy(all, from, to, p);
  const podIn = (namespace: string): Endpoint => ({ namespace, ...(namespace === 'apps' ? { namespaceLabels: e.config.security.applicationNamespaceSelector } : {}), labels: { 'app.kubernetes.io/name': 'some-app' } });

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
  const pod = (kind: string, n: string): Endpoint => podOf(findObject(all, kind, n));
  const port = (svc: string, p: string) => findObject(all, 'Service', svc).spec.ports.find((x: any) => x.name === p).port;
  const allowed = (from: Endpoint, to: Endpoint, p: number) => allowedBy(all, from, to, p);
  const alloy = pod('DaemonSet', 'alloy');
  const policies = all.filter((o) => o.kind === 'NetworkPolicy');
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
