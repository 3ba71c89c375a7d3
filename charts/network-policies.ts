import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { namespaceOfServiceUrl } from '../lib/config/security';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { egressToHost, INTERNET, objectStoreEgress } from '../lib/k8s/egress';
import { StackService } from '../lib/k8s/service';
import { MEMCACHED_METRICS_PORT, MEMCACHED_PORT, TopologyServices } from '../lib/k8s/topology';
import { Workload } from '../lib/topology/types';
import { GrafanaChart } from './grafana';
import { LokiChart } from './loki';
import { OtelCollectorChart } from './otel-collector';
import { RolloutOperatorChart } from './rollout-operator';
import { LogAgent } from './log-agent';
import { TempoChart } from './tempo';

export interface NetworkPoliciesChartProps {
  readonly env: Environment;
  readonly tempo: TempoChart;
  readonly loki: LokiChart;
  /** The log agent DaemonSet, Promtail or Alloy: it may push to Loki and nowhere else in the stack. */
  readonly agent: LogAgent;
  readonly grafana: GrafanaChart;
  readonly collector: OtelCollectorChart;
  /** Rolls zone StatefulSets (distributed Tempo); present only when a topology has them. */
  readonly rolloutOperator?: RolloutOperatorChart;
}

type Peer = k8s.NetworkPolicyPeer;
type Port = k8s.NetworkPolicyPort;

const NAMESPACE_NAME = 'kubernetes.io/metadata.name';
const tcp = (port: number): Port => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
const inNamespace = (namespace: string, podLabels?: Record<string, string>): Peer => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME]: namespace } },
  ...(podLabels ? { podSelector: { matchLabels: podLabels } } : {}),
});
/** A Kafka bootstrap address that names no cluster namespace: any address on its port. */
const INTERNET_AND_CLUSTER: Peer = { ipBlock: { cidr: '0.0.0.0/0' } };

/**
 * Default deny in every namespace the stack owns, then exactly the flows the stack needs. Every port comes
 * from a chart's Service, every pod selector from the Service that fronts those pods.
 */
export class NetworkPoliciesChart extends StackChart {
  private prometheusPeer!: Peer;

  constructor(scope: Construct, id: string, props: NetworkPoliciesChartProps) {
    super(scope, id, { env: props.env, name: 'network-policies', component: 'security' });
    const { config } = props.env;
    const { tempo, loki, grafana, collector, agent } = props;
    const stackNs = this.targetNamespace;
    const agentNs = agent.targetNamespace;
    const prometheusNs = config.security.prometheusNamespace ?? namespaceOfServiceUrl(config.prometheus.url)!;
    const prometheus = inNamespace(prometheusNs);
    this.prometheusPeer = prometheus;
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

    // One policy per engine workload, from the topology: clients reach the workload serving their role,
    // Prometheus scrapes every pod, workloads of one engine reach each other on gRPC (and HTTP between
    // targets), and ring members gossip with ring members only.
    const kafka = config.tempo.kafka;
    const kafkaNs = kafka ? namespaceOfServiceUrl(`http://${kafka.address}`) : undefined;
    const kafkaEgress = kafka
      ? [{ to: [kafkaNs ? inNamespace(kafkaNs) : INTERNET_AND_CLUSTER], ports: [tcp(Number(kafka.address.split(':').pop()))] }]
      : [];
    const KAFKA_CLIENTS = new Set(['distributor', 'live-store', 'block-builder', 'metrics-generator']);
    this.enginePolicies(tempo.services, {
      ingress: (w) => [
        ...(w.roles.includes('query') ? [{ from: [peer(grafana.service)], ports: ports(tempo.services.service(w), 'http') }] : []),
        ...(w.roles.includes('otlp') ? [{ from: [peer(collector.sampler)], ports: ports(tempo.services.service(w), 'otlp-grpc') }] : []),
      ],
      egress: (w) => [
        ...objectStoreEgress(config.tempo),
        ...(tempo.metricsGeneratorEnabled && (w.target === 'all' || w.target === 'metrics-generator') ? [{ to: [prometheus], ports: [tcp(prometheusPort)] }] : []),
        ...(KAFKA_CLIENTS.has(w.target) ? kafkaEgress : []),
      ],
    });
    this.enginePolicies(loki.services, {
      ingress: (w) => {
        const clients = [...(w.roles.includes('query') ? [peer(grafana.service)] : []), ...(w.roles.includes('push') ? [inNamespace(agentNs, agent.selectorLabels)] : [])];
        return clients.length ? [{ from: clients, ports: ports(loki.services.service(w), 'http') }] : [];
      },
      egress: () => objectStoreEgress(config.loki),
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
          : [
              {
                from: [
                  inNamespace(exposure.type === 'ingress' ? config.security.ingressNamespace : exposure.gateway.namespace),
                  // A load balancer that sends from its own addresses (an ALB in IP mode) is in no namespace.
                  ...config.security.ingressCidrs.map((cidr) => ({ ipBlock: { cidr } })),
                ],
                ports: ports(grafana.service, 'http'),
              },
            ]),
      ],
      egress: [
        { to: [peer(tempo.queryService)], ports: ports(tempo.queryService, 'http') },
        { to: [peer(loki.queryService)], ports: ports(loki.queryService, 'http') },
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
      egress: [{ to: [peer(tempo.otlpService)], ports: ports(tempo.otlpService, 'otlp-grpc') }],
    });
    if (props.rolloutOperator) {
      const op = props.rolloutOperator;
      this.policy('rollout-operator', stackNs, op.podLabels, {
        ingress: [{ from: [prometheus], ports: op.ports.map((p) => tcp(p.port)) }],
        // Only the API server: it reads pods and StatefulSets there and deletes pods; no pod endpoint is called
        // (no delayed or prepared downscale). Outside any pod selector; 443 and 6443 are its usual ports.
        egress: [{ ports: [tcp(443), tcp(6443)] }],
      });
    }
    this.policy(agent.appName, agentNs, agent.selectorLabels, {
      ingress: [{ from: [prometheus], ports: agent.ports.map((p) => tcp(p.port)) }],
      egress: [
        { to: [peer(loki.pushService)], ports: ports(loki.pushService, 'http') },
        // Pod discovery (and Alloy's api source): the API server is outside any pod selector; 443 and 6443 are its usual ports.
        { ports: [tcp(443), tcp(6443)] },
      ],
    });
  }

  /**
   * The policies of one engine's workloads and caches. Ingress: the workload's own clients (from `rules`),
   * Prometheus on HTTP, the engine's other workloads on gRPC and HTTP (distributed) or gRPC (replicas of the
   * single binary), ring members on the gossip port. Egress: the same peers, the caches, and `rules`.
   */
  private enginePolicies(
    s: TopologyServices,
    rules: { ingress: (w: Workload) => k8s.NetworkPolicyIngressRule[]; egress: (w: Workload) => k8s.NetworkPolicyEgressRule[] },
  ): void {
    const ns = this.targetNamespace;
    const t = s.props.topology;
    const ports = s.props.ports;
    const prometheus = this.prometheusPeer;
    const engine: Peer[] = s.workloadSelectors.map((sel) => inNamespace(ns, sel));
    const internal = t.mode === 'distributed' ? [tcp(ports.http.port), tcp(ports.grpc.port)] : [tcp(ports.grpc.port)];
    const members: Peer[] = t.gossip ? [inNamespace(ns, s.gossipSelector())] : [];
    const caches = [...s.caches.values()];
    for (const w of t.workloads) {
      const own = s.service(w);
      const peers = t.mode === 'distributed' || w.replicas > 1;
      const gossip = w.ringMember && t.gossip ? [tcp(t.gossip.port)] : [];
      this.policy(w.name, ns, s.labels(w).selector, {
        ingress: [
          ...rules.ingress(w),
          { from: [prometheus], ports: [tcp(own.port('http'))] },
          ...(peers ? [{ from: engine, ports: internal }] : []),
          ...(gossip.length ? [{ from: members, ports: gossip }] : []),
        ],
        egress: [
          ...rules.egress(w),
          ...(peers ? [{ to: engine, ports: internal }] : []),
          ...(gossip.length ? [{ to: members, ports: gossip }] : []),
          ...(caches.length ? [{ to: caches.map((c) => inNamespace(ns, c.selector)), ports: [tcp(MEMCACHED_PORT.port)] }] : []),
        ],
      });
    }
    for (const c of caches) {
      this.policy(c.name, ns, c.selector, {
        ingress: [
          { from: engine, ports: [tcp(MEMCACHED_PORT.port)] },
          { from: [prometheus], ports: [tcp(MEMCACHED_METRICS_PORT.port)] },
        ],
        egress: [],
      });
    }
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
