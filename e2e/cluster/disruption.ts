// What a voluntary disruption may take away, read from the topology (lib/topology: rings, singletons,
// disruption groups) and the rendered objects, and a checker that judges every state a drain goes through.
import { lokiTopology } from '../../lib/topology/loki';
import { tempoTopology } from '../../lib/topology/tempo';
import type { K8sObject } from './cluster';
import { matches } from './placement';
import type { Rendered } from './render';
import { isReady } from './watch';

interface Group { name: string; namespace: string; selector: any; replicas: number }

export interface Expectations {
  /**
   * Every Deployment and StatefulSet: never all pods down unless it is a declared singleton, or (in a rollout) a
   * zone of a rollout group, which the rollout-operator restarts up to rollout-max-unavailable pods at once.
   */
  workloads: (Group & { singleton: boolean; zoneRolled?: boolean })[];
  /** Ring members: at most maxUnavailable not Ready at once (a ring of replication factor 3 keeps its quorum). */
  rings: (Group & { maxUnavailable: number })[];
  /** Partition owners: pods with the same ordinal across the StatefulSets of one disruption group. */
  partitions: { namespace: string; statefulSets: string[]; replicas: number }[];
}

/**
 * Declared singletons: the topology's, plus any other workload rendered with one replica (its config says so).
 * `drain`: voluntary evictions, bounded by the PodDisruptionBudgets (one live-store pod at a time). `rollout`: the
 * rollout-operator deletes the pods of one zone of a rollout group, up to its rollout-max-unavailable at once, so
 * a zone may be down entirely while every partition keeps its owner in another zone.
 */
export function expectations(renders: readonly Rendered[], during: 'drain' | 'rollout' = 'drain'): Expectations {
  const out: Expectations = { workloads: [], rings: [], partitions: [] };
  for (const r of renders) {
    const topo = [lokiTopology(r.env.config.loki, r.namespace), tempoTopology(r.env.config.tempo, r.namespace)];
    const byName = new Map(topo.flatMap((t) => t.workloads.map((w) => [w.name, w] as const)));
    for (const o of r.objects) {
      if (o.kind !== 'Deployment' && o.kind !== 'StatefulSet') continue;
      // An autoscaled workload has no rendered replicas; its autoscaler's minimum is what must stay up.
      const hpa = r.objects.find((h) => h.kind === 'HorizontalPodAutoscaler' && h.spec.scaleTargetRef?.kind === o.kind && h.spec.scaleTargetRef?.name === o.metadata.name);
      const replicas = Math.max(o.spec.replicas ?? 1, hpa?.spec.minReplicas ?? 1);
      const g = { name: `${o.kind}/${o.metadata.name}`, namespace: o.metadata.namespace!, selector: o.spec.selector, replicas };
      const w = byName.get(o.metadata.name);
      const zoneRolled = during === 'rollout' && w?.zoneRollout !== undefined;
      out.workloads.push({ ...g, singleton: w ? w.singleton : replicas === 1, zoneRolled });
      // In a drain the budget bounds what is down; in a config rollout a zone's rollout-max-unavailable does, and a
      // Deployment's own rolling update (PodDisruptionBudgets bound evictions, not rollouts).
      const bound = zoneRolled ? w.zoneRollout!.maxUnavailable : during === 'rollout' && o.kind === 'Deployment' ? rollingMaxUnavailable(o, replicas) : w?.maxUnavailable ?? 0;
      if (w?.ringMember && replicas > 1) out.rings.push({ ...g, maxUnavailable: bound });
    }
    for (const t of topo) {
      const groups = new Map<string, { names: string[]; replicas: number }>();
      for (const w of t.workloads) {
        if (!w.disruptionGroup || w.kind !== 'StatefulSet') continue;
        const g = groups.get(w.disruptionGroup) ?? { names: [], replicas: 0 };
        groups.set(w.disruptionGroup, { names: [...g.names, w.name], replicas: Math.max(g.replicas, w.replicas) });
      }
      for (const g of groups.values()) if (g.names.length > 1) out.partitions.push({ namespace: r.namespace, statefulSets: g.names, replicas: g.replicas });
    }
  }
  return out;
}

/**
 * A Deployment's rolling-update maxUnavailable in pods, as the Deployment controller resolves it
 * (kubernetes pkg/controller/deployment/util ResolveFenceposts): a percentage of replicas rounded down (25% when
 * unset), maxSurge rounded up, and 1 when both come to 0.
 */
export function rollingMaxUnavailable(d: K8sObject, replicas: number): number {
  if (d.spec.strategy?.type === 'Recreate') return replicas;
  const ru = d.spec.strategy?.rollingUpdate;
  const scaled = (v: number | string | undefined, up: boolean) => {
    const x = v ?? '25%';
    if (typeof x === 'number') return x;
    const p = Number(x.replace('%', ''));
    return up ? Math.ceil((p * replicas) / 100) : Math.floor((p * replicas) / 100);
  };
  const surge = scaled(ru?.maxSurge, true);
  const unavailable = scaled(ru?.maxUnavailable, false);
  return surge === 0 && unavailable === 0 ? 1 : unavailable;
}

/** Problems with the current pods against the expectations (empty when all hold). */
export function disruptionProblems(e: Expectations, pods: readonly K8sObject[]): string[] {
  const out: string[] = [];
  const byNs = new Map<string, K8sObject[]>();
  for (const p of pods) byNs.set(p.metadata.namespace!, [...(byNs.get(p.metadata.namespace!) ?? []), p]);
  const of = (g: Group) => (byNs.get(g.namespace) ?? []).filter((p) => matches(g.selector, p.metadata.labels));
  for (const w of e.workloads) {
    if (w.singleton || w.zoneRolled || w.replicas < 2) continue;
    if (of(w).filter(isReady).length === 0) out.push(`${w.namespace} ${w.name}: all ${w.replicas} replicas down at once`);
  }
  for (const ring of e.rings) {
    const members = of(ring);
    const down = ring.replicas - members.filter(isReady).length;
    if (down > ring.maxUnavailable) out.push(`${ring.namespace} ${ring.name}: ${down} of ${ring.replicas} ring members down, at most ${ring.maxUnavailable} may be (${members.length} pods: ${members.map((p) => `${p.metadata.name}${isReady(p) ? '' : p.metadata.deletionTimestamp ? ' terminating' : ` ${p.status?.phase ?? 'new'}`}`).join(', ')})`);
  }
  for (const p of e.partitions) {
    const ready = new Set((byNs.get(p.namespace) ?? []).filter(isReady).map((x) => x.metadata.name));
    for (let i = 0; i < p.replicas; i++) {
      const owners = p.statefulSets.map((s) => `${s}-${i}`);
      if (owners.every((o) => !ready.has(o))) out.push(`${p.namespace}: partition ${i} has no owner up (${owners.join(', ')} all down)`);
    }
  }
  return out;
}

/** Which workloads are down entirely right now (for the singleton report). */
export function allDown(e: Expectations, pods: readonly K8sObject[]): string[] {
  return e.workloads
    .filter((w) => !pods.some((p) => p.metadata.namespace === w.namespace && matches(w.selector, p.metadata.labels) && isReady(p)))
    .map((w) => `${w.namespace} ${w.name}`);
}
