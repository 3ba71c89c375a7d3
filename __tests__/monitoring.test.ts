/**
 * Self-monitoring scrape objects: valid against the prometheus-operator CRD models, and, by simulating the
 * operator's target discovery (support/prometheus-operator.ts), reaching every workload's named metrics port
 * with the right scheme, CA and `job` label.
 */
import { load } from 'js-yaml';
import { anyEnv, env, envFrom, findObject, K8sObject, objects, SCALE_OUT } from './helpers';
import { ModelProblems, validateWith } from './support/validate-models';
import { scrapeTargets } from './support/prometheus-operator';

const MODELS = '@kubernetes-models/prometheus-operator';
const MONITORING_KINDS = ['ServiceMonitor', 'PodMonitor', 'PrometheusRule'];
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** Validates objects with the package's runtime models, unknown fields included (support/k8s-validate.mjs). */
export const validateWithModels = (objs: K8sObject[]): ModelProblems[] => validateWith(MODELS, objs);

const monitoringObjects = (objs: K8sObject[]) => objs.filter((o) => MONITORING_KINDS.includes(o.kind));

const MONITORED = ['staging', 'production', ...SCALE_OUT];
/**
 * Every environment's monitoring objects in one validator process (it loads the models once), each object's
 * name prefixed by its environment so a problem says where it is.
 */
let modelResults: ModelProblems[] | undefined;
const modelProblems = (name: string): ModelProblems[] => {
  modelResults ??= validateWithModels(MONITORED.flatMap((n) => monitoringObjects(objects(anyEnv(n))).map((o) => ({ ...o, metadata: { ...o.metadata, name: `${n}#${o.metadata.name}` } }))));
  return modelResults.filter((r) => r.object.split('/')[1].startsWith(`${name}#`));
};

describe.each(MONITORED)('%s monitors', (name) => {
  const e = SCALE_OUT.includes(name as any) ? anyEnv(name as any) : env(name);
  const all = objects(e);
  const targets = scrapeTargets(all);

  test('every monitoring object is valid against the prometheus-operator models, with no unknown field', () => {
    expect(monitoringObjects(all).length).toBeGreaterThan(0);
    expect(modelProblems(name)).toEqual([]);
  });

  test('every workload of the stack is scraped, once per metrics port, on a port it declares', () => {
    const workloads = all.filter((o) => WORKLOADS.includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(targets.map((t) => t.workload))).toEqual(new Set(workloads));
    const keys = targets.map((t) => `${t.workload}:${t.containerPort}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  test('each target is the port its component serves metrics on', () => {
    const port = (workload: string) => targets.find((t) => t.workload === workload)!.containerPort;
    const c = e.config;
    // Every Loki and Tempo target (one binary or many), and the caches' exporters.
    for (const t of targets) {
      const w = findObject(all, t.workload.split('/')[0], t.workload.split('/')[1]);
      const image = w.spec.template.spec.containers.find((x: any) => x.name === t.container).image;
      if (image === c.loki.image) expect([t.workload, t.containerPort]).toEqual([t.workload, c.loki.ports.http]);
      if (image === c.tempo.image) expect([t.workload, t.containerPort]).toEqual([t.workload, c.tempo.ports.http]);
      if (t.container === 'exporter') expect(t.path).toBe('/metrics');
    }
    expect(port('Deployment/grafana')).toBe(c.grafana.ports.http);
    expect(port('DaemonSet/promtail')).toBe(c.promtail.ports.http);
    // The collector's own telemetry reader listens where the monitor scrapes, on every interface.
    for (const tier of ['otel-gateway', 'otel-sampler']) {
      const cm = findObject(all, 'ConfigMap', tier);
      const reader = (load(cm.data['config.yaml']) as any).service.telemetry.metrics.readers[0].pull.exporter.prometheus;
      expect(port(`Deployment/${tier}`)).toBe(reader.port);
      expect(reader.host).toBe('0.0.0.0');
    }
  });

  test('job is <namespace>/<Service or workload name> on every target', () => {
    for (const t of targets) {
      const workloadName = t.workload.split('/')[1];
      expect(t.labels.job).toBe(`${t.namespace}/${t.labels.service ?? workloadName}`);
    }
  });

  test('HTTPS endpoints are scraped over HTTPS, verified with the CA against a name the certificate carries', () => {
    const tls = e.config.tls;
    const https = targets.filter((t) => t.scheme === 'https');
    // Exactly the Loki and Tempo targets serve HTTPS.
    const engines = targets.filter((t) => /^(loki|tempo)$/.test(t.container));
    expect(new Set(https.map((t) => t.workload))).toEqual(new Set(tls.enabled ? engines.map((t) => t.workload) : []));
    expect(engines.length).toBeGreaterThanOrEqual(2);
    const cert = tls.certManager ? all.find((o) => o.kind === 'Certificate' && o.metadata.name === tls.secretName && o.metadata.namespace === e.config.namespace) : undefined;
    for (const t of https) {
      expect(t.tlsConfig.ca).toEqual({ secret: { name: tls.secretName, key: 'ca.crt' } });
      expect(t.tlsConfig.insecureSkipVerify).toBeUndefined();
      if (cert) expect(cert.spec.dnsNames).toContain(t.tlsConfig.serverName);
      // The operator reads the CA Secret from the monitor's namespace: the serving Secret lives there.
      expect(t.namespace).toBe(e.config.namespace);
      // The probe agrees that the port serves TLS.
      const w = findObject(all, t.workload.split('/')[0], t.workload.split('/')[1]);
      expect(w.spec.template.spec.containers[0].readinessProbe.httpGet.scheme).toBe('HTTPS');
    }
  });
});

test.each(['staging', 'production'])('%s monitoring summary (for review)', (name) => {
  const all = objects(env(name));
  const targets = scrapeTargets(all);
  expect({
    targets: [...new Set(targets.map((t) => `${t.monitor} → ${t.labels.job} :${t.containerPort} ${t.scheme}`))].sort(),
    alerts: all
      .filter((o) => o.kind === 'PrometheusRule')
      .flatMap((o) => o.spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert).map((r: any) => `${r.alert} ${r.labels.severity} for ${r.for ?? '0s'}`))),
  }).toMatchSnapshot();
});

describe('monitoring settings', () => {
  test('dev renders no monitoring objects (no prometheus-operator there)', () => {
    expect(env('dev').config.monitoring.enabled).toBe(false);
    expect(monitoringObjects(objects(env('dev')))).toEqual([]);
  });

  test('monitoring.labels go on every monitoring object, and the scrape interval on every endpoint', () => {
    const objs = monitoringObjects(objects(envFrom({ monitoring: { labels: { release: 'kube-prometheus-stack' }, scrapeInterval: '15s' }, tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' } })));
    expect(objs.length).toBeGreaterThan(0);
    for (const o of objs) expect(o.metadata.labels!.release).toBe('kube-prometheus-stack');
    const endpoints = objs.flatMap((o) => o.spec.endpoints ?? o.spec.podMetricsEndpoints ?? []);
    expect(endpoints.length).toBeGreaterThan(0);
    for (const e of endpoints) expect(e.interval).toBe('15s');
  });

  test('fails when a monitoring label is not a valid Kubernetes label', () => {
    expect(() => envFrom({ monitoring: { labels: { 'bad key!': 'x' } } })).toThrow(/monitoring\.labels.*expected a Kubernetes label key like "release", got "bad key!"/);
  });

  test('the validator catches a wrong monitor (a numeric port, an unknown field)', () => {
    const monitor = JSON.parse(JSON.stringify(findObject(objects(env('production')), 'ServiceMonitor', 'loki')));
    monitor.spec.endpoints[0].port = 3100;
    monitor.spec.endpoints[0].scrapeEvery = '30s';
    const [result] = validateWithModels([monitor]);
    expect(result.problems.join('\n')).toMatch(/port must be string/);
    expect(result.problems.join('\n')).toMatch(/scrapeEvery: unknown field/);
  });
});
