import { div, gt, histogramQuantile, increase, lt, max, metric, minus, nre, rate, re, sum, time } from '../promql';
import { by, persistentFailures, RuleSet, Targets } from './model';
import { targetAlerts } from './targets';

/** Recorded per-route p99 latency; the latency alert and the Loki dashboard read it. */
export const LOKI_P99 = 'namespace_job_route:loki_request_duration_seconds:99quantile';
/** Long-lived streams whose duration is not latency: live tailing and the scheduler's querier loop. */
const STREAMING_ROUTES = '(?i).*tail.*|/schedulerpb.SchedulerForQuerier/QuerierLoop';
/** Server errors: HTTP 5xx, and gRPC failures, which dskit reports as status_code="error" (middleware/grpc_instrumentation.go). */
export const SERVER_ERRORS = '5..|error';

/**
 * Loki (metric names from Loki 3.7: dskit server, pkg/validation, pkg/ingester, pkg/compactor, pkg/ruler).
 * `sel` selects every Loki target, whatever the deployment mode: the same rules hold for one process or many.
 */
export function lokiRules(t: Targets): RuleSet {
  const { sel } = t;
  const requests = metric('loki_request_duration_seconds_count', ...sel);
  const compactedAt = metric('loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds', ...sel);
  const retainedAt = metric('loki_compactor_apply_retention_last_successful_run_timestamp_seconds', ...sel);
  return {
    name: 'loki-rules',
    groups: [
      {
        name: 'loki-recording',
        rules: [{ record: LOKI_P99, expr: histogramQuantile(0.99, sum(by('route', 'le'), rate(metric('loki_request_duration_seconds_bucket', ...sel).over('5m')))) }],
      },
      {
        name: 'loki-alerts',
        rules: [
          ...targetAlerts('Loki', 'Loki', t),
          {
            alert: 'LokiRequestErrors',
            expr: gt(div(sum(by('route'), rate(requests.with(re('status_code', SERVER_ERRORS)).over('5m'))), sum(by('route'), rate(requests.over('5m')))), 0.05),
            // 5 % of a route failing for 15 minutes outlasts a restart or a WAL replay (a few minutes of 5xx that
            // clients retry through); past that, pushes are being lost or queries fail for users.
            for: '15m',
            severity: 'critical',
            summary: 'Loki route {{ $labels.route }} answers more than 5% server errors',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: more than 5% of requests to {{ $labels.route }} failed with a server error for 15 minutes.',
          },
          {
            alert: 'LokiRequestLatency',
            expr: gt(metric(LOKI_P99, ...sel, nre('route', STREAMING_ROUTES)), 1),
            // One second at p99 is where Grafana panels feel broken and Promtail batches back up; 15 minutes
            // ignores one heavy query.
            for: '15m',
            severity: 'warning',
            summary: 'Loki route {{ $labels.route }} p99 latency above 1s',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: the 99th percentile latency of {{ $labels.route }} stayed above one second for 15 minutes.',
          },
          {
            alert: 'LokiDiscardingSamples',
            // lines_received counts every line parsed from a push, before validation (pkg/loghttp/push), so the
            // ratio is the share of log lines Loki refused, per reason. Discards are counted by the distributors
            // and the ingesters, receipts by the distributors only: the denominator is per namespace, so each
            // job's discards are measured against everything the namespace's Loki received.
            expr: gt(
              div(sum(by('reason'), rate(metric('loki_discarded_samples_total', ...sel).over('5m'))), sum(['namespace'], rate(metric('loki_distributor_lines_received_total', ...sel).over('5m'))), { on: ['namespace'], groupLeft: [] }),
              0.01,
            ),
            // 1 % for 15 minutes: a steady loss (limits too low, clients sending too old or too long lines), not
            // one burst at a restart.
            for: '15m',
            severity: 'warning',
            summary: 'Loki refuses more than 1% of log lines ({{ $labels.reason }})',
            description: '{{ $labels.job }} in {{ $labels.namespace }} discarded more than 1% of received lines for 15 minutes, reason {{ $labels.reason }}.',
          },
          {
            alert: 'LokiIngesterFlushFailures',
            expr: persistentFailures('loki_ingester_chunks_flush_failures_total', sel, 2),
            // Flushes are retried; more than two failures an hour that keep happening mean chunks pile up in
            // memory and the WAL, and are lost if the pod goes.
            for: '5m',
            severity: 'critical',
            summary: 'Loki cannot flush chunks to storage',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: chunk flushes to object storage keep failing.',
          },
          {
            alert: 'LokiCompactorNotRunning',
            expr: lt(sum(by(), metric('loki_boltdb_shipper_compactor_running', ...sel)), 1),
            // Without a compactor no retention runs and the index grows; 15 minutes covers a restart.
            for: '15m',
            severity: 'critical',
            summary: 'No Loki compactor is running',
            description: 'No instance of {{ $labels.job }} in {{ $labels.namespace }} reports itself as the compactor: compaction and retention are stopped.',
          },
          {
            alert: 'LokiCompactionStale',
            // 0 until the first run after a start, so a process that never compacts counts as stale too.
            expr: gt(minus(time(), max(by(), compactedAt)), 3 * 3600),
            // Compaction runs every 10 minutes (compactor.compaction_interval): 3 hours is 18 missed runs.
            for: '15m',
            severity: 'warning',
            summary: 'Loki has not compacted for 3 hours',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: the last successful compaction is more than 3 hours old.',
          },
          {
            alert: 'LokiRetentionStale',
            expr: gt(minus(time(), max(by(), retainedAt)), 3 * 3600),
            // Retention runs with compaction (retention_enabled): when it stops, logs outlive their retention,
            // which costs storage and breaks the retention promise.
            for: '15m',
            severity: 'critical',
            summary: 'Loki has not applied retention for 3 hours',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: the last successful retention run is more than 3 hours old; expired logs are not deleted.',
          },
          {
            alert: 'LokiRulerEvaluationFailures',
            expr: gt(sum(by('rule_group'), rate(metric('loki_prometheus_rule_evaluation_failures_total', ...sel).over('5m'))), 0),
            // Any failing evaluation sustained for 15 minutes: a broken rule, or queries the ruler cannot run.
            for: '15m',
            severity: 'warning',
            summary: 'Loki ruler group {{ $labels.rule_group }} fails to evaluate',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: rule group {{ $labels.rule_group }} has failing evaluations for 15 minutes.',
          },
          {
            alert: 'LokiRequestPanics',
            expr: gt(sum(by(), increase(metric('loki_panic_total', ...sel).over('10m'))), 0),
            // No `for`: a panic is a bug whatever its rate, and the 10-minute window keeps it visible.
            severity: 'critical',
            summary: 'Loki recovered from a panic',
            description: '{{ $labels.job }} in {{ $labels.namespace }} panicked while serving a request in the last 10 minutes: a bug worth reporting upstream.',
          },
        ],
      },
    ],
  };
}
