import { div, gt, max, metric, minus, rate, re, sum } from '../promql';
import { by, RuleSet, Targets } from './model';
import { targetAlerts } from './targets';

/** How far a file's read position may trail its size before the agent counts as lagging. */
export const FILE_LAG_BYTES = 10 * 1024 * 1024;

/** Promtail 3.6 (clients/pkg/promtail/client and targets/file metrics). */
export function promtailRules(t: Targets): RuleSet {
  const { sel } = t;
  const requests = metric('promtail_request_duration_seconds_count', ...sel);
  return {
    name: 'promtail-rules',
    groups: [
      {
        name: 'promtail-alerts',
        rules: [
          ...targetAlerts('Promtail', 'Promtail', t),
          {
            alert: 'PromtailDroppingEntries',
            expr: gt(sum(by('instance', 'reason'), rate(metric('promtail_dropped_entries_total', ...sel).over('5m'))), 0),
            // Counted after retries are exhausted or on a permanent rejection: each one is a log line lost for good.
            for: '5m',
            severity: 'critical',
            summary: 'Promtail on {{ $labels.instance }} drops log lines ({{ $labels.reason }})',
            description: '{{ $labels.job }} at {{ $labels.instance }} in {{ $labels.namespace }} gave up on log entries for 5 minutes, reason {{ $labels.reason }}.',
          },
          {
            alert: 'PromtailPushErrors',
            // status_code is -1 when Loki never answered (connection refused, timeout), which a 5xx-only
            // selector would miss; 429 is Loki's rate limit.
            expr: gt(div(sum(by('instance'), rate(requests.with(re('status_code', '5..|429|-1')).over('5m'))), sum(by('instance'), rate(requests.over('5m')))), 0.1),
            // Pushes are retried with backoff: 10 % failing for 15 minutes is Loki unreachable or overloaded,
            // and the retry budget runs out next.
            for: '15m',
            severity: 'warning',
            summary: 'Promtail on {{ $labels.instance }} fails more than 10% of pushes',
            description: '{{ $labels.job }} at {{ $labels.instance }} in {{ $labels.namespace }}: more than 10% of pushes to Loki failed for 15 minutes.',
          },
          {
            alert: 'PromtailFileLagging',
            // Both are gauges despite the _total suffix: file size and read position, per path.
            expr: gt(max(by('instance', 'path'), minus(metric('promtail_file_bytes_total', ...sel), metric('promtail_read_bytes_total', ...sel))), FILE_LAG_BYTES),
            // 10 MiB behind for 15 minutes: the agent is not catching up, and kubelet log rotation (10 MiB
            // files by default) will delete lines it has not read.
            for: '15m',
            severity: 'warning',
            summary: 'Promtail on {{ $labels.instance }} is behind on {{ $labels.path }}',
            description: '{{ $labels.job }} at {{ $labels.instance }}: {{ $labels.path }} has more than 10 MiB not yet read for 15 minutes.',
          },
        ],
      },
    ],
  };
}
