import { div, gt, increase, max, metric, plus, rate, re, sum } from '../promql';
import { AlertRule, by, persistentFailures, RuleSet, Targets } from './model';
import { targetAlerts } from './targets';
import { SERVER_ERRORS } from './loki';

/**
 * Tempo (metric names from Tempo 3.0 and 2.10: dskit server, modules/overrides, modules/livestore or
 * modules/ingester, tempodb). `major` picks the write-path metrics of the release the stack runs: 3.x
 * completes and flushes blocks in the live-store, 2.x in the ingester.
 */
export function tempoRules(t: Targets, major: 2 | 3): RuleSet {
  const { sel } = t;
  const requests = metric('tempo_request_duration_seconds_count', ...sel);
  const backend = metric('tempodb_backend_request_duration_seconds_count', ...sel);
  // Per namespace: distributors receive, but distributors and live-stores both discard (distributed mode).
  const discarded = sum(['namespace'], rate(metric('tempo_discarded_spans_total', ...sel).over('5m')));
  const writePath: [string, string, string][] =
    major === 3
      ? [
          ['TempoLiveStoreCompletionFailures', 'tempo_live_store_failed_completions_total', 'complete blocks in the live-store'],
          ['TempoLiveStoreFlushFailures', 'tempo_live_store_local_failed_flushes_total', 'flush completed blocks to the backend'],
        ]
      : [['TempoIngesterFlushFailures', 'tempo_ingester_failed_flushes_total', 'flush blocks from the ingester to the backend']];
  const writeAlerts: AlertRule[] = writePath.map(([alert, name, what]) => ({
    alert,
    expr: persistentFailures(name, sel, 2),
    // Retried operations: more than two failures an hour that keep recurring mean traces stay only on the
    // local disk (and are lost with it) or never become searchable.
    for: '5m',
    severity: 'critical',
    summary: `Tempo cannot ${what}`,
    description: `{{ $labels.job }} in {{ $labels.namespace }}: attempts to ${what} keep failing.`,
  }));
  return {
    name: 'tempo-rules',
    groups: [
      {
        name: 'tempo-alerts',
        rules: [
          ...targetAlerts('Tempo', 'Tempo', t),
          {
            alert: 'TempoRequestErrors',
            expr: gt(div(sum(by('route'), rate(requests.with(re('status_code', SERVER_ERRORS)).over('5m'))), sum(by('route'), rate(requests.over('5m')))), 0.05),
            // Covers the query routes (api_search, api_traces_traceid, api_v2_*) and the push path alike. 5 % for
            // 15 minutes outlasts a restart; beyond it users see failed trace lookups.
            for: '15m',
            severity: 'critical',
            summary: 'Tempo route {{ $labels.route }} answers more than 5% server errors',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: more than 5% of requests to {{ $labels.route }} failed with a server error for 15 minutes.',
          },
          {
            alert: 'TempoDistributorRefusingSpans',
            // Refused over refused + received, whichever of the two counts the refused spans as received.
            expr: gt(
              div(sum(by('reason'), rate(metric('tempo_discarded_spans_total', ...sel).over('5m'))), plus(sum(['namespace'], rate(metric('tempo_distributor_spans_received_total', ...sel).over('5m'))), discarded), { on: ['namespace'], groupLeft: [] }),
              0.01,
            ),
            // 1 % for 15 minutes: a limit (rate, trace size, live traces) that steady traffic hits, not a burst.
            for: '15m',
            severity: 'warning',
            summary: 'Tempo refuses more than 1% of spans ({{ $labels.reason }})',
            description: '{{ $labels.job }} in {{ $labels.namespace }} discarded more than 1% of spans for 15 minutes, reason {{ $labels.reason }}.',
          },
          ...writeAlerts,
          {
            alert: 'TempoCompactionFailures',
            expr: persistentFailures('tempodb_compaction_errors_total', sel, 2),
            // A failed compaction is retried next cycle; recurring failures let the block list grow until
            // queries slow down and retention lags.
            for: '15m',
            severity: 'critical',
            summary: 'Tempo compactions keep failing',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: compactions keep failing.',
          },
          {
            alert: 'TempoRetentionFailures',
            expr: persistentFailures('tempodb_retention_errors_total', sel, 2),
            // Same pattern: recurring retention errors mean expired blocks stay in the bucket.
            for: '15m',
            severity: 'critical',
            summary: 'Tempo retention keeps failing',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: deleting expired blocks keeps failing.',
          },
          {
            alert: 'TempoBlocklistPollFailures',
            expr: persistentFailures('tempodb_blocklist_poll_errors_total', sel, 2),
            // Polling the bucket is what every reader, the compactor and retention work from; when it keeps
            // failing, new blocks are not found and nothing is compacted or deleted.
            for: '15m',
            severity: 'critical',
            summary: 'Tempo cannot poll its block list',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: listing blocks in the backend keeps failing.',
          },
          {
            alert: 'TempoTenantIndexTooOld',
            expr: gt(max(by('tenant'), metric('tempodb_blocklist_tenant_index_age_seconds', ...sel)), 600),
            // The index is rebuilt every poll (5 minutes by default): 10 minutes old means a build was missed,
            // and 15 minutes of that means the builder is stuck.
            for: '15m',
            severity: 'critical',
            summary: 'Tempo tenant index of {{ $labels.tenant }} is older than 10 minutes',
            description: '{{ $labels.job }} in {{ $labels.namespace }} reads a tenant index for {{ $labels.tenant }} older than 10 minutes: recent blocks are invisible to queries.',
          },
          {
            alert: 'TempoBackendErrors',
            expr: gt(div(sum(by('operation'), rate(backend.with(re('status_code', '5..')).over('5m'))), sum(by('operation'), rate(backend.over('5m')))), 0.05),
            // 404s are normal (probing for objects); 5 % server errors for 15 minutes is the object store
            // failing, not a blip.
            for: '15m',
            severity: 'warning',
            summary: 'Tempo object storage {{ $labels.operation }} calls fail',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: more than 5% of {{ $labels.operation }} calls to the object store fail with a server error.',
          },
          ...(major === 3
            ? ([
                {
                  alert: 'TempoBackendJobsFailing',
                  expr: gt(
                    div(sum(by('job_type'), increase(metric('tempo_backend_scheduler_jobs_failed_total', ...sel).over('1h'))), sum(by('job_type'), increase(metric('tempo_backend_scheduler_jobs_created_total', ...sel).over('1h')))),
                    0.05,
                  ),
                  // Compaction and retention run as backend-scheduler jobs in 3.x; a 5 % failure share over
                  // an hour means they are not keeping up.
                  for: '15m',
                  severity: 'warning',
                  summary: 'Tempo {{ $labels.job_type }} jobs fail',
                  description: '{{ $labels.job }} in {{ $labels.namespace }}: more than 5% of {{ $labels.job_type }} jobs failed in the last hour.',
                },
              ] satisfies AlertRule[])
            : []),
        ],
      },
    ],
  };
}
