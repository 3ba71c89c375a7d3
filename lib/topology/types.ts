/**
 * Topology as data: one description of an engine's workloads, built from config (lib/topology/loki.ts,
 * lib/topology/tempo.ts) and read by everything that depends on it: the chart's StatefulSets, Deployments,
 * Services, PodDisruptionBudgets and autoscalers, the engine's own config (ring, addresses, caches), the
 * NetworkPolicies, Grafana's datasource URLs, Promtail's push URL and the collector's exporter. Nobody else
 * asks "are we distributed?".
 */
import { Autoscaling } from '../config/deployment';
import { Resources } from '../config/primitives';

export type Mode = 'single-binary' | 'distributed';

/** What clients reach a workload for; the consumers pick their workload by role, never by name. */
export type Role = 'push' | 'query' | 'otlp' | 'tail' | 'compactor' | 'scheduler' | 'index-gateway' | 'frontend-discovery' | 'backend-scheduler';

export interface Volume {
  /** Volume (claim template) name. */
  readonly name: string;
  readonly mountPath: string;
  readonly storageGiB: number;
}

export interface Workload {
  /** The engine's `-target`. */
  readonly target: string;
  /** Name of every object of this workload (StatefulSet or Deployment, Service, ServiceAccount, PDB, HPA). */
  readonly name: string;
  readonly kind: 'StatefulSet' | 'Deployment';
  readonly replicas: number;
  readonly resources: Resources;
  /** Where a WAL or local blocks live: a volume claim per pod (StatefulSets only). */
  readonly volume?: Volume;
  /** Scratch space that need not survive a restart (an emptyDir at volume.mountPath's place), in GiB. */
  readonly scratch?: Volume;
  /**
   * A second, headless Service resolving to every replica, for clients that connect to each pod themselves:
   * queriers → frontends (gRPC, also before ready: a frontend is ready only once a querier connected), the
   * sampler's load-balancing exporter → distributors (OTLP gRPC, ready pods only).
   */
  readonly discoveryService?: { readonly name: string; readonly ports: readonly string[]; readonly unready: boolean };
  /** Engine port names this workload serves and its Service publishes. */
  readonly ports: readonly string[];
  /** Extra command-line flags after `-target` (a live-store's zone). */
  readonly args: readonly string[];
  /** Joins the memberlist ring: selected by the gossip Service, admitted on the gossip port. */
  readonly ringMember: boolean;
  /** Exactly one replica, always: no autoscaler, no PDB. */
  readonly singleton: boolean;
  readonly autoscaling?: Autoscaling;
  /**
   * The Service is headless: clients resolve every pod (schedulers, index gateways). `discover-unready` also
   * publishes pods before they are ready, for peers whose readiness waits on their clients (Loki's schedulers
   * are ready before any frontend connects, but frontends must find them while starting).
   */
  readonly headless: false | 'ready-only' | 'discover-unready';
  readonly roles: readonly Role[];
  /** Workloads sharing one disruption budget (live-store zones: one pod per partition down at a time). */
  readonly disruptionGroup?: string;
  /** Pods that may be down at once for voluntary disruptions; undefined = no PDB. */
  readonly maxUnavailable?: number;
  readonly terminationGracePeriodSeconds?: number;
  /** Pin the pods to this `topology.kubernetes.io/zone` (one live-store StatefulSet per real zone). */
  readonly nodeZone?: string;
  /**
   * Create and delete pods without waiting for lower ordinals (`podManagementPolicy: Parallel`): ring members,
   * whose readiness waits on each other (see lib/k8s/topology.ts). An immutable StatefulSet field, so a workload
   * keeps the value it was created with unless recreated (README "Loki: from 1 to 3 replicas").
   */
  readonly parallel?: boolean;
  /**
   * One of several zone StatefulSets of a `disruptionGroup`, rolled by Grafana's rollout-operator one zone at a
   * time (updateStrategy OnDelete; lib/k8s/rollout-operator.ts): at most `maxUnavailable` pods of this zone
   * restart at once, and only while every other zone is Ready. `partitioned`: the pod ordinal is a partition
   * every zone owns once, so the zone-aware budget counts unavailable owners per partition.
   */
  readonly zoneRollout?: { readonly maxUnavailable: number; readonly partitioned: boolean };
  /** Never on one node with a pod of another workload of its `disruptionGroup` (the other owners of its partitions). */
  readonly apartFromGroup?: boolean;
  /**
   * At most one pod of this workload per node (required pod anti-affinity on the hostname), where quorum depends
   * on it: two replicas of an RF-3 ring on one node fall together. With fewer schedulable nodes than replicas the
   * extra pods stay Pending instead of doubling up.
   */
  readonly onePerNode?: boolean;
}

export interface Cache {
  /** StatefulSet and headless Service name. */
  readonly name: string;
  readonly replicas: number;
  /** memcached `-m`, in MB. */
  readonly memoryMB: number;
  /** memcached `-I`. */
  readonly maxItemSize: string;
  /** memcached `-c`. */
  readonly connections: number;
  readonly resources: Resources;
}

export interface Gossip {
  /** Headless Service selecting exactly the ring members. */
  readonly service: string;
  readonly port: number;
  /** memberlist.cluster_label: Loki and Tempo gossip on the same port in one namespace. */
  readonly clusterLabel: string;
  /** Pod label every ring member carries and the gossip Service selects. */
  readonly memberLabel: string;
}

export interface Topology {
  readonly engine: 'loki' | 'tempo';
  readonly mode: Mode;
  readonly workloads: readonly Workload[];
  /** Set when any workload joins a memberlist ring. */
  readonly gossip?: Gossip;
  readonly caches: readonly Cache[];
}

/** The one workload serving a role (push → distributor, query → query-frontend, or the single binary). */
export function workloadFor(t: Topology, role: Role): Workload {
  const found = t.workloads.filter((w) => w.roles.includes(role));
  if (found.length !== 1) throw new Error(`${t.engine} topology: expected one workload with role ${role}, found ${found.map((w) => w.name).join(', ') || 'none'}`);
  return found[0];
}

/** A problem found in a topology: the config key it is about and the arithmetic that fails. */
export interface TopologyProblem {
  readonly path: (string | number)[];
  readonly message: string;
}
