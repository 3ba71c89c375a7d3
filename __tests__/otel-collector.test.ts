import { durationMs } from '../lib/config/primitives';
import { gatewayConfig } from '../lib/otelcol/config';
import { checkedOtelcolConfig } from '../lib/otelcol/types';
import { getSamplingRules } from '../tools/log-trace-correlation';
import { configMapYaml, ENVIRONMENTS, env, envFrom, findObject, FIXTURES_DIR, K8sObject, objects } from './helpers';

const sampler = (m: K8sObject[]) => configMapYaml(m, 'otel-sampler', 'config.yaml');
const gateway = (m: K8sObject[]) => configMapYaml(m, 'otel-gateway', 'config.yaml');
const policy = (cfg: any, type: string) => cfg.processors.tail_sampling.policies.find((p: any) => p.type === type);

describe.each(ENVIRONMENTS)('%s traces gateway', (name) => {
  const e = env(name);
  const m = objects(e);

  test('tail sampling keeps errors, slow traces and the configured share of the rest', () => {
    const rules = getSamplingRules(name, { configDir: FIXTURES_DIR });
    const cfg = sampler(m);
    expect(policy(cfg, 'status_code')).toEqual({ name: 'keep-errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } });
    expect(policy(cfg, 'latency').latency.threshold_ms).toBe(rules.slowRequestThreshold);
    expect(policy(cfg, 'probabilistic').probabilistic.sampling_percentage).toBeCloseTo(rules.defaultSampleRate * 100, 6);
    expect(cfg.processors.tail_sampling.decision_wait).toBe(e.config.collector.sampler.decisionWait);
  });

  test('pipeline order: memory_limiter first, batch after tail_sampling, export to Tempo over otlp_grpc', () => {
    const cfg = sampler(m);
    expect(cfg.service.pipelines.traces).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling', 'batch'], exporters: ['otlp_grpc'] });
    const tempo = findObject(m, 'Service', 'tempo');
    const otlp = tempo.spec.ports.find((p: any) => p.name === 'otlp-grpc');
    expect(cfg.exporters.otlp_grpc.endpoint).toBe(`tempo.${e.config.namespace}.svc.cluster.local:${otlp.port}`);
  });

  test('the gateway routes by trace id to the headless sampler Service', () => {
    const cfg = gateway(m);
    const lb = cfg.exporters.loadbalancing;
    expect(lb.routing_key).toBe('traceID');
    const svc = findObject(m, 'Service', 'otel-sampler');
    expect(svc.spec.clusterIP).toBe('None');
    expect(lb.resolver.dns.hostname).toBe(`otel-sampler.${e.config.namespace}.svc.cluster.local`);
    // contrib exporter/loadbalancingexporter/config.go: DNSResolver.Port is a Go string; the collector's strict
    // decoding refuses a YAML number there and the gateway exits at start.
    expect(lb.resolver.dns.port).toBe(String(svc.spec.ports.find((p: any) => p.name === 'otlp-grpc').port));
    expect(svc.spec.selector['app.kubernetes.io/name']).toBe('otel-sampler');
    expect(findObject(m, 'Deployment', 'otel-sampler').spec.template.metadata.labels['app.kubernetes.io/name']).toBe('otel-sampler');
  });

  test('probes reach the health_check extension on its declared port', () => {
    for (const tier of ['otel-gateway', 'otel-sampler']) {
      const c = findObject(m, 'Deployment', tier).spec.template.spec.containers[0];
      const health = c.ports.find((p: any) => p.name === 'health');
      expect(c.readinessProbe.httpGet.port).toBe('health');
      expect(configMapYaml(m, tier, 'config.yaml').extensions.health_check.endpoint).toBe(`0.0.0.0:${health.containerPort}`);
    }
  });

  test('the SDK ConfigMap points applications at the gateway and keeps every trace at the head', () => {
    const cm = findObject(m, 'ConfigMap', 'otel-sdk');
    const svc = findObject(m, 'Service', 'otel-gateway');
    const port = svc.spec.ports.find((p: any) => p.name === 'otlp-grpc').port;
    expect(cm.data).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://otel-gateway.${e.config.namespace}.svc.cluster.local:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    });
  });

  test('both rendered configs have the v0.159.0 field kinds (lib/otelcol/types.ts), as the collector decodes them', () => {
    for (const tier of ['otel-gateway', 'otel-sampler']) expect(() => checkedOtelcolConfig(configMapYaml(m, tier, 'config.yaml'))).not.toThrow();
  });

  test('a config change rolls the collector pods', () => {
    for (const tier of ['otel-gateway', 'otel-sampler']) {
      expect(findObject(m, 'Deployment', tier).spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  test('summary for review', () => {
    const cfg = sampler(m);
    expect({
      image: findObject(m, 'Deployment', 'otel-sampler').spec.template.spec.containers[0].image,
      replicas: { gateway: findObject(m, 'Deployment', 'otel-gateway').spec.replicas, sampler: findObject(m, 'Deployment', 'otel-sampler').spec.replicas },
      policies: cfg.processors.tail_sampling.policies.map((p: any) => `${p.name}: ${JSON.stringify(p[p.type])}`),
      exportTo: cfg.exporters.otlp_grpc.endpoint,
    }).toMatchSnapshot();
  });
});

describe('sampling rules from config', () => {
  test('production keeps 10% and always keeps errors', () => {
    expect(getSamplingRules('production', { configDir: FIXTURES_DIR })).toMatchObject({ environment: 'production', defaultSampleRate: 0.1, alwaysSampleErrors: true, honorPriority: true, slowRequestThreshold: durationMs(env('production').config.sampling.slowRequestThreshold) });
  });

  test('the error policy is left out when alwaysSampleErrors is false', () => {
    const e = envFrom('tempo: {backend: filesystem}\nloki: {backend: filesystem}\nsampling: {alwaysSampleErrors: false, defaultRate: 0.25}');
    const cfg = sampler(objects(e));
    expect(cfg.processors.tail_sampling.policies.map((p: any) => p.type)).toEqual(['latency', 'numeric_attribute', 'probabilistic']);
    expect(policy(cfg, 'probabilistic').probabilistic.sampling_percentage).toBe(25);
  });

  test('sampling rules carry per-service rates and rateFor', () => {
    const rules = getSamplingRules('production', { configDir: FIXTURES_DIR });
    expect(rules.services).toEqual(env('production').config.sampling.services);
    expect(rules.rateFor('any-unlisted-service')).toBe(0.1);
  });

  test('one replica per tier renders no PodDisruptionBudget, more do', () => {
    expect(objects(env('dev')).filter((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name.startsWith('otel-'))).toHaveLength(0);
    const pdb = findObject(objects(env('production')), 'PodDisruptionBudget', 'otel-sampler');
    expect(pdb.spec.selector.matchLabels['app.kubernetes.io/name']).toBe('otel-sampler');
  });

  test('fails when a collector port clashes', () => {
    expect(() => envFrom('tempo: {backend: filesystem}\nloki: {backend: filesystem}\ncollector: {ports: {metrics: 4317}}')).toThrow(
      'collector.ports.metrics: port 4317 is already used by collector.ports.otlpGrpc, expected a distinct port',
    );
  });

  test('fails when a tier has no replicas', () => {
    expect(() => envFrom('tempo: {backend: filesystem}\nloki: {backend: filesystem}\ncollector: {sampler: {replicas: 0}}')).toThrow('collector.sampler.replicas: expected at least 1 replica, got 0');
  });
});

describe('collector config field types mirror the Go config structs', () => {
  const collector = env('production').config.collector;

  test('a config with per-service rates has the v0.159.0 field kinds too', () => {
    const m = objects(envFrom('tempo: {backend: filesystem}\nloki: {backend: filesystem}\nsampling: {services: {checkout: 0.5, "web shop": 0.01, zero: 0}}'));
    expect(() => checkedOtelcolConfig(sampler(m))).not.toThrow();
  });

  test('the rendered loadbalancing port is a YAML string, not a number', () => {
    const text = findObject(objects(env('production')), 'ConfigMap', 'otel-gateway').data['config.yaml'];
    expect(text).toMatch(/\n {8}port: '4317'\n/);
  });

  test('fails when a number reaches a Go string field (the old dns.port)', () => {
    const cfg: any = structuredClone(gatewayConfig(collector, 'otel-sampler.observability.svc.cluster.local'));
    cfg.exporters.loadbalancing.resolver.dns.port = 4317;
    expect(() => checkedOtelcolConfig(cfg)).toThrow('exporters.loadbalancing.resolver.dns.port: Invalid input: expected string, received number');
  });

  test('fails when a string reaches a Go integer field, or a number a time.Duration', () => {
    const cfg: any = structuredClone(gatewayConfig(collector, 'otel-sampler.observability.svc.cluster.local'));
    cfg.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port = '8888';
    cfg.processors.memory_limiter.check_interval = 1;
    expect(() => checkedOtelcolConfig(cfg)).toThrow(/service\.telemetry\.metrics\.readers\.0\.pull\.exporter\.prometheus\.port: .*expected number/);
    expect(() => checkedOtelcolConfig(cfg)).toThrow(/processors\.memory_limiter\.check_interval: expected a duration/);
  });

  test('fails on a key the component does not have', () => {
    const cfg: any = structuredClone(gatewayConfig(collector, 'h'));
    cfg.exporters.loadbalancing.resolver.dns.ports = ['4317'];
    expect(() => checkedOtelcolConfig(cfg)).toThrow('exporters.loadbalancing.resolver.dns: Unrecognized key: "ports"');
  });

  test('fails when a receiver serves a certificate without reload_interval', () => {
    const cfg: any = structuredClone(gatewayConfig(collector, 'h'));
    cfg.receivers.otlp.protocols.grpc.tls = { cert_file: '/tls/tls.crt', key_file: '/tls/tls.key' };
    expect(() => checkedOtelcolConfig(cfg)).toThrow('receivers.otlp.protocols.grpc.tls.reload_interval: missing');
    cfg.receivers.otlp.protocols.grpc.tls.reload_interval = '1h';
    expect(() => checkedOtelcolConfig(cfg)).not.toThrow();
  });

  test('the builders refuse a number for dns.port at compile time', () => {
    const cfg = gatewayConfig(collector, 'h');
    // @ts-expect-error DNSResolver.Port is a Go string
    cfg.exporters.loadbalancing!.resolver.dns.port = 4317;
    // @ts-expect-error Prometheus reader port is a Go *int
    cfg.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port = '8888';
    expect(cfg).toBeDefined();
  });
});
