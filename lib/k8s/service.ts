/**
 * One source of truth for a component's ports: the same list builds the container ports, the Service
 * ports (targeting the container port by name) and every URL other components use to reach it.
 */
import * as k8s from '../../imports/k8s';
import { StackChart, VERSION_LABEL } from './chart';
import type { NamedPort } from './ports';
import { platformOf } from './platform';

const serviceAnnotations = (platform?: Record<string, string>, ours?: Record<string, string>) => (platform || ours ? { ...platform, ...ours } : undefined);

/** Where Loki, Tempo, Grafana, Promtail and the collector serve their own metrics. */
export const METRICS_PATH = '/metrics';

// The port model lives below chart.ts and this file (chart.ts reads it for metrics endpoints); re-exported here,
// where every chart takes it from.
export type { NamedPort } from './ports';

export function containerPorts(ports: readonly NamedPort[]): k8s.ContainerPort[] {
  return ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol ?? 'TCP' }));
}

export interface StackServiceProps {
  readonly name: string;
  readonly ports: readonly NamedPort[];
  /** Headless Service (for StatefulSet pod DNS and client-side load balancing). */
  readonly headless?: boolean;
  /** Publish DNS records of pods that are not ready yet (StatefulSet peers finding each other). */
  readonly publishNotReadyAddresses?: boolean;
  readonly annotations?: Record<string, string>;
  /** Pods to select; defaults to the chart's selector labels. */
  readonly selector?: Record<string, string>;
  /** Object labels beyond the chart's (e.g. StackChart.workloadLabels(name).labels). */
  readonly labels?: Record<string, string>;
}

/** A Service plus the helper that builds in-cluster URLs from it. */
export class StackService {
  readonly name: string;
  readonly namespace: string;
  readonly object: k8s.KubeService;
  /** Labels of the pods behind this Service. */
  readonly selector: Record<string, string>;
  private readonly ports: Map<string, NamedPort>;

  constructor(chart: StackChart, props: StackServiceProps) {
    this.name = props.name;
    this.namespace = chart.targetNamespace;
    const published = props.ports.filter((p) => !p.internal);
    this.ports = new Map(published.map((p) => [p.name, p]));
    this.selector = props.selector ?? chart.selectorLabels;
    this.object = new k8s.KubeService(chart, `service-${props.name}`, {
      // The platform's annotations (load balancer, mesh settings), ours taking precedence on a clash.
      metadata: chart.meta(props.name, { annotations: serviceAnnotations(platformOf(chart).serviceAnnotations, props.annotations), labels: props.labels }),
      spec: {
        ...(props.headless ? { clusterIp: 'None' } : { type: 'ClusterIP' }),
        ...(props.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
        selector: this.selector,
        // Only a headless Service may have no port (a StatefulSet's governing Service: pod DNS names only).
        ...(published.length || !props.headless
          ? { ports: published.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.name), protocol: p.protocol ?? 'TCP' })) }
          : {}),
      },
    });
    // The Service's own labels (what a ServiceMonitor selects), without the version, which changes on upgrades.
    const { [VERSION_LABEL]: _version, ...serviceLabels } = { ...chart.commonLabels, ...props.labels };
    for (const p of published) {
      if (p.metricsPath === undefined) continue;
      chart.metricsEndpoints.push({
        via: 'service',
        name: this.name,
        namespace: this.namespace,
        selector: serviceLabels,
        podLabels: this.selector,
        port: { ...p, metricsPath: p.metricsPath },
        host: this.host,
        chart,
      });
    }
  }

  /** The published ports, in order. */
  get namedPorts(): NamedPort[] {
    return [...this.ports.values()];
  }

  /** Fully qualified DNS name, usable from any namespace. */
  get host(): string {
    return `${this.name}.${this.namespace}.svc.cluster.local`;
  }

  port(portName: string): number {
    const p = this.ports.get(portName);
    if (!p) throw new Error(`Service ${this.name} has no port named ${portName} (has ${[...this.ports.keys()].join(', ')})`);
    return p.port;
  }

  /** `host:port`, for gRPC clients and OTLP endpoints without a scheme. */
  hostPort(portName: string): string {
    return `${this.host}:${this.port(portName)}`;
  }

  /** `scheme://host:port/path`. */
  url(portName: string, opts: { scheme?: 'http' | 'https'; path?: string } = {}): string {
    return `${opts.scheme ?? 'http'}://${this.hostPort(portName)}${opts.path ?? ''}`;
  }
}
