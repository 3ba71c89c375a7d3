/**
 * Base class of every component chart: explicit names, the namespace, and the standard
 * `app.kubernetes.io/*` labels on every object (version kept out of selectors).
 */
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Environment, StackConfig } from '../config/schema';
import { version as PROJECT_VERSION } from '../../package.json';
import type { NamedPort } from './ports';

export const PART_OF = 'grafana-stack';
export const MANAGED_BY = 'cdk8s';
export const VERSION_LABEL = 'app.kubernetes.io/version';
/** Argo CD's default tracking label: it rewrites this one on every object it applies (see MonitoringChart). */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * A port that serves Prometheus metrics. Charts do not list these by hand: every StackService port with a
 * `metricsPath` registers one (scraped through a ServiceMonitor), and pods no Service fronts (DaemonSet agents)
 * register theirs with `podMetrics` (scraped through a PodMonitor). charts/monitoring.ts and the NetworkPolicies
 * read this list, so a new workload with a metrics port is monitored and admitted without editing either.
 */
export interface MetricsEndpoint {
  readonly via: 'service' | 'pods';
  /** The Service's name, or the workload's for `pods`; also the monitor's name and the `job` label's last part. */
  readonly name: string;
  readonly namespace: string;
  /** Labels that select the Service object (`service`) or the pods (`pods`). */
  readonly selector: Record<string, string>;
  /** Labels of the pods behind the port (NetworkPolicies select them). */
  readonly podLabels: Record<string, string>;
  readonly port: NamedPort & { readonly metricsPath: string };
  /** The Service's DNS name (the TLS server name of an HTTPS port); none for `pods`. */
  readonly host?: string;
  /** The chart that declared it; its appName says which component the metrics belong to. */
  readonly chart: StackChart;
}

export interface StackChartProps {
  /** The environment being synthesized. */
  readonly env: Environment;
  /** `app.kubernetes.io/name`, also the output file name (`<name>.k8s.yaml`). */
  readonly name: string;
  /** `app.kubernetes.io/component`, e.g. `tracing`. */
  readonly component: string;
  /** `app.kubernetes.io/version`: the image tag; objects with no image of their own carry this project's version. */
  readonly version?: string;
}

export class StackChart extends Chart {
  readonly env: Environment;
  readonly config: StackConfig;
  /** Namespace of this chart's namespaced objects (not set on the cdk8s Chart, which would also stamp it on cluster-scoped objects). */
  readonly targetNamespace: string;
  readonly appName: string;
  /** Labels that identify this component's pods; stable across upgrades. */
  readonly selectorLabels: Record<string, string>;
  /** Every standard label, for objects and pod templates. */
  readonly commonLabels: Record<string, string>;
  /** Every metrics port of this chart (see MetricsEndpoint). */
  readonly metricsEndpoints: MetricsEndpoint[] = [];

  constructor(scope: Construct, id: string, props: StackChartProps) {
    const selectorLabels = { 'app.kubernetes.io/name': props.name, [INSTANCE_LABEL]: props.env.name };
    const commonLabels = {
      ...selectorLabels,
      'app.kubernetes.io/component': props.component,
      'app.kubernetes.io/part-of': PART_OF,
      'app.kubernetes.io/managed-by': MANAGED_BY,
      [VERSION_LABEL]: props.version ?? PROJECT_VERSION,
    };
    super(scope, id, { labels: commonLabels, disableResourceNameHashes: true });
    this.env = props.env;
    this.config = props.env.config;
    this.targetNamespace = props.env.config.namespace;
    this.appName = props.name;
    this.selectorLabels = selectorLabels;
    this.commonLabels = commonLabels;
  }

  /**
   * Labels for one of several workloads in this chart (the collector's gateway and sampler tiers):
   * its own `app.kubernetes.io/name`, so each Service selects only its own pods.
   */
  workloadLabels(name: string): { selector: Record<string, string>; labels: Record<string, string> } {
    return {
      selector: { ...this.selectorLabels, 'app.kubernetes.io/name': name },
      labels: { ...this.commonLabels, 'app.kubernetes.io/name': name },
    };
  }

  /** Declares the metrics ports of pods that no Service fronts; they are scraped with a PodMonitor. */
  podMetrics(name: string, podLabels: Record<string, string>, ports: readonly NamedPort[], namespace = this.targetNamespace): void {
    for (const port of ports) {
      if (port.metricsPath === undefined) continue;
      // A PodMonitor dials pod IPs with no Service name to verify a certificate against.
      if (port.tls) throw new Error(`${name}: pod metrics port ${port.name} serves TLS; put a Service in front of it so the certificate can be verified`);
      this.metricsEndpoints.push({ via: 'pods', name, namespace, selector: podLabels, podLabels, port: { ...port, metricsPath: port.metricsPath }, chart: this });
    }
  }

  /** Metadata for a namespaced object of this chart. */
  meta(name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string } = {}) {
    return {
      name,
      namespace: extra.namespace ?? this.targetNamespace,
      ...(extra.labels ? { labels: extra.labels } : {}),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    };
  }
}
