// The deletions a GitOps controller issues when its Application or Kustomization is deleted (or the objects
// leave Git), and the objects it leaves alone:
// - Argo CD: deleting an Application that carries the resources finalizer deletes every resource it manages,
//   except CRDs and those annotated `argocd.argoproj.io/sync-options: Delete=false` or
//   `helm.sh/resource-policy: keep` (argo-cd controller/appcontroller.go shouldBeDeleted; the option is
//   gitops-engine pkg/sync/common/types.go SyncOptionDisableDeletion); the default finalizer
//   `resources-finalizer.argocd.argoproj.io` deletes in the foreground.
// - Flux: a Kustomization with `prune: true` garbage-collects every object of its inventory when deleted or
//   removed from the source, except those labelled or annotated `kustomize.toolkit.fluxcd.io/prune: disabled`
//   (fluxcd/kustomize-controller docs "Prune"; fluxcd/pkg ssa ResourceManager.DeleteAll with
//   the prune-disabled exclusion), with background propagation.
import type { Cluster, K8sObject } from './cluster';

export type Tool = 'argocd' | 'flux';

export function keptBy(tool: Tool, o: K8sObject): boolean {
  if (tool === 'argocd') {
    return o.kind === 'CustomResourceDefinition'
      || (o.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').split(',').map((s) => s.trim()).includes('Delete=false')
      || o.metadata.annotations?.['helm.sh/resource-policy'] === 'keep';
  }
  const k = 'kustomize.toolkit.fluxcd.io/prune';
  return o.metadata.labels?.[k] === 'disabled' || o.metadata.annotations?.[k] === 'disabled';
}

/** The REST path of a rendered object (the kinds we render; CRD-backed kinds by their group/version). */
export function objectPath(o: K8sObject, plural: (kind: string) => string): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return `${base}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${plural(o.kind)}/${o.metadata.name}`;
}

/** Kind → resource name from the API server's discovery (no guessing of plurals). */
export async function pluralsOf(cluster: Cluster): Promise<(kind: string) => string> {
  const r = await cluster.kubectlOk(['api-resources', '--no-headers', '-o', 'wide']);
  const map = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4) continue;
    // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS…: KIND is the column after true/false.
    const i = cols.findIndex((c) => c === 'true' || c === 'false');
    if (i > 0 && !map.has(cols[i + 1])) map.set(cols[i + 1], cols[0]);
  }
  return (kind) => {
    const p = map.get(kind);
    if (!p) throw new Error(`no API resource for kind ${kind}`);
    return p;
  };
}

/**
 * Issues the deletions `tool` would for these objects; returns what it deleted and what it kept. The DeleteOptions
 * body carries no apiVersion or kind: the API server decodes it as the DeleteOptions of the path's group version.
 */
export async function deleteAsGitOps(cluster: Cluster, tool: Tool, objects: readonly K8sObject[]): Promise<{ deleted: string[]; kept: string[] }> {
  const plural = await pluralsOf(cluster);
  const propagationPolicy = tool === 'argocd' ? 'Foreground' : 'Background';
  const deleted: string[] = [];
  const kept: string[] = [];
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    if (keptBy(tool, o)) { kept.push(id); continue; }
    const r = await cluster.raw('DELETE', objectPath(o, plural), { propagationPolicy });
    if (r.status !== 200 && r.status !== 202 && r.status !== 404) throw new Error(`delete ${id}: ${r.status} ${r.body}`);
    deleted.push(id);
  }
  return { deleted, kept };
}
