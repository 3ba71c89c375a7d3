/**
 * A small model of how a config or image change reaches the pods of a zone group, evaluated on the rendered
 * StatefulSets and ZoneAwarePodDisruptionBudgets, read from the sources that decide it:
 * - Grafana's rollout-operator v0.38.1, pkg/controller/controller.go reconcileStatefulSetsGroup and
 *   updateStatefulSetPods (group by `rollout-group`, OnDelete required, a StatefulSet with not-Ready pods
 *   first, nothing while two have not-Ready pods, at most `rollout-max-unavailable` minus not-Ready pods
 *   deleted, the next StatefulSet only once this one is updated and Ready; pods found by the template's `name`
 *   label), pkg/controller/labels.go (the annotation: integer or "N%"), pkg/zpdb/eviction_controller.go and
 *   validator_partition_aware.go (a deletion is refused while `maxUnavailable` other owners of the pod's
 *   partition are not Ready or already being evicted; fewer than two StatefulSets or a pod name the regex
 *   does not parse refuse it too; a pod that is not Ready is let go);
 * - Kubernetes' StatefulSet controller: with OnDelete it only recreates deleted pods at the new revision; with
 *   RollingUpdate it replaces, in every StatefulSet on its own, the highest-ordinal pod not yet updated once
 *   its pods are Ready.
 * Each tick: the controllers act, then every pod deleted on an earlier tick comes back, and is Ready
 * `readyAfter` ticks later. Ownership is Tempo's: a live-store owns the partition of its ordinal
 * (pkg/ingest/util.go).
 */
import { K8sObject } from '../helpers';

interface Pod {
  name: string;
  ordinal: number;
  labels: Record<string, string>;
  revision: 'old' | 'new';
  /** Ticks until Ready; 0 = Ready; undefined while deleted and not yet recreated. */
  readyIn?: number;
  deleted: boolean;
}

interface Sts {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  replicas: number;
  strategy: string;
  templateLabels: Record<string, string>;
  pods: Pod[];
}

export interface RolloutResult {
  /** Each pod deletion, in order, as `<pod>@<tick>`. */
  deletions: string[];
  /** Partitions (ordinals) that had no Ready owner, as `partition <p> at tick <t>`. */
  ownerless: string[];
  /** Every pod runs the new revision and is Ready. */
  completed: boolean;
  ticks: number;
}

const ready = (p: Pod) => !p.deleted && p.readyIn === 0;
const matches = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

/** pkg/controller/labels.go getMaxUnavailableForStatefulSet. */
export function maxUnavailableOf(sts: { annotations: Record<string, string>; replicas: number }): number {
  const raw = sts.annotations['rollout-max-unavailable']?.trim();
  if (raw === undefined) return 1;
  const pct = /^(\d+)%$/.exec(raw);
  if (pct) {
    const n = Number(pct[1]);
    return n <= 0 || n > 100 ? 1 : Math.max(1, Math.floor((n * sts.replicas) / 100));
  }
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/**
 * Rolls a new revision through the StatefulSets of `group` in `objects`. `down` marks pods that are not Ready
 * before the change (a crash), for `downTicks` ticks.
 */
export function simulateRollout(objects: K8sObject[], group: string, opts: { readyAfter?: number; down?: string[]; downTicks?: number; maxTicks?: number } = {}): RolloutResult {
  const readyAfter = opts.readyAfter ?? 3;
  const sets: Sts[] = objects
    .filter((o) => o.kind === 'StatefulSet' && o.metadata.labels?.['rollout-group'] === group)
    .map((o) => ({
      name: o.metadata.name,
      labels: o.metadata.labels ?? {},
      annotations: o.metadata.annotations ?? {},
      replicas: o.spec.replicas,
      strategy: o.spec.updateStrategy?.type ?? 'RollingUpdate',
      templateLabels: o.spec.template.metadata.labels,
      pods: Array.from({ length: o.spec.replicas }, (_, i) => ({ name: `${o.metadata.name}-${i}`, ordinal: i, labels: { ...o.spec.template.metadata.labels }, revision: 'old' as const, readyIn: 0, deleted: false })),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  if (sets.length === 0) throw new Error(`no StatefulSet with rollout-group ${group}`);
  for (const name of opts.down ?? []) {
    const pod = sets.flatMap((s) => s.pods).find((p) => p.name === name)!;
    pod.readyIn = opts.downTicks ?? 5;
  }
  const budgets = objects.filter((o) => o.kind === 'ZoneAwarePodDisruptionBudget');
  const evicting = new Set<string>();
  const result: RolloutResult = { deletions: [], ownerless: [], completed: false, ticks: 0 };
  let tick = 0;

  const remove = (pod: Pod) => {
    pod.deleted = true;
    pod.readyIn = undefined;
    result.deletions.push(`${pod.name}@${tick}`);
  };

  /** pkg/zpdb: may the operator delete this pod? */
  const budgetAllows = (sts: Sts, pod: Pod, override: number): boolean => {
    const zpdb = budgets.find((b) => matches(b.spec.selector.matchLabels, pod.labels));
    if (!zpdb) return true;
    if (!ready(pod)) return true; // canIgnorePDBForPod: already disrupted
    let max = zpdb.spec.maxUnavailable ?? 0;
    if (max === 0) max = override;
    const related = sets.filter((s) => matches(zpdb.spec.selector.matchLabels, s.labels));
    if (related.length <= 1) return false;
    const regex = zpdb.spec.podNamePartitionRegex ? new RegExp(`^${zpdb.spec.podNamePartitionRegex}$`) : undefined;
    const partitionOf = (p: Pod) => (regex ? regex.exec(p.name)?.[zpdb.spec.podNameRegexGroup ?? 1] : '');
    const partition = partitionOf(pod);
    if (partition === undefined) return false;
    let unavailable = 0;
    for (const other of related.filter((s) => s !== sts)) {
      // A deleted pod counts as not Ready (the operator finds it missing or not running).
      const peers = other.pods.filter((p) => (regex ? partitionOf(p) === partition : true));
      if (peers.length === 0) unavailable++;
      else unavailable += peers.filter((p) => !ready(p) || evicting.has(p.name)).length;
    }
    if (unavailable >= max) return false;
    evicting.add(pod.name);
    return true;
  };

  /** The rollout-operator's reconcile of one group (controller.go). */
  const operator = () => {
    if (sets.some((s) => s.strategy !== 'OnDelete')) return; // "skipping reconcile"
    const podsOf = (s: Sts) => (s.templateLabels.name === undefined ? [] : s.pods.filter((p) => !(p.deleted && p.readyIn === undefined) && p.labels.name === s.templateLabels.name));
    const notReady = (s: Sts) => s.pods.filter(ready).length !== s.replicas || podsOf(s).length < s.replicas || podsOf(s).some((p) => !ready(p));
    const notReadySets = sets.filter(notReady);
    if (notReadySets.length > 1) return;
    const order = notReadySets.length === 1 ? [notReadySets[0], ...sets.filter((s) => s !== notReadySets[0])] : sets;
    for (const s of order) {
      const toUpdate = podsOf(s).filter((p) => p.revision === 'old');
      if (toUpdate.length) {
        const max = maxUnavailableOf(s);
        const n = Math.max(0, Math.min(max - (s.replicas - s.pods.filter(ready).length), toUpdate.length));
        const override = budgets.some((b) => b.spec.podNamePartitionRegex && matches(b.spec.selector.matchLabels, toUpdate[0].labels)) ? 1 : max;
        for (const pod of toUpdate.slice(0, n)) {
          if (pod.deleted) continue;
          if (!budgetAllows(s, pod, override)) continue;
          remove(pod);
        }
        return;
      }
      if (notReady(s)) return;
    }
  };

  /** Kubernetes' own RollingUpdate, per StatefulSet. */
  const statefulSetController = () => {
    for (const s of sets.filter((x) => x.strategy !== 'OnDelete')) {
      if (s.pods.some((p) => !ready(p))) continue;
      const old = s.pods.filter((p) => p.revision === 'old').sort((a, b) => b.ordinal - a.ordinal)[0];
      if (old) remove(old);
    }
  };

  const max = opts.maxTicks ?? 500;
  for (tick = 0; tick < max; tick++) {
    const deletedBefore = new Set(sets.flatMap((s) => s.pods).filter((p) => p.deleted).map((p) => p.name));
    operator();
    statefulSetController();
    // Ownership after this tick's deletions.
    const partitions = Math.max(...sets.map((s) => s.replicas));
    for (let p = 0; p < partitions; p++) {
      if (!sets.some((s) => s.pods.some((pod) => pod.ordinal === p && ready(pod)))) result.ownerless.push(`partition ${p} at tick ${tick}`);
    }
    // Recreate pods deleted on an earlier tick at the new revision; count down readiness.
    for (const pod of sets.flatMap((s) => s.pods)) {
      if (pod.deleted && deletedBefore.has(pod.name)) {
        pod.deleted = false;
        pod.revision = 'new';
        pod.readyIn = readyAfter;
        evicting.delete(pod.name);
      } else if (!pod.deleted && pod.readyIn! > 0) pod.readyIn!--;
    }
    if (sets.every((s) => s.pods.every((p) => p.revision === 'new' && ready(p)))) {
      result.completed = true;
      break;
    }
  }
  result.ticks = tick;
  return result;
}
