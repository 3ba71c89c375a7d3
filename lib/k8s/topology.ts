/**
 * Renders an engine's topology (lib/topology/types.ts) into its chart: per workload a Service, ServiceAccount,
 * StatefulSet or Deployment, and where the table says so a PodDisruptionBudget, an autoscaler and topology
 * spread; the gossip Service selecting exactly the ring members; memcached StatefulSets for the caches.
 * The chart supplies only what is engine-specific: the container of a workload and its volumes.
 */
import * as k8s from '../../imports/k8s';
import { CACHE_IMAGES } from '../images';
import { Cache, Topology, Workload } from '../topology/types';
import { PART_OF, StackChart } from './chart';
import { METRICS_PATH, NamedPort, StackService } from './service';
import { hardenedContainer, hardenedPodSpec, podTemplate, scratchVolume, serviceAccount } from './workload';
import { partitionRegex, ROLLOUT_GROUP_LABEL, ROLLOUT_MAX_UNAVAILABLE_ANNOTATION, ROLLOUT_POD_NAME_LABEL, ZPDB_GROUP, ZPDB_KIND, ZPDB_VERSION } from './rollout-operator';
import { ApiObject } from 'cdk8s';
import { claimSpec } from './platform';

export interface RenderTopologyProps {
  readonly topology: Topology;
  /** Every port the engine serves, by name (gossip included when the topology has a ring). */
  readonly ports: Record<string, NamedPort>;
}

/** Pod labels and the selector of one workload. */
export interface WorkloadLabels {
  readonly selector: Record<string, string>;
  readonly labels: Record<string, string>;
}

export const MEMCACHED_PORT: NamedPort = { name: 'memcached-client', port: 11211 };
// The exporter sidecar's metrics: declared, so the cache is scraped (charts/monitoring.ts) like every workload.
export const MEMCACHED_METRICS_PORT: NamedPort = { name: 'http-metrics', port: 9150, metricsPath: METRICS_PATH };
/** The image's own memcache user; runAsNonRoot needs it numeric. */
const MEMCACHED_UID = 11211;
/** The well-known node label of a node's name. */
const HOSTNAME_KEY = 'kubernetes.io/hostname';
/** The well-known node label of a node's zone. */
const ZONE_KEY = 'topology.kubernetes.io/zone';
/** Label shared by the live-store zones, selected by their disruption budgets and read by the rollout-operator. */
const DISRUPTION_GROUP_LABEL = ROLLOUT_GROUP_LABEL;

/**
 * Services and labels of a topology, created before the engine's config (which names the Services) and
 * before the workloads (which mount that config).
 */
export class TopologyServices {
  /** One Service per workload, by workload name. */
  readonly services = new Map<string, StackService>();
  readonly discovery = new Map<string, StackService>();
  readonly caches = new Map<string, StackService>();
  /** The headless Service governing each StatefulSet (`spec.serviceName`), by workload name. */
  readonly governing = new Map<string, StackService>();
  readonly gossip?: StackService;

  constructor(
    private readonly chart: StackChart,
    readonly props: RenderTopologyProps,
  ) {
    const { topology, ports } = props;
    const portsOf = (w: Workload) => w.ports.map((p) => ports[p]);
    for (const w of topology.workloads) {
      const l = this.labels(w);
      const single = topology.mode === 'single-binary';
      this.services.set(
        w.name,
        new StackService(chart, {
          name: w.name,
          // The gossip port is reached through the gossip Service only.
          ports: portsOf(w).filter((p) => p.name !== 'gossip'),
          ...(w.headless ? { headless: true, publishNotReadyAddresses: w.headless === 'discover-unready' } : {}),
          ...(single ? {} : { selector: l.selector, labels: l.labels }),
        }),
      );
      if (w.kind === 'StatefulSet' && !w.headless) {
        // A StatefulSet's serviceName must name a headless Service: it gives each pod its DNS name
        // (<pod>.<service>), which a ClusterIP Service never does (the StatefulSet docs; the Helm charts'
        // `loki-headless`). It publishes no port: it exists for pod identity, clients keep the ClusterIP
        // Service, and a ServiceMonitor (which selects by the same labels) finds no metrics port on it to
        // scrape twice. Pods are named before they are ready, as peers resolve each other while starting.
        this.governing.set(
          w.name,
          new StackService(chart, { name: `${w.name}-headless`, ports: [], headless: true, publishNotReadyAddresses: true, ...(single ? {} : { selector: l.selector, labels: l.labels }) }),
        );
      }
      if (w.discoveryService) {
        const d = w.discoveryService;
        this.discovery.set(
          w.name,
          // Tempo's frontend is ready only once a querier has connected, so queriers must find unready frontends.
          new StackService(chart, { name: d.name, ports: d.ports.map((p) => ports[p]), headless: true, ...(d.unready ? { publishNotReadyAddresses: true } : {}), selector: l.selector, labels: l.labels }),
        );
      }
    }
    if (topology.gossip) {
      const g = topology.gossip;
      // Starting members must find each other before they are ready (the ring decides readiness).
      this.gossip = new StackService(chart, {
        name: g.service,
        ports: [ports.gossip],
        headless: true,
        publishNotReadyAddresses: true,
        selector: this.gossipSelector(),
        labels: chart.workloadLabels(g.service).labels,
      });
    }
    for (const c of topology.caches) {
      const l = chart.workloadLabels(c.name);
      this.caches.set(c.name, new StackService(chart, { name: c.name, ports: [MEMCACHED_PORT, MEMCACHED_METRICS_PORT], headless: true, selector: l.selector, labels: l.labels }));
    }
  }

  /** Pods of exactly the ring members. */
  gossipSelector(): Record<string, string> {
    const g = this.props.topology.gossip!;
    return { 'app.kubernetes.io/instance': this.chart.env.name, 'app.kubernetes.io/part-of': PART_OF, [g.memberLabel]: 'true' };
  }

  /** The single binary keeps the chart's own labels (upgrading 1 → 3 replicas keeps the immutable selector). */
  labels(w: Workload): WorkloadLabels {
    const t = this.props.topology;
    const base = t.mode === 'single-binary' ? { selector: this.chart.selectorLabels, labels: this.chart.commonLabels } : this.chart.workloadLabels(w.name);
    const extra = {
      ...(w.ringMember && t.gossip ? { [t.gossip.memberLabel]: 'true' } : {}),
      ...(w.disruptionGroup ? { [DISRUPTION_GROUP_LABEL]: w.disruptionGroup } : {}),
    };
    return { selector: base.selector, labels: { ...base.labels, ...extra } };
  }

  service(w: Workload): StackService {
    return this.services.get(w.name)!;
  }

  /** Selectors of every engine workload (NetworkPolicy peers). */
  get workloadSelectors(): Record<string, string>[] {
    return this.props.topology.workloads.map((w) => this.labels(w).selector);
  }
}

export interface WorkloadPod {
  readonly container: k8s.Container;
  readonly volumes: k8s.Volume[];
  readonly checksums: Record<string, string>;
  readonly serviceAccountAnnotations?: Record<string, string>;
  /** Pod labels beyond the workload's own (Azure workload identity's webhook selects pods by one); never in selectors. */
  readonly podLabels?: Record<string, string>;
}

/** Creates every workload of the topology with the pod the chart builds for it. */
export function renderWorkloads(chart: StackChart, s: TopologyServices, pod: (w: Workload) => WorkloadPod): void {
  const { topology } = s.props;
  const groups = new Set<string>();
  for (const w of topology.workloads) {
    const l = s.labels(w);
    const p = pod(w);
    const account = serviceAccount(chart, w.name, p.serviceAccountAnnotations, topology.mode === 'single-binary' ? undefined : l.labels);
    const spread = w.replicas > 1 || w.autoscaling ? spreadConstraints(l.selector, w.kind === 'StatefulSet', !w.onePerNode) : [];
    const affinity = affinityOf(chart, w, topology, l.selector);
    const spec = hardenedPodSpec({
      containers: [p.container],
      serviceAccountName: account.name,
      volumes: [...p.volumes, ...(w.scratch ? [scratchVolume(w.scratch.name, `${w.scratch.storageGiB}Gi`)] : [])],
      ...(w.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: w.terminationGracePeriodSeconds } : {}),
      topologySpreadConstraints: spread,
      ...(affinity ? { affinity } : {}),
    });
    // The rollout-operator finds a zone's pods by the `name` label alone: unique per StatefulSet, never in the selector.
    const template = podTemplate(chart, spec, p.checksums, { ...l.labels, ...p.podLabels, ...(w.zoneRollout ? { [ROLLOUT_POD_NAME_LABEL]: w.name } : {}) });
    const rolloutAnnotations = w.zoneRollout ? { annotations: { [ROLLOUT_MAX_UNAVAILABLE_ANNOTATION]: String(w.zoneRollout.maxUnavailable) } } : {};
    const metadata = topology.mode === 'single-binary' ? chart.meta(w.name) : chart.meta(w.name, { labels: l.labels, ...rolloutAnnotations });
    if (w.kind === 'StatefulSet') {
      new k8s.KubeStatefulSet(chart, `statefulset-${w.name}`, {
        metadata,
        spec: {
          replicas: w.replicas,
          serviceName: (s.governing.get(w.name) ?? s.service(w)).name,
          selector: { matchLabels: l.selector },
          // Ring members are created and deleted without waiting for their lower ordinals (upstream's choice: the
          // Loki chart's singleBinary and ingester StatefulSets, ksonnet newLokiStatefulSet). Under OrderedReady,
          // pod k is only created once pods 0..k-1 are Ready, while a ring member is Ready only once every entry of
          // its ring is ACTIVE and heartbeating (dskit ring/lifecycler.go checkRingHealthForReadiness, with
          // readiness_check_ring_health on by default; Loki's /ready calls it, pkg/loki/loki.go). Two pods lost
          // without leaving the ring then deadlock: the first one recreated waits for the second's stale entry, and
          // the second is never created. Rolling updates are unaffected (the policy only governs scaling and
          // recreation): they still replace one pod at a time, each waiting for the previous one's readiness.
          ...(w.parallel ? { podManagementPolicy: 'Parallel' } : {}),
          // The rollout-operator deletes the pods itself, one zone at a time; a RollingUpdate would restart the
          // same ordinal, i.e. both owners of a partition, in every zone at once (it skips a group otherwise).
          ...(w.zoneRollout ? { updateStrategy: { type: 'OnDelete' } } : {}),
          template,
          ...(w.volume
            ? {
                volumeClaimTemplates: [
                  {
                    metadata: { name: w.volume.name, labels: l.selector },
                    spec: claimSpec(chart, w.volume.storageGiB),
                  },
                ],
              }
            : {}),
        },
      });
    } else {
      new k8s.KubeDeployment(chart, `deployment-${w.name}`, {
        metadata,
        // With an autoscaler the replica count is its to set; a GitOps sync must not reset it.
        spec: { ...(w.autoscaling ? {} : { replicas: w.replicas }), selector: { matchLabels: l.selector }, template },
      });
    }
    if (w.maxUnavailable !== undefined) {
      const group = w.disruptionGroup;
      if (!group || !groups.has(group)) {
        if (group) groups.add(group);
        new k8s.KubePodDisruptionBudget(chart, `pdb-${group ?? w.name}`, {
          metadata: chart.meta(group ?? w.name, { labels: group ? chart.workloadLabels(group).labels : l.labels }),
          spec: {
            maxUnavailable: k8s.IntOrString.fromNumber(w.maxUnavailable),
            selector: { matchLabels: groupSelector(chart, w) ?? l.selector },
          },
        });
        if (group && w.zoneRollout) zoneAwareBudget(chart, group, topology.workloads.filter((x) => x.disruptionGroup === group), w.maxUnavailable);
      }
    }
    if (w.autoscaling) {
      new k8s.KubeHorizontalPodAutoscalerV2(chart, `hpa-${w.name}`, {
        metadata: chart.meta(w.name, { labels: l.labels }),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: w.kind, name: w.name },
          minReplicas: w.autoscaling.minReplicas,
          maxReplicas: w.autoscaling.maxReplicas,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: w.autoscaling.targetCPUUtilization } } }],
        },
      });
    }
  }
  for (const c of topology.caches) renderCache(chart, s.caches.get(c.name)!, c);
}

/** Pods of the workload's disruption group, across its StatefulSets; undefined when it has none. */
function groupSelector(chart: StackChart, w: Workload): Record<string, string> | undefined {
  return w.disruptionGroup ? { 'app.kubernetes.io/instance': chart.env.name, [DISRUPTION_GROUP_LABEL]: w.disruptionGroup } : undefined;
}

/**
 * Node affinity pins a zone StatefulSet to its zone. Pod anti-affinity on the node (required):
 * - `onePerNode`: the Loki chart's default for the single binary and ingesters ("Hard node anti-affinity",
 *   values.yaml singleBinary.affinity, ingester.affinity). A hostname spread with maxSkew 1 would still put two of
 *   three pods on one node when only two nodes are free; this never does (the third stays Pending instead). A
 *   disruption group (zones of one component) shares the rule: no two of its pods on one node.
 * - `apartFromGroup`: the owners of one partition (pods of the other workloads of the group, i.e. the other
 *   zones) never on this pod's node, as upstream's jsonnet does for live-stores (rollout-group In [group], name
 *   NotIn [own zone]); the zone's own pods spread over nodes by the hard hostname spread constraint.
 */
function affinityOf(chart: StackChart, w: Workload, t: Topology, selector: Record<string, string>): k8s.Affinity | undefined {
  const zone = w.nodeZone
    ? { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE_KEY, operator: 'In', values: [w.nodeZone] }] }] } } }
    : {};
  const terms: k8s.PodAffinityTerm[] = [];
  if (w.onePerNode && (w.replicas > 1 || w.disruptionGroup)) terms.push({ labelSelector: { matchLabels: groupSelector(chart, w) ?? selector }, topologyKey: HOSTNAME_KEY });
  const others = t.workloads.filter((x) => w.apartFromGroup && x.disruptionGroup === w.disruptionGroup && x.name !== w.name).map((x) => x.name);
  if (others.length) {
    terms.push({
      topologyKey: HOSTNAME_KEY,
      labelSelector: {
        matchExpressions: [
          { key: 'app.kubernetes.io/instance', operator: 'In', values: [chart.env.name] },
          { key: DISRUPTION_GROUP_LABEL, operator: 'In', values: [w.disruptionGroup!] },
          { key: 'app.kubernetes.io/name', operator: 'In', values: others },
        ],
      },
    });
  }
  const affinity = { ...zone, ...(terms.length ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } } : {}) };
  return Object.keys(affinity).length ? affinity : undefined;
}

/**
 * The rollout-operator's ZoneAwarePodDisruptionBudget over a zone group. In partition mode it allows deleting a
 * pod only while fewer than `maxUnavailable` other owners of the same partition are unavailable
 * (pkg/zpdb/validator_partition_aware.go). The operator applies it to its own rollout deletions in process
 * (pkg/controller updateStatefulSetPods → MarkPodAsDeleted); node drains are held by the plain PDB above, since
 * the eviction webhook that would apply it to evictions is not rendered (it needs webhook certificates).
 */
function zoneAwareBudget(chart: StackChart, group: string, zones: readonly Workload[], maxUnavailable: number | undefined): void {
  const partitioned = zones.every((z) => z.zoneRollout?.partitioned);
  new ApiObject(chart, `zpdb-${group}`, {
    apiVersion: `${ZPDB_GROUP}/${ZPDB_VERSION}`,
    kind: ZPDB_KIND,
    metadata: chart.meta(`${group}-rollout`, { labels: chart.workloadLabels(group).labels }),
    spec: {
      maxUnavailable: maxUnavailable ?? 1,
      selector: { matchLabels: { 'app.kubernetes.io/instance': chart.env.name, [DISRUPTION_GROUP_LABEL]: group } },
      ...(partitioned ? { podNamePartitionRegex: partitionRegex(zones.map((z) => z.name)), podNameRegexGroup: 1 } : {}),
    },
  });
}

/**
 * Over nodes (hard for StatefulSets, whose pods hold ring or partition state: two on one node would fall
 * together) and over zones where the nodes carry the zone label (soft: clusters without zones still schedule).
 * Workloads with one pod per node (required anti-affinity) need no node spread on top.
 */
function spreadConstraints(selector: Record<string, string>, hard: boolean, overNodes = true): k8s.TopologySpreadConstraint[] {
  return [
    ...(overNodes ? [{ maxSkew: 1, topologyKey: HOSTNAME_KEY, whenUnsatisfiable: hard ? 'DoNotSchedule' : 'ScheduleAnyway', labelSelector: { matchLabels: selector } }] : []),
    { maxSkew: 1, topologyKey: ZONE_KEY, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
  ];
}

/**
 * memcached as upstream runs it (jsonnet-libs memcached.libsonnet, the Loki chart): explicit `-m`, `-I`, `-c`,
 * TCP probes on the client port, the exporter as a sidecar, one pod per node, one down at a time.
 */
function renderCache(chart: StackChart, svc: StackService, c: Cache): void {
  const l = chart.workloadLabels(c.name);
  const tcp = (initialDelaySeconds: number): k8s.Probe => ({
    tcpSocket: { port: k8s.IntOrString.fromString(MEMCACHED_PORT.name) },
    initialDelaySeconds,
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
  });
  // hardenedContainer builds HTTP probes; memcached speaks its own protocol, so its probes are TCP connects.
  const server = {
    ...hardenedContainer({
      name: 'memcached',
      image: CACHE_IMAGES.memcached,
      args: [`-m ${c.memoryMB}`, `-I ${c.maxItemSize}`, `-c ${c.connections}`, '-v', '--extended=modern,track_sizes'].flatMap((a) => a.split(' ')),
      ports: [MEMCACHED_PORT],
      readiness: { path: '/', port: MEMCACHED_PORT.name },
      liveness: { path: '/', port: MEMCACHED_PORT.name },
      resources: c.resources,
    }),
    readinessProbe: tcp(5),
    livenessProbe: tcp(30),
  };
  const exporter = hardenedContainer({
    name: 'exporter',
    image: CACHE_IMAGES.exporter,
    args: [`--memcached.address=localhost:${MEMCACHED_PORT.port}`, `--web.listen-address=0.0.0.0:${MEMCACHED_METRICS_PORT.port}`],
    ports: [MEMCACHED_METRICS_PORT],
    readiness: { path: '/metrics', port: MEMCACHED_METRICS_PORT.name },
    liveness: { path: '/metrics', port: MEMCACHED_METRICS_PORT.name, initialDelaySeconds: 30, periodSeconds: 30 },
    resources: { cpu: '50m', memory: '64Mi', memoryLimit: '128Mi' },
  });
  const account = serviceAccount(chart, c.name, undefined, l.labels);
  new k8s.KubeStatefulSet(chart, `statefulset-${c.name}`, {
    metadata: chart.meta(c.name, { labels: l.labels }),
    spec: {
      replicas: c.replicas,
      serviceName: svc.name,
      selector: { matchLabels: l.selector },
      podManagementPolicy: 'Parallel',
      template: podTemplate(
        chart,
        hardenedPodSpec({
          containers: [server, exporter],
          serviceAccountName: account.name,
          runAsUser: MEMCACHED_UID,
          topologySpreadConstraints: spreadConstraints(l.selector, false),
        }),
        {},
        l.labels,
      ),
    },
  });
  new k8s.KubePodDisruptionBudget(chart, `pdb-${c.name}`, {
    metadata: chart.meta(c.name, { labels: l.labels }),
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: l.selector } },
  });
}

/** `dnssrvnoa+_memcached-client._tcp.<host>`: the SRV record of the headless Service's named port (memcached.md). */
export function memcachedAddress(svc: StackService): string {
  return `dnssrvnoa+_${MEMCACHED_PORT.name}._tcp.${svc.host}`;
}
