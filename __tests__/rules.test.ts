/**
 * The PrometheusRules: every expression parses with the official PromQL grammar, every selector names a
 * job/namespace that the monitors really produce (operator discovery simulated in support/prometheus-operator),
 * `promtool check rules` accepts them, and `promtool test rules` shows each alert firing on bad input series
 * and staying quiet on healthy ones. The input series carry the labels the simulated scrape gives, not labels
 * read from the rules, so a selector that drifted from the monitors fails here.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dump } from 'js-yaml';
import { anyEnv, env, objects, productionWith, ROOT, SCALE_OUT, tempDir } from './helpers';
import { RUNBOOKS_FILE } from '../lib/monitoring/rules/model';
import { PROMTOOL, PROMTOOL_MISSING, promtool, promtoolAsync } from './support/promtool';
import { ScrapeTarget, scrapeTargets } from './support/prometheus-operator';
import { labelMatchers, promqlErrors, selectsAny } from './support/promql';

const all = objects(env('production'));
const ruleObjects = all.filter((o) => o.kind === 'PrometheusRule');
const rules = ruleObjects.flatMap((o) => o.spec.groups.flatMap((g: any) => g.rules.map((r: any) => ({ ...r, object: o.metadata.name }))));
const alerts = rules.filter((r) => r.alert);
const targets = scrapeTargets(all);

describe('PrometheusRule expressions', () => {
  test('there are rules for every component the monitors scrape', () => {
    expect(ruleObjects.map((o) => o.metadata.name).sort()).toEqual(['grafana-rules', 'loki-rules', 'otel-collector-rules', 'prometheus-rules', 'promtail-rules', 'tempo-rules']);
  });

  test.each(rules.map((r) => [r.alert ?? r.record, r.expr]))('%s parses with the PromQL grammar', (_name, expr) => {
    expect(promqlErrors(expr)).toEqual([]);
  });

  test('the grammar check catches a broken expression', () => {
    expect(promqlErrors('sum by (job (rate(x[5m]))').length).toBeGreaterThan(0);
  });

  test('every job and namespace matcher matches a target the monitors produce', () => {
    const jobs = targets.map((t) => t.labels.job);
    const namespaces = targets.map((t) => t.labels.namespace);
    let checked = 0;
    for (const r of rules) {
      for (const [label, op, value] of labelMatchers(r.expr)) {
        if (label !== 'job' && label !== 'namespace') continue;
        // The retention rule reads the platform's Prometheus, in its own namespace.
        const candidates = label === 'job' ? jobs : r.object === 'prometheus-rules' ? [PROMETHEUS_NAMESPACE] : namespaces;
        const hit = selectsAny(op, value, candidates);
        expect([r.alert ?? r.record, label, value, hit]).toEqual([r.alert ?? r.record, label, value, true]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(rules.length);
  });

  test.each(SCALE_OUT)('%s: the rules select every scaled-out target, and only jobs that exist', (variant) => {
    const objs = objects(anyEnv(variant));
    const scaled = scrapeTargets(objs);
    const exprs = objs.filter((o) => o.kind === 'PrometheusRule').flatMap((o) => o.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.expr as string)));
    const selected = new Set<string>();
    for (const expr of exprs) {
      expect(promqlErrors(expr)).toEqual([]);
      for (const [label, op, value] of labelMatchers(expr)) {
        if (label !== 'job') continue;
        const hits = scaled.map((t) => t.labels.job).filter((j) => selectsAny(op, value, [j]));
        expect([value, hits.length > 0]).toEqual([value, true]);
        hits.forEach((j) => selected.add(j));
      }
    }
    // Every target's job is covered by some rule (its TargetDown at least).
    expect([...new Set(scaled.map((t) => t.labels.job))].filter((j) => !selected.has(j))).toEqual([]);
  });

  test('every alert has a severity, a summary, a description and a runbook section in RUNBOOKS.md', () => {
    const runbooks = readFileSync(path.join(ROOT, RUNBOOKS_FILE), 'utf8');
    const anchors = new Set([...runbooks.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
    // With Alloy as the log agent its alerts replace Promtail's.
    const alloy = objects(anyEnv('production-alloy-files')).filter((o) => o.kind === 'PrometheusRule' && o.metadata.name === 'alloy-rules');
    const alloyAlerts = alloy.flatMap((o) => o.spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert)));
    expect(alloyAlerts.length).toBeGreaterThan(0);
    for (const a of [...alerts, ...alloyAlerts]) {
      expect(['critical', 'warning']).toContain(a.labels.severity);
      expect(a.annotations.summary).toBeTruthy();
      expect(a.annotations.description).toBeTruthy();
      const anchor = a.annotations.runbook_url.split('#')[1];
      expect([a.alert, anchors.has(anchor)]).toEqual([a.alert, true]);
    }
  });
});

// ---- promtool unit tests ---------------------------------------------------------------------------

interface Series {
  name: string;
  labels?: Record<string, string>;
  values: string;
}
interface AlertCase {
  alert: string;
  /** Workload whose scrape labels (namespace, job) the series carry. */
  target: string;
  /** Labels instead of the target's, for series the stack's monitors do not produce (the platform's Prometheus). */
  base?: Record<string, string>;
  firing: Series[];
  quiet: Series[];
  /** Labels the alert keeps besides namespace, job and severity. */
  labels?: Record<string, string>;
  at?: string;
  interval?: string;
}

const s = (name: string, labels: Record<string, string>, values: string): Series => ({ name, labels, values });
const LOKI = 'StatefulSet/loki';
const TEMPO = 'StatefulSet/tempo';
const GATEWAY = 'Deployment/otel-gateway';
const SAMPLER = 'Deployment/otel-sampler';
const PROMTAIL = 'DaemonSet/promtail';
const GRAFANA = 'Deployment/grafana';
const INSTANCE = { instance: '10.0.0.5:3101' };
/** prometheus.url's namespace in production (monitoring.svc). */
const PROMETHEUS_NAMESPACE = new URL(env('production').config.prometheus.url).hostname.split('.')[1];

/** A counter's error share: `bad` per minute against `good` per minute. */
const ratio = (name: string, bad: Record<string, string>, good: Record<string, string>, badPerMin: number, goodPerMin: number): Series[] => [
  s(name, bad, `0+${badPerMin}x60`),
  s(name, good, `0+${goodPerMin}x60`),
];
/** A failure counter that keeps moving, against one that does not. */
const failing = (alert: string, target: string, name: string): AlertCase => ({ alert, target, firing: [s(name, {}, '0+1x60')], quiet: [s(name, {}, '3x60')] });

const CASES: AlertCase[] = [
  // Loki
  { alert: 'LokiRequestErrors', target: LOKI, firing: ratio('loki_request_duration_seconds_count', { route: 'loki_api_v1_push', status_code: '500' }, { route: 'loki_api_v1_push', status_code: '204' }, 60, 600), quiet: ratio('loki_request_duration_seconds_count', { route: 'loki_api_v1_push', status_code: '500' }, { route: 'loki_api_v1_push', status_code: '204' }, 1, 600), labels: { route: 'loki_api_v1_push' } },
  {
    alert: 'LokiRequestLatency',
    target: LOKI,
    firing: [['0.5', '0+1x60'], ['1', '0+1x60'], ['5', '0+60x60'], ['+Inf', '0+60x60']].map(([le, v]) => s('loki_request_duration_seconds_bucket', { route: 'loki_api_v1_query_range', le }, v)),
    quiet: [['0.5', '0+60x60'], ['1', '0+60x60'], ['5', '0+60x60'], ['+Inf', '0+60x60']].map(([le, v]) => s('loki_request_duration_seconds_bucket', { route: 'loki_api_v1_query_range', le }, v)),
    labels: { route: 'loki_api_v1_query_range' },
  },
  { alert: 'LokiDiscardingSamples', target: LOKI, firing: [s('loki_discarded_samples_total', { reason: 'rate_limited', tenant: 'a' }, '0+60x60'), s('loki_distributor_lines_received_total', { tenant: 'a' }, '0+600x60')], quiet: [s('loki_discarded_samples_total', { reason: 'rate_limited', tenant: 'a' }, '0+1x60'), s('loki_distributor_lines_received_total', { tenant: 'a' }, '0+600x60')], labels: { reason: 'rate_limited' } },
  failing('LokiIngesterFlushFailures', LOKI, 'loki_ingester_chunks_flush_failures_total'),
  { alert: 'LokiCompactorNotRunning', target: LOKI, firing: [s('loki_boltdb_shipper_compactor_running', {}, '0x60')], quiet: [s('loki_boltdb_shipper_compactor_running', {}, '1x60')] },
  // Timestamps: never set (0) against one that follows the clock; evaluated after the 3-hour threshold.
  { alert: 'LokiCompactionStale', target: LOKI, interval: '4m', at: '5h', firing: [s('loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds', {}, '0x80')], quiet: [s('loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds', {}, '0+240x80')] },
  { alert: 'LokiRetentionStale', target: LOKI, interval: '4m', at: '5h', firing: [s('loki_compactor_apply_retention_last_successful_run_timestamp_seconds', {}, '0x80')], quiet: [s('loki_compactor_apply_retention_last_successful_run_timestamp_seconds', {}, '0+240x80')] },
  { alert: 'LokiRulerEvaluationFailures', target: LOKI, firing: [s('loki_prometheus_rule_evaluation_failures_total', { user: 'fake', rule_group: 'errors' }, '0+1x60')], quiet: [s('loki_prometheus_rule_evaluation_failures_total', { user: 'fake', rule_group: 'errors' }, '0x60')], labels: { rule_group: 'errors' } },
  { alert: 'LokiRequestPanics', target: LOKI, at: '15m', firing: [s('loki_panic_total', {}, '0x10 1x50')], quiet: [s('loki_panic_total', {}, '0x60')] },
  // Tempo
  { alert: 'TempoRequestErrors', target: TEMPO, firing: ratio('tempo_request_duration_seconds_count', { route: 'api_search', status_code: '500' }, { route: 'api_search', status_code: '200' }, 60, 600), quiet: ratio('tempo_request_duration_seconds_count', { route: 'api_search', status_code: '500' }, { route: 'api_search', status_code: '200' }, 1, 600), labels: { route: 'api_search' } },
  { alert: 'TempoDistributorRefusingSpans', target: TEMPO, firing: [s('tempo_discarded_spans_total', { reason: 'rate_limited', tenant: 'single-tenant' }, '0+60x60'), s('tempo_distributor_spans_received_total', { tenant: 'single-tenant' }, '0+600x60')], quiet: [s('tempo_discarded_spans_total', { reason: 'rate_limited', tenant: 'single-tenant' }, '0+1x60'), s('tempo_distributor_spans_received_total', { tenant: 'single-tenant' }, '0+600x60')], labels: { reason: 'rate_limited' } },
  failing('TempoLiveStoreCompletionFailures', TEMPO, 'tempo_live_store_failed_completions_total'),
  failing('TempoLiveStoreFlushFailures', TEMPO, 'tempo_live_store_local_failed_flushes_total'),
  failing('TempoCompactionFailures', TEMPO, 'tempodb_compaction_errors_total'),
  failing('TempoRetentionFailures', TEMPO, 'tempodb_retention_errors_total'),
  failing('TempoBlocklistPollFailures', TEMPO, 'tempodb_blocklist_poll_errors_total'),
  { alert: 'TempoTenantIndexTooOld', target: TEMPO, firing: [s('tempodb_blocklist_tenant_index_age_seconds', { tenant: 'single-tenant' }, '900x60')], quiet: [s('tempodb_blocklist_tenant_index_age_seconds', { tenant: 'single-tenant' }, '60x60')], labels: { tenant: 'single-tenant' } },
  { alert: 'TempoBackendErrors', target: TEMPO, firing: ratio('tempodb_backend_request_duration_seconds_count', { operation: 'GET', status_code: '503' }, { operation: 'GET', status_code: '200' }, 60, 600), quiet: ratio('tempodb_backend_request_duration_seconds_count', { operation: 'GET', status_code: '404' }, { operation: 'GET', status_code: '200' }, 60, 600), labels: { operation: 'GET' } },
  { alert: 'TempoBackendJobsFailing', target: TEMPO, firing: [s('tempo_backend_scheduler_jobs_failed_total', { tenant: 't', job_type: 'compaction' }, '0+1x60'), s('tempo_backend_scheduler_jobs_created_total', { tenant: 't', job_type: 'compaction' }, '0+10x60')], quiet: [s('tempo_backend_scheduler_jobs_failed_total', { tenant: 't', job_type: 'compaction' }, '0x60'), s('tempo_backend_scheduler_jobs_created_total', { tenant: 't', job_type: 'compaction' }, '0+10x60')], labels: { job_type: 'compaction' } },
  // Collector
  { alert: 'OtelcolReceiverRefusingSpans', target: GATEWAY, firing: [s('otelcol_receiver_refused_spans', { receiver: 'otlp', transport: 'grpc' }, '0+60x60'), s('otelcol_receiver_accepted_spans', { receiver: 'otlp', transport: 'grpc' }, '0+600x60')], quiet: [s('otelcol_receiver_refused_spans', { receiver: 'otlp', transport: 'grpc' }, '0x60'), s('otelcol_receiver_accepted_spans', { receiver: 'otlp', transport: 'grpc' }, '0+600x60')], labels: { receiver: 'otlp' } },
  { alert: 'OtelcolReceiverFailedSpans', target: GATEWAY, firing: [s('otelcol_receiver_failed_spans', { receiver: 'otlp', transport: 'http' }, '0+10x60')], quiet: [s('otelcol_receiver_failed_spans', { receiver: 'otlp', transport: 'http' }, '0x60')], labels: { receiver: 'otlp' } },
  { alert: 'OtelcolExporterSendFailures', target: SAMPLER, firing: [s('otelcol_exporter_send_failed_spans', { exporter: 'otlp_grpc' }, '0+60x60'), s('otelcol_exporter_sent_spans', { exporter: 'otlp_grpc' }, '0+600x60')], quiet: [s('otelcol_exporter_send_failed_spans', { exporter: 'otlp_grpc' }, '0x60'), s('otelcol_exporter_sent_spans', { exporter: 'otlp_grpc' }, '0+600x60')], labels: { exporter: 'otlp_grpc' } },
  { alert: 'OtelcolExporterQueueNearlyFull', target: SAMPLER, firing: [s('otelcol_exporter_queue_size', { exporter: 'otlp_grpc', data_type: 'traces' }, '900x60'), s('otelcol_exporter_queue_capacity', { exporter: 'otlp_grpc', data_type: 'traces' }, '1000x60')], quiet: [s('otelcol_exporter_queue_size', { exporter: 'otlp_grpc', data_type: 'traces' }, '100x60'), s('otelcol_exporter_queue_capacity', { exporter: 'otlp_grpc', data_type: 'traces' }, '1000x60')], labels: { exporter: 'otlp_grpc' } },
  { alert: 'OtelcolExporterEnqueueFailures', target: GATEWAY, firing: [s('otelcol_exporter_enqueue_failed_spans', { exporter: 'loadbalancing' }, '0+10x60')], quiet: [s('otelcol_exporter_enqueue_failed_spans', { exporter: 'loadbalancing' }, '0x60')], labels: { exporter: 'loadbalancing' } },
  { alert: 'OtelcolTracesDroppedBeforeDecision', target: SAMPLER, firing: [s('otelcol_processor_tail_sampling_sampling_trace_dropped_too_early', { processor: 'tail_sampling', worker: '0' }, '0+5x60')], quiet: [s('otelcol_processor_tail_sampling_sampling_trace_dropped_too_early', { processor: 'tail_sampling', worker: '0' }, '0x60')] },
  { alert: 'OtelcolSamplingPolicyErrors', target: SAMPLER, firing: [s('otelcol_processor_tail_sampling_sampling_policy_evaluation_error', { policy: 'keep-slow' }, '0+5x60')], quiet: [s('otelcol_processor_tail_sampling_sampling_policy_evaluation_error', { policy: 'keep-slow' }, '0x60')], labels: { policy: 'keep-slow' } },
  { alert: 'OtelcolMemoryLimiterRefusing', target: GATEWAY, firing: [s('otelcol_processor_memory_limiter_refused_spans', { processor: 'memory_limiter' }, '0+50x60')], quiet: [s('otelcol_processor_memory_limiter_refused_spans', { processor: 'memory_limiter' }, '0x60')] },
  { alert: 'OtelcolSamplerBackendsMissing', target: GATEWAY, firing: [s('otelcol_loadbalancer_num_backends', { resolver: 'dns' }, '1x60')], quiet: [s('otelcol_loadbalancer_num_backends', { resolver: 'dns' }, `${env('production').config.collector.sampler.replicas}x60`)] },
  // Promtail
  { alert: 'PromtailDroppingEntries', target: PROMTAIL, firing: [s('promtail_dropped_entries_total', { ...INSTANCE, host: 'loki:3100', reason: 'rate_limited', tenant: '' }, '0+5x60')], quiet: [s('promtail_dropped_entries_total', { ...INSTANCE, host: 'loki:3100', reason: 'rate_limited', tenant: '' }, '0x60')], labels: { ...INSTANCE, reason: 'rate_limited' } },
  { alert: 'PromtailPushErrors', target: PROMTAIL, firing: ratio('promtail_request_duration_seconds_count', { ...INSTANCE, host: 'loki:3100', status_code: '-1' }, { ...INSTANCE, host: 'loki:3100', status_code: '204' }, 60, 60), quiet: ratio('promtail_request_duration_seconds_count', { ...INSTANCE, host: 'loki:3100', status_code: '500' }, { ...INSTANCE, host: 'loki:3100', status_code: '204' }, 1, 600), labels: INSTANCE },
  { alert: 'PromtailFileLagging', target: PROMTAIL, firing: [s('promtail_file_bytes_total', { ...INSTANCE, path: '/var/log/pods/a/0.log' }, '52428800x60'), s('promtail_read_bytes_total', { ...INSTANCE, path: '/var/log/pods/a/0.log' }, '1048576x60')], quiet: [s('promtail_file_bytes_total', { ...INSTANCE, path: '/var/log/pods/a/0.log' }, '52428800x60'), s('promtail_read_bytes_total', { ...INSTANCE, path: '/var/log/pods/a/0.log' }, '52428800x60')], labels: { ...INSTANCE, path: '/var/log/pods/a/0.log' } },
  // The platform's Prometheus, scraping itself (kube-prometheus-stack's default retention is 10 days).
  {
    alert: 'PrometheusRetentionBelowTarget',
    target: '',
    base: { namespace: PROMETHEUS_NAMESPACE, job: 'kube-prometheus-stack-prometheus', instance: '10.0.3.7:9090' },
    interval: '5m',
    at: '2h',
    firing: [s('prometheus_tsdb_retention_limit_seconds', {}, `${10 * 86400}x40`)],
    quiet: [s('prometheus_tsdb_retention_limit_seconds', {}, `${15 * 86400}x40`)],
    labels: { instance: '10.0.3.7:9090' },
  },
  // Grafana
  { alert: 'GrafanaDatasourceErrors', target: GRAFANA, firing: ratio('grafana_datasource_request_total', { datasource: 'Loki', datasource_type: 'loki', code: '502', method: 'get' }, { datasource: 'Loki', datasource_type: 'loki', code: '200', method: 'get' }, 60, 600), quiet: ratio('grafana_datasource_request_total', { datasource: 'Loki', datasource_type: 'loki', code: '400', method: 'get' }, { datasource: 'Loki', datasource_type: 'loki', code: '200', method: 'get' }, 60, 600), labels: { datasource: 'Loki' } },
  { alert: 'GrafanaHttpServerErrors', target: GRAFANA, firing: ratio('grafana_http_request_duration_seconds_count', { handler: '/api/ds/query', status_code: '500', method: 'POST' }, { handler: '/api/ds/query', status_code: '200', method: 'POST' }, 60, 600), quiet: ratio('grafana_http_request_duration_seconds_count', { handler: '/api/ds/query', status_code: '500', method: 'POST' }, { handler: '/api/ds/query', status_code: '200', method: 'POST' }, 1, 600) },
];

/** TargetDown and NotScraped for every component, generated from the targets the monitors produce. */
function targetCases(): AlertCase[] {
  const prefixes: Record<string, string[]> = { Loki: [LOKI], Tempo: [TEMPO], Otelcol: [GATEWAY, SAMPLER], Promtail: [PROMTAIL], Grafana: [GRAFANA] };
  return Object.entries(prefixes).flatMap(([prefix, workloads]) => [
    ...workloads.map((w) => ({ alert: `${prefix}TargetDown`, target: w, firing: [s('up', INSTANCE, '1 1 0x58')], quiet: [s('up', INSTANCE, '1x60')], labels: INSTANCE })),
    // Every other target of the component is up; only this one is missing (firing) or present (quiet).
    ...workloads.map((w) => ({
      alert: `${prefix}NotScraped`,
      target: w,
      firing: workloads.filter((o) => o !== w).map((o) => ({ ...s('up', INSTANCE, '1x60'), target: o })),
      quiet: workloads.map((o) => ({ ...s('up', INSTANCE, '1x60'), target: o })),
    })),
  ]);
}

function scrapeLabels(workload: string): Record<string, string> {
  const t: ScrapeTarget | undefined = targets.find((x) => x.workload === workload);
  if (!t) throw new Error(`no scrape target for ${workload}`);
  return { namespace: t.labels.namespace, job: t.labels.job };
}

const seriesText = (x: Series & { target?: string }, workload: string, base?: Record<string, string>) => {
  const labels = { ...(base ?? scrapeLabels(x.target ?? workload)), ...x.labels };
  return `${x.name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
};

function expand(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l) => labels[l] ?? '');
}

function testGroups(c: AlertCase, rendered: any[] = alerts): object[] {
  const rule = rendered.find((a) => a.alert === c.alert);
  if (!rule) throw new Error(`no rendered alert ${c.alert}`);
  const at = c.at ?? '20m';
  const labels = { ...(c.base ?? scrapeLabels(c.target)), ...c.labels, severity: rule.labels.severity };
  const annotations = Object.fromEntries(Object.entries(rule.annotations as Record<string, string>).map(([k, v]) => [k, expand(v, labels)]));
  const group = (series: Series[], exp: object[]) => ({
    name: `${c.alert} ${c.target} ${exp.length ? 'fires' : 'stays quiet'}`,
    interval: c.interval ?? '1m',
    // An unrelated series, so a group whose case has no series of its own still has input.
    input_series: [{ series: 'unrelated_metric{job="other"}', values: '1x60' }, ...series.map((x) => ({ series: seriesText(x, c.target, c.base), values: x.values }))],
    alert_rule_test: [{ eval_time: at, alertname: c.alert, exp_alerts: exp }],
  });
  return [group(c.firing, [{ exp_labels: labels, exp_annotations: annotations }]), group(c.quiet, [])];
}

const ALL_CASES = [...CASES, ...targetCases()];

describe('promtool', () => {
  if (!PROMTOOL) {
    // Visible in the jest output, and the suite still says what to install.
    test.skip(PROMTOOL_MISSING, () => undefined);
    console.warn(`SKIPPED promtool rule checks and unit tests: ${PROMTOOL_MISSING}`);
    return;
  }
  const dir = tempDir('promtool-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files = ruleObjects.map((o) => {
    const file = `${o.metadata.name}.rules.json`;
    writeFileSync(path.join(dir, file), JSON.stringify(o.spec));
    return file;
  });

  test('promtool check rules accepts every PrometheusRule spec, lint included', () => {
    const r = promtool(['check', 'rules', '--lint-fatal', ...files], dir);
    expect(r.output).not.toMatch(/FAILED|error/i);
    expect(r.code).toBe(0);
  });

  test('every alert has a unit test case', () => {
    expect(new Set(ALL_CASES.map((c) => c.alert))).toEqual(new Set(alerts.map((a) => a.alert)));
  });

  test(`promtool test rules: ${ALL_CASES.length} alert cases fire on bad series and stay quiet on healthy ones`, async () => {
    // One test file per PrometheusRule (promtool evaluates every listed rule at every step, so fewer rules per
    // file is faster), long-horizon cases apart with a coarser evaluation step, all files run in parallel.
    const runs = ruleObjects.flatMap((o) => {
      const cases = ALL_CASES.filter((c) => alerts.find((a) => a.alert === c.alert)!.object === o.metadata.name);
      return [false, true].flatMap((long) => {
        const mine = cases.filter((c) => Boolean(c.at && c.at.endsWith('h')) === long);
        if (!mine.length) return [];
        const testFile = `${o.metadata.name}${long ? '-long' : ''}.test.yaml`;
        writeFileSync(path.join(dir, testFile), dump({ rule_files: [`${o.metadata.name}.rules.json`], evaluation_interval: long ? '5m' : '1m', tests: mine.flatMap((c) => testGroups(c)) }, { lineWidth: -1 }));
        return [promtoolAsync(['test', 'rules', testFile], dir)];
      });
    });
    for (const r of await Promise.all(runs)) {
      expect(r.output).toContain('SUCCESS');
      expect(r.code).toBe(0);
    }
  }, 45_000);

  test('Tempo 2.10: the write-path alerts follow the ingester, and fire and stay quiet', async () => {
    const objs = objects(productionWith({ tempo: { image: 'grafana/tempo:2.10.8' } }, 'production-tempo2'));
    const spec = objs.find((o) => o.kind === 'PrometheusRule' && o.metadata.name === 'tempo-rules')!.spec;
    const rendered = spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert));
    const names = rendered.map((r: any) => r.alert);
    expect(names).toContain('TempoIngesterFlushFailures');
    expect(names.filter((n: string) => n.startsWith('TempoLiveStore') || n === 'TempoBackendJobsFailing')).toEqual([]);
    writeFileSync(path.join(dir, 'tempo2.rules.json'), JSON.stringify(spec));
    const cases = [failing('TempoIngesterFlushFailures', TEMPO, 'tempo_ingester_failed_flushes_total')];
    writeFileSync(path.join(dir, 'tempo2.test.yaml'), dump({ rule_files: ['tempo2.rules.json'], evaluation_interval: '1m', tests: cases.flatMap((c) => testGroups(c, rendered)) }, { lineWidth: -1 }));
    const r = await promtoolAsync(['test', 'rules', 'tempo2.test.yaml'], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  }, 30_000);

  test('distributed Loki: discards counted by the ingesters are measured against the distributors\' receipts', async () => {
    const objs = objects(anyEnv('production-distributed'));
    const spec = objs.find((o) => o.kind === 'PrometheusRule' && o.metadata.name === 'loki-rules')!.spec;
    const rendered = spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert));
    const job = (w: string) => scrapeTargets(objs).find((t) => t.workload === w)!.labels;
    const ingester = { namespace: job('StatefulSet/loki-ingester').namespace, job: job('StatefulSet/loki-ingester').job };
    const distributor = { namespace: job('Deployment/loki-distributor').namespace, job: job('Deployment/loki-distributor').job };
    writeFileSync(path.join(dir, 'loki-distributed.rules.json'), JSON.stringify(spec));
    const c: AlertCase = {
      alert: 'LokiDiscardingSamples',
      target: '',
      base: ingester,
      firing: [s('loki_discarded_samples_total', { reason: 'per_stream_rate_limit', tenant: 'a' }, '0+60x60'), { ...s('loki_distributor_lines_received_total', { ...distributor, tenant: 'a' }, '0+600x60') }],
      quiet: [s('loki_discarded_samples_total', { reason: 'per_stream_rate_limit', tenant: 'a' }, '0+1x60'), { ...s('loki_distributor_lines_received_total', { ...distributor, tenant: 'a' }, '0+600x60') }],
      labels: { reason: 'per_stream_rate_limit' },
    };
    writeFileSync(path.join(dir, 'loki-distributed.test.yaml'), dump({ rule_files: ['loki-distributed.rules.json'], evaluation_interval: '1m', tests: testGroups(c, rendered) }, { lineWidth: -1 }));
    const r = await promtoolAsync(['test', 'rules', 'loki-distributed.test.yaml'], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  }, 30_000);

  test('distributed Tempo: the rollout-operator alerts fire on a failing group or a lost target, and stay quiet', async () => {
    const objs = objects(anyEnv('production-distributed'));
    const spec = objs.find((o) => o.kind === 'PrometheusRule' && o.metadata.name === 'rollout-operator-rules')!.spec;
    const rendered = spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert));
    const t = scrapeTargets(objs).find((x) => x.workload === 'Deployment/rollout-operator')!.labels;
    const base = { namespace: t.namespace, job: t.job };
    const group = { rollout_group: 'tempo-live-store' };
    const cases: AlertCase[] = [
      { alert: 'RolloutOperatorReconcileFailing', target: '', base, firing: [s('rollout_operator_group_reconciles_failed_total', group, '0+3x60')], quiet: [s('rollout_operator_group_reconciles_failed_total', group, '4x60')], labels: group },
      { alert: 'RolloutOperatorTargetDown', target: '', base, firing: [s('up', INSTANCE, '1 1 0x58')], quiet: [s('up', INSTANCE, '1x60')], labels: INSTANCE },
      { alert: 'RolloutOperatorNotScraped', target: '', base, firing: [], quiet: [s('up', INSTANCE, '1x60')] },
    ];
    expect(rendered.map((r: any) => r.alert).sort()).toEqual(cases.map((c) => c.alert).sort());
    const runbooks = readFileSync(path.join(ROOT, 'RUNBOOKS.md'), 'utf8');
    for (const r of rendered) expect(runbooks).toContain(`### ${r.alert}\n`);
    writeFileSync(path.join(dir, 'rollout-operator.rules.json'), JSON.stringify(spec));
    writeFileSync(path.join(dir, 'rollout-operator.test.yaml'), dump({ rule_files: ['rollout-operator.rules.json'], evaluation_interval: '1m', tests: cases.flatMap((c) => testGroups(c, rendered)) }, { lineWidth: -1 }));
    const r = await promtoolAsync(['test', 'rules', 'rollout-operator.test.yaml'], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  }, 30_000);

  // Alloy's loki.write and loki.source.file metrics (internal/component/common/loki/client/metrics.go,
  // loki.source.file metrics.go) carry the same labels as Promtail's under their own names.
  test.each(['files', 'api'] as const)('Alloy reading %s: the log agent alerts fire on its metrics and stay quiet', async (source) => {
    const objs = objects(anyEnv(`production-alloy-${source}`));
    const spec = objs.find((o) => o.kind === 'PrometheusRule' && o.metadata.name === 'alloy-rules')!.spec;
    const rendered = spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert));
    const t = scrapeTargets(objs).find((x) => x.workload === 'DaemonSet/alloy')!.labels;
    const base = { namespace: t.namespace, job: t.job };
    const push = { ...INSTANCE, host: 'loki:3100', tenant: '' };
    const path1 = { ...INSTANCE, path: '/var/log/pods/a/0.log' };
    const cases: AlertCase[] = [
      { alert: 'AlloyDroppingEntries', target: '', base, firing: [s('loki_write_dropped_entries_total', { ...push, reason: 'rate_limited' }, '0+5x60')], quiet: [s('loki_write_dropped_entries_total', { ...push, reason: 'rate_limited' }, '0x60')], labels: { ...INSTANCE, reason: 'rate_limited' } },
      { alert: 'AlloyPushErrors', target: '', base, firing: ratio('loki_write_request_duration_seconds_count', { ...push, status_code: '-1' }, { ...push, status_code: '204' }, 60, 60), quiet: ratio('loki_write_request_duration_seconds_count', { ...push, status_code: '500' }, { ...push, status_code: '204' }, 1, 600), labels: INSTANCE },
      { alert: 'AlloyTargetDown', target: '', base, firing: [s('up', INSTANCE, '1 1 0x58')], quiet: [s('up', INSTANCE, '1x60')], labels: INSTANCE },
      ...(source === 'files'
        ? [{ alert: 'AlloyFileLagging', target: '', base, firing: [s('loki_source_file_file_bytes_total', path1, '52428800x60'), s('loki_source_file_read_bytes_total', path1, '1048576x60')], quiet: [s('loki_source_file_file_bytes_total', path1, '52428800x60'), s('loki_source_file_read_bytes_total', path1, '52428800x60')], labels: path1 }]
        : []),
    ];
    const names = rendered.map((r: any) => r.alert).sort();
    expect(names).toEqual(['AlloyDroppingEntries', ...(source === 'files' ? ['AlloyFileLagging'] : []), 'AlloyNotScraped', 'AlloyPushErrors', 'AlloyTargetDown']);
    expect(objs.some((o) => o.kind === 'PrometheusRule' && o.metadata.name === 'promtail-rules')).toBe(false);
    writeFileSync(path.join(dir, `alloy-${source}.rules.json`), JSON.stringify(spec));
    writeFileSync(path.join(dir, `alloy-${source}.test.yaml`), dump({ rule_files: [`alloy-${source}.rules.json`], evaluation_interval: '1m', tests: cases.flatMap((c) => testGroups(c, rendered)) }, { lineWidth: -1 }));
    const r = await promtoolAsync(['test', 'rules', `alloy-${source}.test.yaml`], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  }, 30_000);

  test('the unit tests fail when a selector does not match what the monitors produce', () => {
    const broken = JSON.parse(JSON.stringify(ruleObjects.find((o) => o.metadata.name === 'loki-rules')!.spec));
    for (const g of broken.groups) for (const r of g.rules) r.expr = r.expr.replaceAll(scrapeLabels(LOKI).job, 'loki');
    writeFileSync(path.join(dir, 'broken.rules.json'), JSON.stringify(broken));
    const testFile = path.join(dir, 'broken.test.yaml');
    const lokiCases = CASES.filter((c) => c.alert === 'LokiRequestErrors');
    writeFileSync(testFile, dump({ rule_files: ['broken.rules.json'], evaluation_interval: '1m', tests: lokiCases.flatMap((c) => testGroups(c)) }, { lineWidth: -1 }));
    const r = promtool(['test', 'rules', testFile], dir);
    expect(r.code).toBe(1);
    expect(r.output).toContain('FAILED');
  });
});

