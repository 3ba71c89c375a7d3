/**
 * The label contract between the monitors and the rules and dashboards that read their series, decided once
 * here: every target gets `job = <namespace>/<Service or workload name>` (the convention Grafana's mixins use,
 * set by relabeling so it does not depend on prometheus-operator's defaults, which differ between
 * ServiceMonitors and PodMonitors) and keeps the operator's own `namespace`, `pod`, `container` labels.
 * Rules and dashboards select with `jobsOf(...)`, never with a typed job name.
 */
import { MetricsEndpoint, StackChart } from '../k8s/chart';

/** The `job` label a target's series carry. */
export function jobLabel(e: Pick<MetricsEndpoint, 'namespace' | 'name'>): string {
  return `${e.namespace}/${e.name}`;
}

/** Every metrics endpoint the given charts declare, in chart order. */
export function metricsEndpoints(charts: readonly StackChart[]): MetricsEndpoint[] {
  return charts.flatMap((c) => c.metricsEndpoints);
}

/** A group of scrape targets that one set of rules and one dashboard is about (Loki: every Loki target). */
export interface TargetGroup {
  /** Distinct `job` values, sorted. */
  readonly jobs: string[];
  /** Distinct namespaces, sorted. */
  readonly namespaces: string[];
}

/** The targets declared by the chart with this app name (`loki`, `tempo`, `otel-collector`, `promtail`, `grafana`). */
export function targetsOf(charts: readonly StackChart[], appName: string): TargetGroup {
  const endpoints = metricsEndpoints(charts).filter((e) => e.chart.appName === appName);
  return {
    jobs: [...new Set(endpoints.map(jobLabel))].sort(),
    namespaces: [...new Set(endpoints.map((e) => e.namespace))].sort(),
  };
}
