// Convergence as the controllers report it: what is not yet available, ready or scheduled.
import type { Cluster, K8sObject } from './cluster';

export interface Workloads {
  deployments: K8sObject[];
  statefulSets: K8sObject[];
  daemonSets: K8sObject[];
  replicaSets: K8sObject[];
  pods: K8sObject[];
  autoscalers: K8sObject[];
}

export async function workloads(cluster: Cluster, namespaces: readonly string[]): Promise<Workloads> {
  const inNs = (o: K8sObject) => namespaces.includes(o.metadata.namespace!);
  const [deployments, statefulSets, daemonSets, replicaSets, pods, autoscalers] = await Promise.all(
    ['deployments', 'statefulsets', 'daemonsets', 'replicasets'].map((r) => cluster.list(`/apis/apps/v1/${r}`))
      .concat(cluster.list('/api/v1/pods'), cluster.list('/apis/autoscaling/v2/horizontalpodautoscalers')),
  );
  return { deployments: deployments.filter(inNs), statefulSets: statefulSets.filter(inNs), daemonSets: daemonSets.filter(inNs), replicaSets: replicaSets.filter(inNs), pods: pods.filter(inNs), autoscalers: autoscalers.filter(inNs) };
}

const id = (o: K8sObject) => `${o.kind ?? ''}${o.metadata.namespace}/${o.metadata.name}`;

/** Every way these workloads are not converged yet (empty when they are). */
export function notConverged(w: Workloads): string[] {
  const out: string[] = [];
  // A workload an autoscaler targets starts at one replica (we render no replicas for it, so a sync never fights
  // the autoscaler) and is raised to the autoscaler's minimum at its next sync (no metrics needed for that).
  // (Items of a list carry no kind: it is passed.)
  const floor = (kind: string, o: K8sObject) => w.autoscalers.find((h) => h.metadata.namespace === o.metadata.namespace && h.spec.scaleTargetRef?.kind === kind && h.spec.scaleTargetRef?.name === o.metadata.name)?.spec.minReplicas ?? 0;
  for (const d of w.deployments) {
    const want = d.spec.replicas ?? 1;
    if (want < floor('Deployment', d)) out.push(`Deployment ${id(d)}: ${want} replicas, below its autoscaler's minimum ${floor('Deployment', d)}`);
    const s = d.status ?? {};
    const available = (s.conditions ?? []).some((c: any) => c.type === 'Available' && c.status === 'True');
    if ((s.observedGeneration ?? 0) < d.metadata.generation! || s.updatedReplicas !== want || s.availableReplicas !== want || !available) {
      out.push(`Deployment ${id(d)}: ${s.availableReplicas ?? 0}/${want} available, ${s.updatedReplicas ?? 0} updated`);
    }
  }
  for (const st of w.statefulSets) {
    const want = st.spec.replicas ?? 1;
    if (want < floor('StatefulSet', st)) out.push(`StatefulSet ${id(st)}: ${want} replicas, below its autoscaler's minimum ${floor('StatefulSet', st)}`);
    const s = st.status ?? {};
    if ((s.observedGeneration ?? 0) < st.metadata.generation! || s.readyReplicas !== want || s.replicas !== want) {
      out.push(`StatefulSet ${id(st)}: ${s.readyReplicas ?? 0}/${want} ready`);
    }
  }
  for (const ds of w.daemonSets) {
    const s = ds.status ?? {};
    if ((s.observedGeneration ?? 0) < ds.metadata.generation! || !s.desiredNumberScheduled || s.numberReady !== s.desiredNumberScheduled || s.updatedNumberScheduled !== s.desiredNumberScheduled) {
      out.push(`DaemonSet ${id(ds)}: ${s.numberReady ?? 0}/${s.desiredNumberScheduled ?? 0} ready`);
    }
  }
  for (const p of w.pods) {
    if (!p.spec.nodeName) out.push(`Pod ${id(p)} is not scheduled${p.status?.conditions?.length ? `: ${JSON.stringify(p.status.conditions.find((c: any) => c.type === 'PodScheduled')?.message ?? '')}` : ''}`);
  }
  return out;
}

/** Events of these reasons in these namespaces (FailedCreate is how a controller reports an admission refusal). */
export async function events(cluster: Cluster, namespaces: readonly string[], reasons: readonly string[]): Promise<string[]> {
  const all = await cluster.list('/api/v1/events');
  return all
    .filter((e) => namespaces.includes(e.metadata.namespace!) && reasons.includes(e.reason))
    .map((e) => `${e.metadata.namespace} ${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`);
}
