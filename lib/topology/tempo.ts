/**
 * Tempo's workloads as data (lib/topology/types.ts), from `tempo.deployment` and `tempo.kafka`:
 * - single binary: today's `-target=all` StatefulSet. Tempo 3 cannot run it twice (one backend scheduler,
 *   an in-process live-store per binary; set-up-for-tracing/setup-tempo/plan/deployment-modes.md);
 * - distributed (Tempo 3 only): distributors write to Kafka; live-stores (one StatefulSet per zone, each pod
 *   owning the partition of its ordinal) serve recent data; block-builders (a StatefulSet, partitions by
 *   ordinal) write blocks; queriers, query-frontends, one backend scheduler and backend workers; the
 *   metrics-generator when enabled; one memcached for bloom filters, parquet footers and search results.
 */
import { TempoComponent } from '../config/deployment';
import { TempoConfig } from '../config/tempo';
import { componentSizing, GOSSIP_PORT } from './loki';
import { MEMCACHED, memcachedResources, TEMPO_TIER_MB_PER_S, tempoSizing } from './sizing';
import { Role, Topology, Workload } from './types';

/**
 * Root of everything Tempo writes locally; the StatefulSet mounts its PVC here. Here, in the lowest layer that
 * uses it (the workloads' volumes), so lib/tempo/config.ts reads it from below.
 */
export const TEMPO_DATA_DIR = '/var/tempo';

/** Ingest the deployment is sized for, MB/s: the declared load, or the tier's rate. */
export function tempoIngestMBps(tempo: TempoConfig): number {
  const size = tempo.deployment.size ?? 'small';
  return typeof size === 'string' ? TEMPO_TIER_MB_PER_S[size] : (size.spansPerSecond * tempo.deployment.bytesPerSpan) / 1e6;
}

export function tempoTopology(tempo: TempoConfig, namespace: string): Topology {
  const d = tempo.deployment;
  if (d.mode === 'single-binary') {
    const all: Workload = {
      target: 'all',
      name: 'tempo',
      kind: 'StatefulSet',
      replicas: d.replicas,
      resources: tempo.resources,
      volume: { name: 'data', mountPath: TEMPO_DATA_DIR, storageGiB: tempo.storageGiB },
      ports: ['http', 'grpc', 'otlp-grpc', 'otlp-http'],
      args: [],
      ringMember: false,
      singleton: true,
      headless: false,
      roles: ['push', 'query', 'otlp'],
      // Lets the live-store flush its WAL on shutdown.
      terminationGracePeriodSeconds: 60,
      parallel: true,
    };
    return { engine: 'tempo', mode: 'single-binary', workloads: [all], caches: [] };
  }

  const tier = tempoSizing(tempoIngestMBps(tempo));
  const workload = (
    c: TempoComponent,
    shape: { kind: Workload['kind']; name?: string; roles?: Role[]; ring?: boolean; singleton?: boolean; stateful?: boolean; scratchGiB?: number; ports?: string[]; args?: string[]; grace?: number; autoscaled?: boolean; group?: string; discovery?: Workload['discoveryService']; zone?: string },
  ): Workload => {
    const s = componentSizing(tier[c], d.components[c], shape.autoscaled);
    const replicas = shape.singleton ? 1 : s.replicas;
    const ring = shape.ring ?? true;
    return {
      target: c,
      name: shape.name ?? `tempo-${c}`,
      kind: shape.kind,
      replicas,
      resources: s.resources,
      ...(shape.stateful ? { volume: { name: 'data', mountPath: TEMPO_DATA_DIR, storageGiB: s.storageGiB ?? tempo.storageGiB } } : {}),
      // Targets without a claim still get a writable data path (tempodb creates its WAL folder at start).
      ...(shape.stateful ? {} : { scratch: { name: 'data', mountPath: TEMPO_DATA_DIR, storageGiB: shape.scratchGiB ?? 1 } }),
      ...(shape.discovery ? { discoveryService: shape.discovery } : {}),
      ports: [...(shape.ports ?? ['http', 'grpc']), ...(ring ? ['gossip'] : [])],
      args: shape.args ?? [],
      ringMember: ring,
      singleton: shape.singleton ?? false,
      ...(s.autoscaling ? { autoscaling: s.autoscaling } : {}),
      headless: false,
      roles: shape.roles ?? [],
      ...(shape.group ? { disruptionGroup: shape.group } : {}),
      ...(replicas > 1 || shape.group ? { maxUnavailable: 1 } : {}),
      ...(shape.grace ? { terminationGracePeriodSeconds: shape.grace } : {}),
      ...(shape.zone ? { nodeZone: shape.zone } : {}),
      // Live-stores, block-builders and generators start in parallel, as Tempo's jsonnet runs them: ring and
      // partition members whose readiness waits on each other (lib/k8s/topology.ts).
      ...(shape.kind === 'StatefulSet' && !shape.singleton ? { parallel: true } : {}),
    };
  };
  const workloads: Workload[] = [
    // gRPC keeps one connection to one pod, so behind a ClusterIP the sampler would feed one distributor and the
    // autoscaler's new ones nothing: the sampler's load-balancing exporter resolves this headless Service itself.
    workload('distributor', {
      kind: 'Deployment',
      roles: ['push', 'otlp'],
      ports: ['http', 'grpc', 'otlp-grpc', 'otlp-http'],
      autoscaled: true,
      discovery: { name: 'tempo-distributor-discovery', ports: ['otlp-grpc'], unready: false },
    }),
    // One StatefulSet per zone: the pod ordinal is the partition it owns, the StatefulSet name its consumer
    // group, so every zone reads every partition once (pkg/ingest/util.go). One PDB over all zones.
    // A stopping live-store removes itself as its partition's owner (livestore/config.go RemoveOwnerOnShutdown,
    // on by default), and a query fails while any partition has no owner left (dskit
    // ring/partition_instance_ring.go, "too many unhealthy instances"). So with two zones or more the zones
    // roll one at a time under the rollout-operator, as upstream's jsonnet does
    // (operations/jsonnet-compiled/microservices: OnDelete, rollout-group, ZoneAwarePodDisruptionBudget), and
    // the owners of one partition never share a node. One zone has nobody to wait for: a plain rolling update.
    ...d.zones.map((zone) => ({
      ...workload('live-store', {
        kind: 'StatefulSet',
        name: `tempo-live-store-${zone}`,
        stateful: true,
        args: [`-live-store.instance-availability-zone=${zone}`],
        grace: 300,
        group: 'tempo-live-store',
        ...(d.pinZones ? { zone } : {}),
      }),
      ...(d.zones.length > 1 ? { zoneRollout: { maxUnavailable: d.rolloutMaxUnavailable, partitioned: true }, apartFromGroup: true } : {}),
    })),
    // Block-builders take partitions by ordinal (modules/blockbuilder/config.go); scratch WAL for one cycle.
    workload('block-builder', { kind: 'StatefulSet', scratchGiB: 5, grace: 300 }),
    workload('querier', { kind: 'Deployment', autoscaled: true }),
    // Queriers connect to every frontend through the headless discovery Service.
    workload('query-frontend', { kind: 'Deployment', roles: ['query'], ring: false, discovery: { name: 'tempo-query-frontend-discovery', ports: ['grpc'], unready: true } }),
    // Exactly one: it hands out compaction and retention jobs (reference-tempo-architecture/components/compaction.md).
    workload('backend-scheduler', { kind: 'StatefulSet', roles: ['backend-scheduler'], ring: false, singleton: true, stateful: true }),
    workload('backend-worker', { kind: 'Deployment' }),
    ...(tempo.metricsGenerator.enabled ? [workload('metrics-generator', { kind: 'StatefulSet', stateful: true })] : []),
  ];
  const clients = workloads.reduce((n, w) => n + (w.autoscaling?.maxReplicas ?? w.replicas), 0);
  const caches = d.caches
    ? [{ name: 'tempo-memcached', ...MEMCACHED.tempo, replicas: MEMCACHED.replicas, connections: Math.max(4096, clients * 16 * 2), resources: memcachedResources(MEMCACHED.tempo.memoryMB) }]
    : [];
  return {
    engine: 'tempo',
    mode: 'distributed',
    workloads,
    gossip: { service: 'tempo-gossip-ring', port: GOSSIP_PORT, clusterLabel: `tempo.${namespace}`, memberLabel: 'tempo-gossip-member' },
    caches,
  };
}

/** Live-store replicas in each zone (every zone's StatefulSet has the same count). */
export function liveStoresPerZone(t: Topology): number {
  return Math.max(0, ...t.workloads.filter((w) => w.target === 'live-store').map((w) => w.replicas));
}
