import { absent, eqv, metric, or } from '../promql';
import { AlertRule, Targets } from './model';

/**
 * Two alerts every component gets: a target that answers no scrape, and no target at all. The second is the
 * one mixins lack: when a monitor is not picked up (missing `monitoring.labels`, a selector that matches
 * nothing), every other alert is silently blind; this one says so.
 */
export function targetAlerts(prefix: string, what: string, t: Targets): AlertRule[] {
  const { sel } = t;
  return [
    {
      alert: `${prefix}TargetDown`,
      expr: eqv(metric('up', ...sel), 0),
      // Five minutes is ten failed scrapes at the default 30s interval: a rolling restart passes well within it.
      for: '5m',
      severity: 'critical',
      summary: `${what} target {{ $labels.instance }} is down`,
      description: `Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }} in {{ $labels.namespace }}.`,
    },
    {
      alert: `${prefix}NotScraped`,
      // One absent() per target, so each names its job and one missing tier is not hidden by another.
      expr: t.each.map((m) => absent(metric('up', ...m))).reduce((a, b) => or(a, b)),
      // Long enough for a fresh install to be discovered, short enough to notice a monitor nobody selects.
      for: '15m',
      severity: 'warning',
      summary: `Prometheus scrapes no ${what} target`,
      description: `No up series for ${what}: the monitor is not selected by the Prometheus (check monitoring.labels) or its selector matches no Service or pod.`,
    },
  ];
}
