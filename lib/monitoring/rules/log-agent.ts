import { div, gt, max, metric, minus, rate, re, sum } from '../promql';
import { AlertRule, by, RuleSet, Targets } from './model';
import { targetAlerts } from './targets';

/** How far a file's read position may trail its size before the agent counts as lagging. */
export const FILE_LAG_BYTES = 10 * 1024 * 1024;

/**
 * The metrics a log agent exposes for the three things that lose logs: entries given up on, failed pushes, and
 * files read too slowly. Alloy's loki.write and loki.source.file are Promtail's client and file target moved
 * into components, so the same alerts read both under their own names.
 */
export interface LogAgentMetrics {
  /** Alert name prefix and the agent's name in texts. */
  readonly agent: 'Promtail' | 'Alloy';
  readonly ruleSet: string;
  /** Counter of entries dropped after retries or on a permanent rejection (labels host, tenant, reason). */
  readonly dropped: string;
  /** Push request duration histogram (label status_code, -1 when Loki never answered). */
  readonly requestDuration: string;
  /** Counters of entries and bytes sent, and of batches retried. */
  readonly sent: string;
  readonly sentBytes: string;
  readonly retries: string;
  /** Gauges of each tailed file's size and read position (label path), and of files tailed; absent when logs come from the API. */
  readonly files?: { readonly size: string; readonly read: string; readonly active: string };
}

/** Promtail 3.6 (clients/pkg/promtail/client/metrics.go and targets/file metrics). */
export const PROMTAIL_METRICS: LogAgentMetrics = {
  agent: 'Promtail',
  ruleSet: 'promtail-rules',
  dropped: 'promtail_dropped_entries_total',
  requestDuration: 'promtail_request_duration_seconds',
  sent: 'promtail_sent_entries_total',
  sentBytes: 'promtail_sent_bytes_total',
  retries: 'promtail_batch_retries_total',
  // All three are gauges despite the _total suffix: file size and read position per path, files tailed.
  files: { size: 'promtail_file_bytes_total', read: 'promtail_read_bytes_total', active: 'promtail_files_active_total' },
};

/**
 * Alloy 1.18 (internal/component/common/loki/client/metrics.go: loki_write_*; loki.source.file metrics.go:
 * loki_source_file_*, gauges like Promtail's). With `source: api` there are no files to lag behind.
 */
export function alloyMetrics(source: 'files' | 'api'): LogAgentMetrics {
  return {
    agent: 'Alloy',
    ruleSet: 'alloy-rules',
    dropped: 'loki_write_dropped_entries_total',
    requestDuration: 'loki_write_request_duration_seconds',
    sent: 'loki_write_sent_entries_total',
    sentBytes: 'loki_write_sent_bytes_total',
    retries: 'loki_write_batch_retries_total',
    ...(source === 'files'
      ? { files: { size: 'loki_source_file_file_bytes_total', read: 'loki_source_file_read_bytes_total', active: 'loki_source_file_files_active_total' } }
      : {}),
  };
}

export function logAgentRules(t: Targets, m: LogAgentMetrics): RuleSet {
  const { sel } = t;
  const requests = metric(`${m.requestDuration}_count`, ...sel);
  const a = m.agent;
  const fileLagging: AlertRule[] = m.files
    ? [
        {
          alert: `${a}FileLagging`,
          expr: gt(max(by('instance', 'path'), minus(metric(m.files.size, ...sel), metric(m.files.read, ...sel))), FILE_LAG_BYTES),
          // 10 MiB behind for 15 minutes: the agent is not catching up, and kubelet log rotation (10 MiB
          // files by default) will delete lines it has not read.
          for: '15m',
          severity: 'warning',
          summary: `${a} on {{ $labels.instance }} is behind on {{ $labels.path }}`,
          description: '{{ $labels.job }} at {{ $labels.instance }}: {{ $labels.path }} has more than 10 MiB not yet read for 15 minutes.',
        },
      ]
    : [];
  return {
    name: m.ruleSet,
    groups: [
      {
        name: `${m.ruleSet.replace(/-rules$/, '')}-alerts`,
        rules: [
          ...targetAlerts(a, a, t),
          {
            alert: `${a}DroppingEntries`,
            expr: gt(sum(by('instance', 'reason'), rate(metric(m.dropped, ...sel).over('5m'))), 0),
            // Counted after retries are exhausted or on a permanent rejection: each one is a log line lost for good.
            for: '5m',
            severity: 'critical',
            summary: `${a} on {{ $labels.instance }} drops log lines ({{ $labels.reason }})`,
            description: '{{ $labels.job }} at {{ $labels.instance }} in {{ $labels.namespace }} gave up on log entries for 5 minutes, reason {{ $labels.reason }}.',
          },
          {
            alert: `${a}PushErrors`,
            // status_code is -1 when Loki never answered (connection refused, timeout), which a 5xx-only
            // selector would miss; 429 is Loki's rate limit.
            expr: gt(div(sum(by('instance'), rate(requests.with(re('status_code', '5..|429|-1')).over('5m'))), sum(by('instance'), rate(requests.over('5m')))), 0.1),
            // Pushes are retried with backoff: 10 % failing for 15 minutes is Loki unreachable or overloaded,
            // and the retry budget runs out next.
            for: '15m',
            severity: 'warning',
            summary: `${a} on {{ $labels.instance }} fails more than 10% of pushes`,
            description: '{{ $labels.job }} at {{ $labels.instance }} in {{ $labels.namespace }}: more than 10% of pushes to Loki failed for 15 minutes.',
          },
          ...fileLagging,
        ],
      },
    ],
  };
}

/** Promtail 3.6's rules. */
export const promtailRules = (t: Targets): RuleSet => logAgentRules(t, PROMTAIL_METRICS);
