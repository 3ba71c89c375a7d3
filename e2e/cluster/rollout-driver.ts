// A stand-in for Grafana's rollout-operator, which cannot be built here: the Go module proxy answers
// "403 This module version is not available" for github.com/grafana/rollout-operator (every version), so
// neither `go install` nor a wrapper can fetch it. This follows the reconcile loop of the release we render
// (v0.38.1, lib/images.ts) step by step: pkg/controller/controller.go reconcileStatefulSetsGroup,
// updateStatefulSetPods, hasStatefulSetNotReadyPods (a StatefulSet with fewer pods than its replicas has pods not
// ready), pkg/util/util.go IsPodRunningAndReady (a terminating pod is not ready), pkg/controller/util.go
// getMaxUnavailableForStatefulSet; and before each deletion the ZoneAwarePodDisruptionBudget check the operator
// makes on itself (zpdb EvictionController.MarkPodAsDeleted → HandlePodEvictionRequest,
// validator_partition_aware.go, pod_eviction_k8s_clients.go podsNotRunningAndReady, pod_eviction_cache.go),
// driven by the rendered budget: its selector, maxUnavailable and partition expression. It reads exactly the
// inputs the operator reads: the `rollout-group` label on the StatefulSets, the `rollout-max-unavailable`
// annotation, `updateStrategy: OnDelete`, the pod template's `name` label (how it finds a StatefulSet's pods) and
// the pods' controller-revision-hash. Everything else (recreating deleted pods at the new revision, readiness,
// scheduling) is the real control plane's.
import type { Cluster, K8sObject } from './cluster';
import { isReady } from './watch';
import { ROLLOUT_GROUP_LABEL, ROLLOUT_MAX_UNAVAILABLE_ANNOTATION as MAX_UNAVAILABLE_ANNOTATION, ROLLOUT_POD_NAME_LABEL, ZPDB_GROUP, ZPDB_RESOURCE, ZPDB_VERSION } from '../../lib/k8s/rollout-operator';

export { ROLLOUT_GROUP_LABEL };

/** util.go getMaxUnavailableForStatefulSet: a positive integer or an integer percentage of replicas; else 1. */
export function maxUnavailable(sts: K8sObject): number {
  const raw = sts.metadata.annotations?.[MAX_UNAVAILABLE_ANNOTATION]?.trim();
  if (raw === undefined) return 1;
  if (raw.endsWith('%')) {
    const perc = Number(raw.slice(0, -1));
    if (!Number.isInteger(perc) || perc <= 0 || perc > 100 || sts.spec.replicas === undefined) return 1;
    return Math.max(1, Math.floor((perc * sts.spec.replicas) / 100));
  }
  const v = Number(raw);
  return Number.isInteger(v) && v > 0 ? v : 1;
}

/** util.go IsPodRunningAndReady: Running, not terminating, Ready (isReady checks the deletion timestamp too). */
function runningAndReady(p: K8sObject): boolean {
  return p.status?.phase === 'Running' && isReady(p);
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

export class RolloutDriver {
  /** What it did, in order (for the test's report and failure messages). */
  readonly log: string[] = [];
  /** pod_eviction_cache.go: pods it let go, by name → uid, counted as not ready until a new pod of that name is. */
  private readonly evicted = new Map<string, string>();
  /** Refusals already logged (a refused pod is retried at every reconcile). */
  private readonly refusals = new Set<string>();
  constructor(private readonly cluster: Cluster, private readonly namespace: string) {}

  /** One reconcile of every group in the namespace; true while any group still has work. */
  async reconcile(): Promise<boolean> {
    const all = await this.cluster.list(`/apis/apps/v1/namespaces/${this.namespace}/statefulsets`);
    const pods = await this.cluster.list(`/api/v1/namespaces/${this.namespace}/pods`);
    this.budgets = await this.cluster.list(`/apis/${ZPDB_GROUP}/${ZPDB_VERSION}/namespaces/${this.namespace}/${ZPDB_RESOURCE}`);
    this.statefulSets = all;
    for (const p of pods) if (this.evicted.has(p.metadata.name) && this.evicted.get(p.metadata.name) !== p.metadata.uid && runningAndReady(p)) this.evicted.delete(p.metadata.name);
    const groups = new Map<string, K8sObject[]>();
    for (const s of all) {
      const g = s.metadata.labels?.[ROLLOUT_GROUP_LABEL];
      if (g !== undefined) groups.set(g, [...(groups.get(g) ?? []), s]);
    }
    let ongoing = false;
    for (const [group, sets] of groups) ongoing = (await this.reconcileGroup(group, sets, pods)) || ongoing;
    return ongoing;
  }

  private budgets: K8sObject[] = [];
  private statefulSets: K8sObject[] = [];

  private podsOf(sts: K8sObject, pods: readonly K8sObject[]): K8sObject[] {
    // Selected by the template's `name` label only (listPodsByStatefulSet); a missing label selects nothing.
    const name = sts.spec.template.metadata?.labels?.[ROLLOUT_POD_NAME_LABEL];
    return pods.filter((p) => name !== undefined && p.metadata.labels?.[ROLLOUT_POD_NAME_LABEL] === name).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  private hasNotReady(sts: K8sObject, pods: readonly K8sObject[]): boolean {
    if ((sts.status?.replicas ?? 0) !== (sts.status?.readyReplicas ?? 0)) return true;
    const mine = this.podsOf(sts, pods);
    // Fewer pods than the status says: a deleted pod not yet recreated is not ready.
    if (mine.length < (sts.status?.replicas ?? 0)) return true;
    return mine.some((p) => !runningAndReady(p));
  }

  /**
   * The budget check the operator makes before deleting a pod (HandlePodEvictionRequest): a reason to refuse, or
   * undefined. A pod already not ready, or in no budget, may go. Otherwise, in partition mode, the pods of the same
   * partition in every other StatefulSet the budget selects must be running and ready (a missing one is unknown),
   * fewer than maxUnavailable of them not.
   */
  private budgetRefusal(pod: K8sObject, sts: K8sObject, pods: readonly K8sObject[]): string | undefined {
    if (['Succeeded', 'Failed', 'Pending'].includes(pod.status?.phase) || pod.metadata.deletionTimestamp) return undefined;
    const budget = this.budgets.find((b) => matches(b.spec.selector?.matchLabels, pod.metadata.labels));
    if (!budget) return undefined;
    // maxUnavailable 0 (no voluntary eviction) is overridden for the operator's own deletions: 1 with a partition
    // expression, else the StatefulSet's rollout-max-unavailable (controller.go NewMaxUnavailableZeroOverride).
    // (maxUnavailablePercentage is not modelled: we render a count.)
    const allowed = budget.spec.maxUnavailable > 0 ? budget.spec.maxUnavailable : budget.spec.podNamePartitionRegex ? 1 : maxUnavailable(sts);
    const related = this.statefulSets.filter((s) => matches(budget.spec.selector?.matchLabels, s.metadata.labels));
    if (related.length <= 1) return 'minimum number of StatefulSets not found';
    let partition: string | undefined;
    if (budget.spec.podNamePartitionRegex) {
      // The operator anchors the expression (pkg/zpdb/config.go valueAsRegex).
      const m = new RegExp(`^${budget.spec.podNamePartitionRegex}$`).exec(pod.metadata.name);
      partition = m?.[budget.spec.podNameRegexGroup ?? 1];
      if (!partition) return 'failed to extract partition from pod Name regular expression';
    }
    const partitionOf = (p: K8sObject) => new RegExp(`^${budget.spec.podNamePartitionRegex}$`).exec(p.metadata.name)?.[budget.spec.podNameRegexGroup ?? 1];
    let notReady = 0;
    for (const other of related.filter((s) => s.metadata.uid !== sts.metadata.uid)) {
      const theirs = this.podsOf(other, pods);
      const considered = partition === undefined ? theirs : theirs.filter((p) => partitionOf(p) === partition);
      const down = considered.filter((p) => this.evicted.get(p.metadata.name) === p.metadata.uid || !runningAndReady(p)).length;
      const replicas = Math.max(other.status?.replicas ?? 0, other.spec.replicas ?? 0);
      const unknown = Math.max(0, replicas - theirs.length);
      // validator_partition_aware.go accumulateResult: no pod of the partition seen at all counts as unknown.
      notReady += down + unknown + (partition !== undefined && considered.length === 0 && unknown === 0 ? 1 : 0);
    }
    return notReady >= allowed ? `${budget.metadata.name}: ${notReady} ${partition === undefined ? '' : `of partition ${partition} `}not ready elsewhere, max unavailable ${allowed}` : undefined;
  }

  private async reconcileGroup(group: string, sets: K8sObject[], pods: readonly K8sObject[]): Promise<boolean> {
    sets.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    for (const s of sets) {
      if (s.spec.updateStrategy?.type !== 'OnDelete') {
        throw new Error(`rollout group ${group}: StatefulSet ${s.metadata.name} has ${s.spec.updateStrategy?.type ?? 'RollingUpdate'} update strategy while OnDelete is expected (the rollout-operator skips the group)`);
      }
    }
    const notReady = sets.filter((s) => this.hasNotReady(s, pods));
    if (notReady.length > 1) return true; // wait until at most one StatefulSet has not-Ready pods
    if (notReady.length === 1) sets = [notReady[0], ...sets.filter((s) => s !== notReady[0])];
    for (const sts of sets) if (await this.updatePods(sts, pods)) return true;
    return false;
  }

  private async updatePods(sts: K8sObject, pods: readonly K8sObject[]): Promise<boolean> {
    const update = sts.status?.updateRevision;
    if (!sts.status?.currentRevision || !update) throw new Error(`StatefulSet ${sts.metadata.name}: currentRevision or updateRevision is empty`);
    const toUpdate = this.podsOf(sts, pods).filter((p) => p.metadata.labels?.['controller-revision-hash'] !== update);
    if (toUpdate.length > 0) {
      const notReady = (sts.status.replicas ?? 0) - (sts.status.readyReplicas ?? 0);
      const n = Math.max(0, Math.min(maxUnavailable(sts) - notReady, toUpdate.length));
      for (const p of toUpdate.slice(0, n)) {
        if (p.status?.phase === 'Running' && p.metadata.deletionTimestamp) continue;
        const refusal = this.budgetRefusal(p, sts, pods);
        if (refusal) {
          const line = `budget refused ${p.metadata.name}: ${refusal}`;
          if (!this.refusals.has(line)) this.log.push(line);
          this.refusals.add(line);
          continue;
        }
        this.evicted.set(p.metadata.name, p.metadata.uid!);
        this.log.push(`delete ${p.metadata.name}`);
        const r = await this.cluster.raw('DELETE', `/api/v1/namespaces/${this.namespace}/pods/${p.metadata.name}`);
        if (r.status !== 200 && r.status !== 404) throw new Error(`delete pod ${p.metadata.name}: ${r.status} ${r.body}`);
      }
      return true;
    }
    if (this.hasNotReady(sts, pods)) return true;
    if (sts.status.currentRevision !== update) {
      // With OnDelete the StatefulSet controller leaves currentRevision alone; the operator moves it.
      const body = { ...sts, status: { ...sts.status, currentRevision: update } };
      const r = await this.cluster.raw('PUT', `/apis/apps/v1/namespaces/${this.namespace}/statefulsets/${sts.metadata.name}/status`, body);
      // 409: the StatefulSet controller wrote the status since it was read; the operator returns the error and
      // the next reconcile tries again with the fresh object, as here.
      if (r.status === 409) return true;
      if (r.status !== 200) throw new Error(`update status of ${sts.metadata.name}: ${r.status} ${r.body}`);
      this.log.push(`${sts.metadata.name} done`);
    }
    return false;
  }
}
