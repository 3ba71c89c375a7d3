// Applying a render the way Flux's kustomize-controller does: CustomResourceDefinitions and Namespaces first
// (and CRDs Established) so that custom resources of a CRD we render ourselves find their API, then the whole
// `kustomization.yaml` with server-side apply and strict field validation.
import type { Cluster, KubectlResult } from './cluster';
import type { Rendered } from './render';

export const FIELD_MANAGER = 'grafana-stack';

/** Applies a render; returns the combined result (exit code of the first failing step, all output). */
export async function applyRender(cluster: Cluster, r: Rendered, dir = r.dir): Promise<KubectlResult> {
  const first = r.objects.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace');
  const args = ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--validate=strict'];
  let stderr = '';
  let stdout = '';
  if (first.length) {
    const res = await cluster.kubectl([...args, '-f', '-'], { input: first.map((o) => JSON.stringify(o)).join('\n') });
    stdout += res.stdout; stderr += res.stderr;
    if (res.code !== 0) return { code: res.code, stdout, stderr };
    const crds = first.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `crd/${o.metadata.name}`);
    if (crds.length) {
      const w = await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...crds]);
      if (w.code !== 0) return { code: w.code, stdout: stdout + w.stdout, stderr: stderr + w.stderr };
    }
  }
  const res = await cluster.kubectl([...args, '-k', dir]);
  return { code: res.code, stdout: stdout + res.stdout, stderr: stderr + res.stderr };
}

/** applyRender that must succeed. */
export async function applyOk(cluster: Cluster, r: Rendered, dir = r.dir): Promise<void> {
  const res = await applyRender(cluster, r, dir);
  if (res.code !== 0) throw new Error(`e2e: applying ${r.name} failed (exit ${res.code}):\n${res.stderr}`);
}
