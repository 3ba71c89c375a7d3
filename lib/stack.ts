/**
 * Builds one environment: every component chart, wired by passing constructs (not strings), rendered
 * to one YAML file per chart plus a kustomization.yaml listing them. Pure: nothing touches the disk.
 */
import { ApiObject, App, Chart, DependencyGraph } from 'cdk8s';
import { AccessChart } from '../charts/access';
import { AlloyChart } from '../charts/alloy';
import { CertificatesChart } from '../charts/certificates';
import { GrafanaChart } from '../charts/grafana';
import { LokiChart } from '../charts/loki';
import { MonitoringChart } from '../charts/monitoring';
import { NamespaceChart } from '../charts/namespace';
import { NetworkPoliciesChart } from '../charts/network-policies';
import { OtelCollectorChart } from '../charts/otel-collector';
import { OtelSdkChart } from '../charts/otel-sdk';
import { PromtailChart } from '../charts/promtail';
import { TempoChart } from '../charts/tempo';
import { Environment } from './config/schema';
import { StackChart } from './k8s/chart';
import { withSyncWave } from './gitops';
import { toYaml } from './serialize';
import { tempoMajor } from './config/tempo';
import { namespaceOfServiceUrl } from './config/security';
import { durationMs } from './config/primitives';
import { stackRules } from './monitoring/rules';
import { alloyMetrics, PROMTAIL_METRICS } from './monitoring/rules/log-agent';
import { operationalDashboards } from './monitoring/dashboards';

/** Output files of one environment, by file name, in a stable order. */
export type RenderedEnvironment = Map<string, string>;

export function buildCharts(env: Environment): StackChart[] {
  const app = new App({ outdir: '.unused' });
  const namespace = new NamespaceChart(app, 'namespace', { env });
  const tempo = new TempoChart(app, 'tempo', { env });
  const collector = new OtelCollectorChart(app, 'otel-collector', { env, tempo });
  const otelSdk = new OtelSdkChart(app, 'otel-sdk', { env, collector });
  const loki = new LokiChart(app, 'loki', { env });
  // One log agent: Promtail (the design's default) or Alloy, its successor; never both. (Not `instanceof`:
  // cdk8s Chart's Symbol.hasInstance is true for any chart.)
  const promtail = env.config.logAgent === 'promtail' ? new PromtailChart(app, 'promtail', { env, loki }) : undefined;
  const agent = promtail ?? new AlloyChart(app, 'alloy', { env, loki });
  const logAgent = { chart: agent, metrics: promtail ? PROMTAIL_METRICS : alloyMetrics(env.config.alloy.source) };
  // What the stack's alert rules and operational dashboards read.
  const monitored = { loki, tempo, tempoMajor: tempoMajor(env.config.tempo.image)!, collector, logAgent, numTraces: env.config.collector.sampler.numTraces };
  const operational = env.config.monitoring.enabled ? operationalDashboards(monitored) : [];
  const grafana = new GrafanaChart(app, 'grafana', { env, tempo, loki, operationalDashboards: operational });
  const networkPolicies = new NetworkPoliciesChart(app, 'network-policies', { env, tempo, loki, agent, grafana, collector });
  const access = new AccessChart(app, 'access', { env });
  const certificates = new CertificatesChart(app, 'certificates', { env, servers: [...tempo.servingServices, ...loki.servingServices], clientNamespaces: [agent.targetNamespace] });
  const charts = [namespace, access, certificates, tempo, collector, otelSdk, loki, agent, grafana, networkPolicies];
  // Last, so every chart's metrics ports are known; it reads them from the charts, never from a list of its own.
  const rules = stackRules({
    ...monitored,
    grafana,
    samplerReplicas: env.config.collector.sampler.replicas,
    prometheus: {
      namespace: env.config.security.prometheusNamespace ?? namespaceOfServiceUrl(env.config.prometheus.url)!,
      retentionSeconds: durationMs(env.config.monitoring.metricsRetention) / 1000,
    },
  });
  return [...charts, new MonitoringChart(app, 'monitoring', { env, charts, rules })];
}

/**
 * Every chart's objects, as `chart.toJson()` gives them. cdk8s's `Chart.toJson()` first resolves
 * dependencies and validates the whole app (`App._synthChart` in cdk8s/lib/app.js), on every call: over
 * eleven charts that walk was repeated eleven times. Here the first chart goes through `toJson()` as usual,
 * which does that walk once for the app, and the others take the remaining steps of `_synthChart` themselves
 * (`chartToKube`: the chart's API objects in dependency order, each closest to its own chart, then each
 * object's `toJson()`). A test holds the two equal over every variant.
 */
export function chartObjects(charts: readonly Chart[]): unknown[][] {
  return charts.map((chart, i) =>
    i === 0
      ? chart.toJson()
      : new DependencyGraph(chart.node)
          .topology()
          .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart)
          .map((obj) => obj.toJson()),
  );
}

export function renderObjects(objects: unknown[]): string {
  return objects
    .map((obj) => {
      withSyncWave(obj as Parameters<typeof withSyncWave>[0]);
      return toYaml(obj);
    })
    .join('---\n');
}

export function renderEnvironment(env: Environment): RenderedEnvironment {
  const files: RenderedEnvironment = new Map();
  const charts = buildCharts(env);
  const objects = chartObjects(charts);
  for (const [i, chart] of charts.entries()) {
    const file = `${chart.appName}.k8s.yaml`;
    if (files.has(file)) throw new Error(`two charts render ${file}`);
    const text = renderObjects(objects[i]);
    if (text) files.set(file, text);
  }
  files.set(
    'kustomization.yaml',
    toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...files.keys()] }),
  );
  return files;
}
