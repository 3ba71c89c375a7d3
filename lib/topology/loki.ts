/**
 * Loki's workloads as data (lib/topology/types.ts), from `loki.deployment`:
 * - single binary, 1 replica: today's `-target=all` StatefulSet with an in-memory ring;
 * - single binary, N >= 3 replicas (HA monolithic, upstream's migration target for simple-scalable users):
 *   the same StatefulSet, every pod a memberlist ring member, replication factor 3;
 * - distributed: one workload per target (docs/sources/get-started/components.md), StatefulSets where a WAL
 *   or local index lives (ingester, index-gateway, compactor), Deployments elsewhere, memcached for chunks
 *   and query results. Simple-scalable (read/write/backend) is deprecated upstream and not offered.
 */
import { Autoscaling, ComponentOverrides, LokiComponent } from '../config/deployment';
import { LokiConfig } from '../config/loki';
import { Resources } from '../config/primitives';
import { LOKI_SIZES, lokiSizeFor, MEMCACHED, memcachedResources, Sizing } from './sizing';
import { Cache, Gossip, Role, Topology, Workload } from './types';

/**
 * The PVC mount: WAL, TSDB index (active and query cache), compactor work files and, in dev, the chunks. Here, in
 * the lowest layer that uses it (the workloads' volumes), so lib/loki/config.ts reads it from below.
 */
export const LOKI_DATA_DIR = '/var/loki';
/** emptyDir under the data path of targets without a volume claim. */
const STATELESS_SCRATCH_GIB = 5;
/** dskit memberlist.bind_port default. */
export const GOSSIP_PORT = 7946;
/** Loki's own default replication factor (pkg/loki/common/common.go), stated in the config when a ring is shared. */
export const LOKI_REPLICATION_FACTOR = 3;

export function lokiSize(loki: LokiConfig) {
  const size = loki.deployment.size ?? 'small';
  return typeof size === 'string' ? size : lokiSizeFor(size.ingestGBPerDay);
}

/** The sized defaults of one component with the user's overrides on top. */
export function componentSizing(base: Sizing, o: ComponentOverrides | undefined, autoscaled = false): Sizing & { autoscaling?: Autoscaling } {
  const replicas = o?.replicas ?? base.replicas;
  // Stateless read and write paths autoscale unless told not to: from the sized count to twice it.
  const autoscaling = o?.autoscaling === false ? undefined : o?.autoscaling ?? (autoscaled ? { minReplicas: Math.max(2, replicas), maxReplicas: Math.max(2, replicas) * 2, targetCPUUtilization: 60 } : undefined);
  const resources: Resources = { ...base.resources, ...Object.fromEntries(Object.entries(o?.resources ?? {}).filter(([, v]) => v !== undefined)) };
  return {
    replicas,
    resources,
    ...(o?.storageGiB ?? base.storageGiB ? { storageGiB: o?.storageGiB ?? base.storageGiB } : {}),
    ...(autoscaling ? { autoscaling } : {}),
  };
}

/**
 * The pods of an RF-3 ring (the HA single binary, the ingesters): created in parallel, one per node.
 * - Parallel: a recreated member is unready while another member's ring entry is stale (ring readiness), so
 *   OrderedReady would never create that other member (lib/k8s/topology.ts has the dskit citation).
 * - `ingester.autoforget_unhealthy` stays off (Loki's default, pkg/ingester/ingester.go): its flag help
 *   says it is for members that will not return, "when not using stateful sets". A StatefulSet pod comes back
 *   under the same name, which is its ring id (dskit lifecycler ID = hostname), with its WAL on its claim; with
 *   Parallel it is recreated at once and heartbeats its own entry back to health. Forgetting it instead
 *   would drop its tokens while its WAL still holds acknowledged writes. A member gone for good (a lost
 *   claim) is removed by hand: the `/ring` page's Forget button (README "Loki ring operations").
 * - One per node: two of three replicas on one node would take quorum with them.
 */
const RING_MEMBER = { parallel: true, onePerNode: true } as const;

function gossip(namespace: string): Gossip {
  return { service: 'loki-memberlist', port: GOSSIP_PORT, clusterLabel: `loki.${namespace}`, memberLabel: 'loki-gossip-member' };
}

export function lokiTopology(loki: LokiConfig, namespace: string): Topology {
  const d = loki.deployment;
  if (d.mode === 'single-binary') {
    const ha = d.replicas > 1;
    const all: Workload = {
      target: 'all',
      name: 'loki',
      kind: 'StatefulSet',
      replicas: d.replicas,
      resources: loki.resources,
      volume: { name: 'storage', mountPath: LOKI_DATA_DIR, storageGiB: loki.storageGiB },
      ports: ha ? ['http', 'grpc', 'gossip'] : ['http', 'grpc'],
      args: [],
      ringMember: ha,
      singleton: !ha,
      headless: false,
      roles: ['push', 'query'],
      // HA monolithic, RF 3 without zones: quorum survives one pod down in the whole ring (dskit
      // ring/replication_strategy.go), so at most one pod may be drained at a time, and no two pods may share
      // a node. Ring members start in parallel (RING_MEMBER). One replica keeps OrderedReady: the policy is
      // immutable, and existing single-replica installs must not need their StatefulSet recreated.
      ...(ha ? { maxUnavailable: 1, terminationGracePeriodSeconds: 300, ...RING_MEMBER } : {}),
    };
    return { engine: 'loki', mode: 'single-binary', workloads: [all], ...(ha ? { gossip: gossip(namespace) } : {}), caches: [] };
  }

  const tier = LOKI_SIZES[lokiSize(loki)];
  const sized = (c: LokiComponent) => componentSizing(tier[c], d.components[c], c === 'distributor' || c === 'querier');
  const workload = (
    c: LokiComponent,
    shape: {
      kind: Workload['kind'];
      roles?: Role[];
      headless?: Workload['headless'];
      singleton?: boolean;
      stateful?: boolean;
      grace?: number;
      maxUnavailable?: number;
      parallel?: boolean;
      onePerNode?: boolean;
    },
  ): Workload => {
    const s = sized(c);
    const replicas = shape.singleton ? 1 : s.replicas;
    return {
      target: c,
      name: `loki-${c}`,
      kind: shape.kind,
      replicas,
      resources: s.resources,
      // Stateless targets still write under path_prefix (the querier's index cache, scratch files): an
      // emptyDir there, since the root filesystem is read-only.
      ...(shape.stateful
        ? { volume: { name: 'data', mountPath: LOKI_DATA_DIR, storageGiB: s.storageGiB ?? loki.storageGiB } }
        : { scratch: { name: 'data', mountPath: LOKI_DATA_DIR, storageGiB: STATELESS_SCRATCH_GIB } }),
      ports: ['http', 'grpc', 'gossip'],
      args: [],
      // Every Loki target reads or joins a ring through memberlist (even the query-frontend, for the scheduler ring).
      ringMember: true,
      singleton: shape.singleton ?? false,
      ...(s.autoscaling ? { autoscaling: s.autoscaling } : {}),
      headless: shape.headless ?? false,
      roles: shape.roles ?? [],
      ...(replicas > 1 ? { maxUnavailable: shape.maxUnavailable ?? 1 } : {}),
      ...(shape.grace ? { terminationGracePeriodSeconds: shape.grace } : {}),
      ...(shape.parallel ? { parallel: true } : {}),
      ...(shape.onePerNode ? { onePerNode: true } : {}),
    };
  };
  const workloads: Workload[] = [
    workload('distributor', { kind: 'Deployment', roles: ['push'] }),
    // Ingesters flush chunks on shutdown (wal.flush_on_shutdown): the chart's 300 s grace period.
    workload('ingester', { kind: 'StatefulSet', stateful: true, grace: 300, ...RING_MEMBER }),
    workload('querier', { kind: 'Deployment', roles: ['tail'] }),
    workload('query-frontend', { kind: 'Deployment', roles: ['query'] }),
    // Headless: frontends and queriers resolve every scheduler from its DNS name.
    workload('query-scheduler', { kind: 'Deployment', roles: ['scheduler'], headless: 'discover-unready' }),
    // Queriers spread index lookups over every ready gateway (dns+ address); an unready one would fail them.
    // Parallel as upstream runs them; not one per node: they hold no replicas of a quorum (simple mode).
    workload('index-gateway', { kind: 'StatefulSet', roles: ['index-gateway'], headless: 'ready-only', stateful: true, parallel: true }),
    // One compactor compacts and applies retention (the compactor ring elects one owner of key 0, pkg/compactor).
    workload('compactor', { kind: 'StatefulSet', roles: ['compactor'], singleton: true, stateful: true }),
  ];
  const caches: Cache[] = d.caches
    ? [
        { name: 'loki-chunks-cache', ...MEMCACHED.lokiChunks },
        { name: 'loki-results-cache', ...MEMCACHED.lokiResults },
      ].map((c) => ({ ...c, replicas: MEMCACHED.replicas, connections: memcachedConnections(workloads), resources: memcachedResources(c.memoryMB) }))
    : [];
  return { engine: 'loki', mode: 'distributed', workloads, gossip: gossip(namespace), caches };
}

/** The workload whose pods run the ingester (and replay its WAL): the single binary, or the ingesters. */
export function lokiIngesters(t: Topology): Workload {
  return t.workloads.find((w) => w.target === 'all' || w.target === 'ingester')!;
}

/** Loki docs (operations/caching.md): `-c` >= clients × max_idle_conns (16), with room for the autoscalers' maximum. */
function memcachedConnections(workloads: Workload[]): number {
  const clients = workloads.reduce((n, w) => n + (w.autoscaling?.maxReplicas ?? w.replicas), 0);
  return Math.max(1024, clients * 16 * 2);
}

