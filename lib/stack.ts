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
import { RolloutOperatorChart } from '../charts/rollout-operator';
import { TempoChart } from '../charts/tempo';
import { Environment } from './config/schema';
import { StackChart } from './k8s/chart';
import { bootstrapFiles, withGitopsAnnotations } from './gitops';
import { loadAll } from 'js-yaml';
import { PlainObject, PREREQUISITES_FILE, prerequisites } from './prerequisites';
import { toYaml } from './serialize';
import { tempoMajor } from './config/tempo';
import { namespaceOfServiceUrl } from './config/security';
import { durationMs } from './config/primitives';
import { stackRules } from './monitoring/rules';
import { alloyMetrics, PROMTAIL_METRICS } from './monitoring/rules/log-agent';
import { operationalDashboards } from './monitoring/dashboards';
import { apiProblems, LIMITS } from './api-rules';
import { objectJson } from './k8s/object-json';

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
  // Zone StatefulSets rolled one zone at a time need the operator that rolls them (distributed Tempo's live-stores).
  const rollouts = [tempo.topology, loki.topology].some((t) => t.workloads.some((w) => w.zoneRollout)) ? new RolloutOperatorChart(app, 'rollout-operator', { env }) : undefined;
  const networkPolicies = new NetworkPoliciesChart(app, 'network-policies', { env, tempo, loki, agent, grafana, collector, rolloutOperator: rollouts });
  const access = new AccessChart(app, 'access', { env });
  const certificates = new CertificatesChart(app, 'certificates', { env, servers: [...tempo.servingServices, ...loki.servingServices], clientNamespaces: [agent.targetNamespace] });
  const charts = [namespace, access, certificates, tempo, collector, otelSdk, loki, agent, grafana, ...(rollouts ? [rollouts] : []), networkPolicies];
  // Last, so every chart's metrics ports are known; it reads them from the charts, never from a list of its own.
  const rules = stackRules({
    ...monitored,
    grafana,
    rolloutOperator: rollouts,
    samplerReplicas: env.config.collector.sampler.replicas,
    prometheus: {
      namespace: env.config.security.prometheusNamespace ?? namespaceOfServiceUrl(env.config.prometheus.url)!,
      retentionSeconds: durationMs(env.config.monitoring.metricsRetention) / 1000,
    },
  });
  return [...charts, new MonitoringChart(app, 'monitoring', { env, charts, rules })];
}

/** Objects the API server would refuse (lib/api-rules.ts), each with the config key that decides it. */
export class RenderRefused extends Error {
  constructor(readonly problems: { keyPath: string; message: string }[]) {
    super(problems.map((p) => `${p.keyPath}: ${p.message}`).join('\n'));
  }
}

/**
 * Objects whose size a config list decides: a refusal names that key and the arithmetic. Everything else the
 * schema validates value by value, so an API-rule problem elsewhere is a bug of ours, reported as such.
 */
const SIZE_DRIVERS: Record<string, (c: Environment['config']) => { keyPath: string; count: number; what: string }> = {
  'ConfigMap/otel-sampler': (c) => ({ keyPath: 'sampling.services', count: Object.keys(c.sampling.services).length, what: 'entries' }),
};

function refusal(env: Environment, obj: { kind?: string; metadata?: { name?: string } }, problem: string): { keyPath: string; message: string } {
  const id = `${obj.kind}/${obj.metadata?.name}`;
  const driver = SIZE_DRIVERS[id]?.(env.config);
  const bytes = Buffer.byteLength(JSON.stringify(obj));
  if (driver && / bytes/.test(problem)) {
    const each = driver.count ? Math.ceil(bytes / driver.count) : bytes;
    return {
      keyPath: driver.keyPath,
      message: `${driver.count} ${driver.what} render ${id} of ${bytes} bytes (about ${each} each), above what the cluster accepts (${problem.replace(/^[^:]*: /, '')}); at most about ${Math.floor(LIMITS.annotationBytes / each)} fit, so list fewer (entries at the default need none)`,
    };
  }
  return { keyPath: '(rendered objects)', message: `${problem} (the schema should have refused the value behind it: please report this as a bug)` };
}

/**
 * Every chart's objects, as `chart.toJson()` gives them. cdk8s's `Chart.toJson()` first resolves
 * dependencies and validates the whole app (`App._synthChart` in cdk8s/lib/app.js), on every call: over
 * eleven charts that walk was repeated eleven times. Here the first chart goes through `toJson()` as usual,
 * which does that walk once for the app, and the others take the remaining steps of `_synthChart` themselves
 * (`chartToKube`: the chart's API objects in dependency order, each closest to its own chart, then each
 * object's JSON, by objectJson() in one walk: lib/k8s/object-json.ts). A test holds the two equal over every
 * variant.
 */
export function chartObjects(charts: readonly Chart[]): unknown[][] {
  return charts.map((chart, i) => {
    if (i === 0) return chart.toJson();
    const app = App.of(chart);
    return new DependencyGraph(chart.node)
      .topology()
      .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart)
      .map((obj) => objectJson(obj, app));
  });
}

export function renderObjects(objects: unknown[]): string {
  return objects
    .map((obj) => {
      withGitopsAnnotations(obj as Parameters<typeof withGitopsAnnotations>[0]);
      return toYaml(obj);
    })
    .join('---\n');
}

const NAMESPACE_FILE = 'namespace.k8s.yaml';

/**
 * One YAML file per chart, plus kustomization.yaml listing them, plus PREREQUISITES.md (not listed: kustomize
 * applies only the resources it lists). Every Namespace the environment creates, the log agent's included, goes
 * into namespace.k8s.yaml, so that file can be applied alone before the first sync and the Secrets made by hand
 * created in it (PREREQUISITES.md, step 1).
 */
export function renderEnvironment(env: Environment): RenderedEnvironment {
  const byFile = new Map<string, PlainObject[]>([[NAMESPACE_FILE, []]]);
  const charts = buildCharts(env);
  const objects = chartObjects(charts) as PlainObject[][];
  for (const [i, chart] of charts.entries()) {
    const file = `${chart.appName}.k8s.yaml`;
    if (byFile.has(file) && file !== NAMESPACE_FILE) throw new Error(`two charts render ${file}`);
    const objs = objects[i];
    for (const obj of objs) withGitopsAnnotations(obj);
    byFile.get(NAMESPACE_FILE)!.push(...objs.filter((o) => o.kind === 'Namespace'));
    if (file !== NAMESPACE_FILE) byFile.set(file, objs.filter((o) => o.kind !== 'Namespace'));
  }
  // The API server's own rules (lib/api-rules.ts) on every object as written, GitOps annotations included.
  const refused = objects.flat().flatMap((obj) => apiProblems(obj as Record<string, unknown>).map((p) => refusal(env, obj as Record<string, unknown>, p)));
  if (refused.length) throw new RenderRefused(refused);
  const files: RenderedEnvironment = new Map();
  for (const [file, objs] of byFile) if (objs.length) files.set(file, objs.map((o) => toYaml(o)).join('---\n'));
  files.set(
    'kustomization.yaml',
    toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...files.keys()] }),
  );
  const bootstrap = [...bootstrapFiles(env, '.').entries()].filter(([f]) => f !== 'kustomization.yaml').flatMap(([, text]) => loadAll(text) as PlainObject[]);
  files.set(PREREQUISITES_FILE, prerequisites(env, [...byFile.values()].flat(), bootstrap));
  return files;
}
