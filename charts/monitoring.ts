import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IPodMonitor, IPrometheusRule, IRelabelConfig, IServiceMonitor, ISafeTLSConfig } from '../imports/monitoring-coreos-com';
import { Environment } from '../lib/config/schema';
import { INSTANCE_LABEL, MetricsEndpoint, StackChart } from '../lib/k8s/chart';
import { RuleSet, ruleGroups, runbookAnchor, RUNBOOKS_FILE } from '../lib/monitoring/rules/model';
import { jobLabel, metricsEndpoints } from '../lib/monitoring/targets';

export interface MonitoringChartProps {
  readonly env: Environment;
  /** The charts whose metrics ports are scraped: every one that declares a MetricsEndpoint gets a monitor. */
  readonly charts: readonly StackChart[];
  /** Alerting and recording rules, one PrometheusRule each (lib/monitoring/rules). */
  readonly rules: readonly RuleSet[];
}

/**
 * prometheus-operator objects that make the platform's Prometheus watch the stack: a ServiceMonitor per
 * Service with a metrics port and a PodMonitor per workload no Service fronts (the log agent). Nothing here
 * names a component: the list comes from the charts' MetricsEndpoints, so a new target is monitored as soon as
 * its chart declares the port. `monitoring.labels` goes on every object (the Prometheus' selectors).
 * https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
 */
export class MonitoringChart extends StackChart {
  readonly endpoints: MetricsEndpoint[];

  constructor(scope: Construct, id: string, props: MonitoringChartProps) {
    super(scope, id, { env: props.env, name: 'monitoring', component: 'self-monitoring' });
    this.endpoints = metricsEndpoints(props.charts);
    if (!this.config.monitoring.enabled) return;

    const byMonitor = new Map<string, MetricsEndpoint[]>();
    for (const e of this.endpoints) {
      const key = `${e.via}/${e.namespace}/${e.name}`;
      byMonitor.set(key, [...(byMonitor.get(key) ?? []), e]);
    }
    for (const [key, group] of byMonitor) {
      const first = group[0];
      if (first.via === 'service') this.serviceMonitor(key, first, group);
      else this.podMonitor(key, first, group);
    }
    for (const set of props.rules) this.prometheusRule(set);
  }

  /** Where an alert's runbook is: its section of RUNBOOKS.md (see monitoring.runbookUrl). */
  runbookUrl(alert: string): string {
    return `${this.config.monitoring.runbookUrl ?? RUNBOOKS_FILE}#${runbookAnchor(alert)}`;
  }

  private prometheusRule(set: RuleSet): void {
    const rule: IPrometheusRule = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: this.monitorMeta(set.name, this.targetNamespace),
      spec: { groups: ruleGroups(set, (alert) => this.runbookUrl(alert)) },
    };
    new ApiObject(this, set.name, rule);
  }

  /** Labels of a monitoring object: the chart's, plus what the platform Prometheus selects on. */
  monitorMeta(name: string, namespace: string) {
    return this.meta(name, { namespace, labels: { ...this.commonLabels, ...this.config.monitoring.labels } });
  }

  /**
   * Target relabelings shared by both kinds: the `job` of the label contract (lib/monitoring/targets.ts), a
   * literal replacement (no source labels: the default regex matches the empty string).
   */
  private relabelings(e: MetricsEndpoint): IRelabelConfig[] {
    return [{ targetLabel: 'job', replacement: jobLabel(e), action: 'replace' }];
  }

  /**
   * HTTPS endpoints are verified against the CA of `tls.secretName`, which lives in the stack namespace like
   * the monitor (the operator reads it from the monitor's namespace). Prometheus dials pod IPs, so the server
   * name is the Service's DNS name, one of the certificate's SANs.
   */
  private tls(e: MetricsEndpoint): { scheme: 'https'; tlsConfig: ISafeTLSConfig } | { scheme: 'http' } {
    if (!e.port.tls) return { scheme: 'http' };
    return { scheme: 'https', tlsConfig: { ca: { secret: { name: this.config.tls.secretName, key: 'ca.crt' } }, serverName: e.host } };
  }

  private serviceMonitor(id: string, first: MetricsEndpoint, group: MetricsEndpoint[]): void {
    // Services are selected without `app.kubernetes.io/instance`: Argo CD's label tracking (its default before
    // 3.0, https://argo-cd.readthedocs.io/en/stable/user-guide/resource_tracking/) rewrites that label on every
    // object it applies to the Application's name, and a selector on it would stop matching. Pod labels (what
    // PodMonitors select) are not rewritten. The namespace selector and the keep-by-Service-name relabeling
    // below still pin each endpoint to its one Service.
    const { [INSTANCE_LABEL]: _instance, ...selector } = first.selector;
    const monitor: IServiceMonitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: this.monitorMeta(first.name, first.namespace),
      spec: {
        selector: { matchLabels: selector },
        namespaceSelector: { matchNames: [first.namespace] },
        endpoints: group.map((e) => ({
          port: e.port.name,
          path: e.port.metricsPath,
          interval: this.config.monitoring.scrapeInterval,
          ...this.tls(e),
          relabelings: [
            // Only this Service: a headless twin over the same pods with the same labels would scrape them twice.
            { sourceLabels: ['__meta_kubernetes_service_name'], regex: e.name, action: 'keep' },
            ...this.relabelings(e),
          ],
        })),
      },
    };
    new ApiObject(this, id, monitor);
  }

  private podMonitor(id: string, first: MetricsEndpoint, group: MetricsEndpoint[]): void {
    const monitor: IPodMonitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: this.monitorMeta(first.name, first.namespace),
      spec: {
        selector: { matchLabels: first.selector },
        namespaceSelector: { matchNames: [first.namespace] },
        podMetricsEndpoints: group.map((e) => ({
          port: e.port.name,
          path: e.port.metricsPath,
          interval: this.config.monitoring.scrapeInterval,
          ...this.tls(e),
          relabelings: this.relabelings(e),
        })),
      },
    };
    new ApiObject(this, id, monitor);
  }
}
