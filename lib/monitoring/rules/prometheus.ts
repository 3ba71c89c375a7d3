import { eq, lt, max, metric } from '../promql';
import { RuleSet } from './model';

/**
 * The seed keeps raw metrics 15 days. Prometheus belongs to the platform (kube-prometheus-stack's own release),
 * so the stack does not set its retention; it checks it. `prometheus_tsdb_retention_limit_seconds` is the
 * time retention the server runs with (prometheus/tsdb/db.go); it is 0 with size-based retention only, which
 * cannot promise an age either, so it fires too. It reads the Prometheus' scrape of itself in its namespace.
 */
export function prometheusRules(p: { namespace: string; retentionSeconds: number }): RuleSet {
  return {
    name: 'prometheus-rules',
    groups: [
      {
        name: 'prometheus-retention',
        rules: [
          {
            alert: 'PrometheusRetentionBelowTarget',
            expr: lt(max(['namespace', 'job', 'instance'], metric('prometheus_tsdb_retention_limit_seconds', eq('namespace', p.namespace))), p.retentionSeconds),
            // A configuration fact, not a transient: one hour rules out a rolling restart with old flags.
            for: '1h',
            severity: 'warning',
            summary: 'Prometheus keeps metrics for less than monitoring.metricsRetention',
            description: `{{ $labels.instance }} ({{ $labels.job }}) in {{ $labels.namespace }} runs with a time retention below ${p.retentionSeconds / 3600}h (monitoring.metricsRetention).`,
          },
        ],
      },
    ],
  };
}
