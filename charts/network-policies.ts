import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { namespaceOfServiceUrl } from '../lib/config/security';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { egressToHost, INTERNET, objectStoreEgress } from '../lib/k8s/egress';
import { StackService } from '../lib/k8s/service';
import { GrafanaChart } from './grafana';
import { LokiChart } from './loki';
import { OtelCollectorChart } from './otel-collector';
import { PromtailChart } from './promtail';
import { TempoChart } from './tempo';

export interface NetworkPoliciesChartProps {
  readonly env: Environment;
  readonly tempo: TempoChart;
  readonly loki: LokiChart;
  readonly promtail: PromtailChart;
  readonly grafana: GrafanaChart;
  readonly collector: OtelCollectorChart;
}

type Peer = k8s.NetworkPolicyPeer;
type Port = k8s.NetworkPolicyPort;

const NAMESPACE_NAME = 'kubernetes.io/metadata.name';
const tcp = (port: number): Port => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
const inNamespace = (namespace: string, podLabels?: Record<string, string>): Peer => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME]: namespace } },
  ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
});

/**
 * Default deny in every namespace the stack owns, then exactly the flows the stack needs. Every port comes
 * from a chart's Service, every pod selector from the Service that fronts those pods.
 */
export class NetworkPoliciesChart extends StackChart {
  constructor(scope: Construct, id: string, props: NetworkPoliciesChartProps) {
    super(scope, id, { env: props.env, name: 'network-policies', component: 'security' });
    const { config } = props.env;
    const { tempo, loki, grafana, collector, promtail } = props;
    const stackNs = this.targetNamespace;
    const agentNs = promtail.targetNamespace;
    const prometheusNs = config.security.prometheusNamespace ?? namespaceOfServiceUrl(config.prometheus.url)!;
    const prometheus = inNamespace(prometheusNs);
    const prometheusPort = Number(new URL(config.prometheus.url).port || (config.prometheus.url.startsWith('https') ? 443 : 80));
    const dns: k8s.NetworkPolicyEgressRule = {
      to: [inNamespace(config.security.dns.namespace, config.security.dns.podLabels)],
      ports: [53, 53].map((p, i) => ({ protocol: i ? 'TCP' : 'UDP', port: k8s.IntOrString.fromNumber(p) })),
    };
    const peer = (svc: StackService, namespace = stackNs): Peer => inNamespace(namespace, svc.selector);
    const ports = (svc: StackService, ...names: string[]) => names.map((n) => tcp(svc.port(n)));

    for (const namespace of [stackNs, agentNs]) {
      this.policy(`default-deny`, namespace, {}, { ingress: [], egress: [dns] }, 'deny everything but DNS unless a policy below allows it');
    }

    this.policy('tempo', stackNs, tempo.service.selector, {
      ingress: [
        { from: [peer(grafana.service)], ports: ports(tempo.service, 'http') },
        { from: [peer(collector.sampler)], ports: ports(tempo.service, 'otlp-grpc') },
        { from: [prometheus], ports: ports(tempo.service, 'http') },
      ],
      egress: [
        ...objectStoreEgress(config.tempo),
        ...(tempo.metricsGeneratorEnabled ? [{ to: [prometheus], ports: [tcp(prometheusPort)] }] : []),
      ],
    });
    this.policy('loki', stackNs, loki.service.selector, {
      ingress: [
        { from: [peer(grafana.service), inNamespace(agentNs, promtail.selectorLabels)], ports: ports(loki.service, 'http') },
        { from: [prometheus], ports: ports(loki.service, 'http') },
      ],
      egress: objectStoreEgress(config.loki),
    });
    const exposure = config.grafana.exposure;
    // Unified alerting HA: replicas gossip with each other on one port over TCP and UDP.
    const gossip = grafana.peers ? [{ ports: grafana.peers.namedPorts.map((p) => ({ protocol: p.protocol ?? 'TCP', port: k8s.IntOrString.fromNumber(p.port) })) }] : [];
    this.policy('grafana', stackNs, grafana.service.selector, {
      ingress: [
        ...gossip.map((g) => ({ from: [peer(grafana.service)], ...g })),
        // Grafana serves its own /metrics on the HTTP port.
        { from: [prometheus], ports: ports(grafana.service, 'http') },
        ...(exposure.type === 'none'
          ? []
          : [{ from: [inNamespace(exposure.type === 'ingress' ? config.security.ingressNamespace : exposure.gateway.namespace)], ports: ports(grafana.service, 'http') }]),
      ],
      egress: [
        { to: [peer(tempo.service)], ports: ports(tempo.service, 'http') },
        { to: [peer(loki.service)], ports: ports(loki.service, 'http') },
        { to: [prometheus], ports: [tcp(prometheusPort)] },
        // The OAuth provider's token and user-info endpoints.
        ...(config.grafana.oauth ? [{ to: [INTERNET], ports: [tcp(443)] }] : []),
        ...gossip.map((g) => ({ to: [peer(grafana.service)], ...g })),
        ...(grafana.database ? [egressToHost(grafana.database.host, grafana.database.port)] : []),
      ],
    });
    this.policy('otel-gateway', stackNs, collector.gateway.selector, {
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: config.security.applicationNamespaceSelector } }, ...config.applications.namespaces.map((ns) => inNamespace(ns.name))],
          ports: ports(collector.gateway, 'otlp-grpc', 'otlp-http'),
        },
        { from: [prometheus], ports: ports(collector.gateway, 'metrics') },
      ],
      egress: [{ to: [peer(collector.sampler)], ports: ports(collector.sampler, 'otlp-grpc') }],
    });
    this.policy('otel-sampler', stackNs, collector.sampler.selector, {
      ingress: [
        { from: [peer(collector.gateway)], ports: ports(collector.sampler, 'otlp-grpc') },
        { from: [prometheus], ports: ports(collector.sampler, 'metrics') },
      ],
      egress: [{ to: [peer(tempo.service)], ports: ports(tempo.service, 'otlp-grpc') }],
    });
    this.policy('promtail', agentNs, promtail.selectorLabels, {
      ingress: [{ from: [prometheus], ports: promtail.ports.map((p) => tcp(p.port)) }],
      egress: [
        { to: [peer(loki.service)], ports: ports(loki.service, 'http') },
        // Pod discovery: the API server is outside any pod selector; 443 and 6443 are its usual ports.
        { ports: [tcp(443), tcp(6443)] },
      ],
    });
  }

  private policy(
    name: string,
    namespace: string,
    podLabels: Record<string, string>,
    rules: { ingress: k8s.NetworkPolicyIngressRule[]; egress: k8s.NetworkPolicyEgressRule[] },
    description?: string,
  ): void {
    new k8s.KubeNetworkPolicy(this, `${namespace}-${name}`, {
      metadata: this.meta(name, { namespace, ...(description ? { annotations: { description } } : {}) }),
      spec: {
        podSelector: Object.keys(podLabels).length ? { matchLabels: podLabels } : {},
        policyTypes: ['Ingress', 'Egress'],
        ...(rules.ingress.length ? { ingress: rules.ingress } : {}),
        ...(rules.egress.length ? { egress: rules.egress } : {}),
      },
    });
  }
}
