// Reading where the real scheduler put pods, against the constraints the pods carry: required pod
// anti-affinity and topology spread with DoNotSchedule. The rules are the scheduler's own
// (kubernetes/kubernetes v1.34 pkg/scheduler/framework/plugins/interpodaffinity and podtopologyspread:
// anti-affinity terms select pods in the pod's own namespace unless `namespaces`/`namespaceSelector` say
// otherwise; skew is the spread between the most and the least loaded eligible domain).
import type { K8sObject } from './cluster';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** apimachinery's LabelSelectorAsSelector semantics (an empty selector matches everything). */
export function matches(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export interface Term { topologyKey: string; labelSelector?: LabelSelector; namespaces?: string[]; namespaceSelector?: LabelSelector }

/** A pod's required anti-affinity terms. */
export function antiAffinityTerms(pod: K8sObject): Term[] {
  return pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}

/** A pod's hard topology spread constraints. */
export function hardSpread(pod: K8sObject): (Term & { maxSkew: number; minDomains?: number })[] {
  return (pod.spec?.topologySpreadConstraints ?? []).filter((c: any) => c.whenUnsatisfiable === 'DoNotSchedule');
}

function termNamespaces(pod: K8sObject, t: Term): (ns: string) => boolean {
  if (t.namespaceSelector && Object.keys(t.namespaceSelector).length === 0) return () => true;
  if (t.namespaces?.length) return (ns) => t.namespaces!.includes(ns);
  return (ns) => ns === pod.metadata.namespace;
}

function podKey(p: K8sObject): string { return `${p.metadata.namespace}/${p.metadata.name}`; }

/**
 * Every way the placement breaks a hard constraint: two pods in one domain that one of them says must not
 * share it, or a spread whose skew exceeds maxSkew over the domains of the nodes given.
 */
export function hardViolations(pods: readonly K8sObject[], nodes: readonly K8sObject[]): string[] {
  const nodeLabels = new Map(nodes.map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  const bound = pods.filter((p) => p.spec?.nodeName && !p.metadata.deletionTimestamp);
  const domain = (p: K8sObject, key: string) => nodeLabels.get(p.spec.nodeName)?.[key];
  const out: string[] = [];
  for (const p of bound) {
    for (const t of antiAffinityTerms(p)) {
      const inNs = termNamespaces(p, t);
      const d = domain(p, t.topologyKey);
      for (const q of bound) {
        if (q === p || !inNs(q.metadata.namespace!) || !matches(t.labelSelector, q.metadata.labels)) continue;
        if (d !== undefined && domain(q, t.topologyKey) === d) out.push(`${podKey(p)} and ${podKey(q)} share ${t.topologyKey}=${d} against ${podKey(p)}'s required anti-affinity`);
      }
    }
    for (const c of hardSpread(p)) {
      const domains = new Map<string, number>();
      for (const n of nodes) { const v = n.metadata.labels?.[c.topologyKey]; if (v !== undefined && !n.spec?.unschedulable) domains.set(v, 0); }
      for (const q of bound) {
        if (q.metadata.namespace !== p.metadata.namespace || !matches(c.labelSelector, q.metadata.labels)) continue;
        const v = domain(q, c.topologyKey);
        if (v !== undefined && domains.has(v)) domains.set(v, domains.get(v)! + 1);
      }
      const counts = [...domains.values()];
      const skew = Math.max(...counts) - (counts.length < (c.minDomains ?? 1) ? 0 : Math.min(...counts));
      if (skew > c.maxSkew) out.push(`${podKey(p)}: ${c.topologyKey} skew ${skew} > maxSkew ${c.maxSkew} (${[...domains].map(([k, v]) => `${k}=${v}`).join(', ')})`);
    }
  }
  return [...new Set(out)];
}

/** The controller that owns a pod: Deployment (through its ReplicaSet), StatefulSet or DaemonSet, as kind/name. */
export function ownerOf(pod: K8sObject, replicaSets: readonly K8sObject[]): string {
  const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
  if (!ref) return `Pod/${pod.metadata.name}`;
  if (ref.kind === 'ReplicaSet') {
    const rs = replicaSets.find((r) => r.metadata.uid === ref.uid);
    const dep = rs?.metadata.ownerReferences?.find((r) => r.controller);
    if (dep) return `${dep.kind}/${dep.name}`;
  }
  return `${ref.kind}/${ref.name}`;
}

/** Pods that the scheduler has tried and given up on for now, with its reason. */
export function unschedulable(pod: K8sObject): string | undefined {
  const c = (pod.status?.conditions ?? []).find((x: any) => x.type === 'PodScheduled');
  return !pod.spec?.nodeName && c?.status === 'False' && c.reason === 'Unschedulable' ? String(c.message) : undefined;
}
