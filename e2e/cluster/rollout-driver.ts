// A stand-in for Grafana's rollout-operator, which cannot be built here: the Go module proxy answers
// "403 This module version is not available" for github.com/grafana/rollout-operator (every version), so
// neither `go install` nor a wrapper can fetch it. This follows its reconcile loop step by step
// (grafana/rollout-operator pkg/controller/controller.go: reconcileStatefulSetsGroup, updateStatefulSetPods,
// podsNotMatchingUpdateRevision, hasStatefulSetNotReadyPods; pkg/controller/util.go
// getMaxUnavailableForStatefulSet) and reads exactly the inputs it reads: the `rollout-group` label on the
// StatefulSets, the `rollout-max-unavailable` annotation, `updateStrategy: OnDelete`, the pod template's
// `name` label (how it finds a StatefulSet's pods) and the pods' controller-revision-hash. Everything else —
// recreating deleted pods at the new revision, readiness, scheduling — is the real control plane's.
import type { Cluster, K8sObject } from './cluster';
import { isReady } from './watch';

export const ROLLOUT_GROUP_LABEL = 'rollout-group';
export const MAX_UNAVAILABLE_ANNOTATION = 'rollout-max-unavailable';

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

/** controller.go isPodRunningAndReady. */
function runningAndReady(p: K8sObject): boolean {
  return p.status?.phase === 'Running' && isReady(p);
}

export class RolloutDriver {
  /** What it did, in order (for the test's report and failure messages). */
  readonly log: string[] = [];
  constructor(private readonly cluster: Cluster, private readonly namespace: string) {}

  /** One reconcile of every group in the namespace; true while any group still has work. */
  async reconcile(): Promise<boolean> {
    const all = await this.cluster.list(`/apis/apps/v1/namespaces/${this.namespace}/statefulsets`);
    const pods = await this.cluster.list(`/api/v1/namespaces/${this.namespace}/pods`);
    const groups = new Map<string, K8sObject[]>();
    for (const s of all) {
      const g = s.metadata.labels?.[ROLLOUT_GROUP_LABEL];
      if (g !== undefined) groups.set(g, [...(groups.get(g) ?? []), s]);
    }
    let ongoing = false;
    for (const [group, sets] of groups) ongoing = (await this.reconcileGroup(group, sets, pods)) || ongoing;
    return ongoing;
  }

  private podsOf(sts: K8sObject, pods: readonly K8sObject[]): K8sObject[] {
    // Selected by the template's `name` label only (listNotReadyPodsByStatefulSet); a missing label selects nothing.
    const name = sts.spec.template.metadata?.labels?.name;
    return pods.filter((p) => name !== undefined && p.metadata.labels?.name === name).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  private hasNotReady(sts: K8sObject, pods: readonly K8sObject[]): boolean {
    if ((sts.status?.replicas ?? 0) !== (sts.status?.readyReplicas ?? 0)) return true;
    return this.podsOf(sts, pods).some((p) => !runningAndReady(p));
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
      if (r.status !== 200 && r.status !== 409) throw new Error(`update status of ${sts.metadata.name}: ${r.status} ${r.body}`);
      this.log.push(`${sts.metadata.name} done`);
    }
    return false;
  }
}
