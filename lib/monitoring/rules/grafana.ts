import { div, gt, metric, rate, re, sum } from '../promql';
import { by, RuleSet, Targets } from './model';
import { targetAlerts } from './targets';

/** Grafana 13 (pkg/middleware/request_metrics.go, the data source HTTP client middleware). */
export function grafanaRules(t: Targets): RuleSet {
  const { sel } = t;
  const ds = metric('grafana_datasource_request_total', ...sel);
  const http = metric('grafana_http_request_duration_seconds_count', ...sel);
  return {
    name: 'grafana-rules',
    groups: [
      {
        name: 'grafana-alerts',
        rules: [
          ...targetAlerts('Grafana', 'Grafana', t),
          {
            alert: 'GrafanaDatasourceErrors',
            expr: gt(div(sum(by('datasource'), rate(ds.with(re('code', '5..')).over('5m'))), sum(by('datasource'), rate(ds.over('5m')))), 0.05),
            // Grafana's own calls to Loki, Tempo and Prometheus: 5 % server errors for 15 minutes means panels
            // and Explore fail for users.
            for: '15m',
            severity: 'warning',
            summary: 'Grafana data source {{ $labels.datasource }} answers more than 5% errors',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: more than 5% of requests to data source {{ $labels.datasource }} failed with a server error for 15 minutes.',
          },
          {
            alert: 'GrafanaHttpServerErrors',
            expr: gt(div(sum(by(), rate(http.with(re('status_code', '5..')).over('5m'))), sum(by(), rate(http.over('5m')))), 0.05),
            // 5 % of Grafana's own responses failing for 15 minutes is the UI broken for users.
            for: '15m',
            severity: 'warning',
            summary: 'Grafana answers more than 5% server errors',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: more than 5% of HTTP requests failed with a server error for 15 minutes.',
          },
        ],
      },
    ],
  };
}
