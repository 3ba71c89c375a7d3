// Day 2 on a real API server: what the GitOps controllers delete when an Application or Kustomization goes
// away, and what must survive it (the Namespace and every volume).
//
// Shows: the API server's and the garbage collector's real cascade (namespace deletion takes everything in it;
// a deleted StatefulSet leaves its PVCs), driven by the same deletions Argo CD and Flux issue (deletion.ts).
// Does not show: Argo CD or Flux themselves (their controllers cannot run here; their deletion rules are read
// from their source, cited in deletion.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyOk } from './apply';
import { Cluster } from './cluster';
import { configOf, environments, renderTo, Rendered } from './render';
import { deleteAsGitOps, objectPath, pluralsOf, Tool } from './deletion';
import { notConverged, workloads } from './workloads';
import { waitFor } from '../support/procs';

const TOOLS: Tool[] = ['argocd', 'flux'];
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gse2e-lifecycle-render-'));
let cluster: Cluster;
/** Each environment once per tool, in namespaces of its own. */
let renders: { tool: Tool; r: Rendered }[];
const namespacesOf = (r: Rendered) => [r.namespace, r.agentNamespace];

beforeAll(async () => {
  renders = TOOLS.flatMap((tool, t) => environments().map((name, i) => ({ tool, r: renderTo(path.join(out, tool), name, configOf(name, `e2e-${t}-${i}`)) })));
  cluster = await Cluster.up('lifecycle', { instance: 'm6i.32xlarge' });
  for (const { r } of renders) await applyOk(cluster, r);
  let last: string[] = [];
  await waitFor('convergence', async () => (last = notConverged(await workloads(cluster, renders.flatMap(({ r }) => namespacesOf(r))))).length === 0, { timeoutMs: 300_000, intervalMs: 1000, watch: cluster.procs })
    .catch((e) => { throw new Error(`${String(e).split('\n')[0]}\n${last.join('\n')}`); });
}, 60 * 60 * 1000);

afterAll(async () => {
  await cluster?.down();
  fs.rmSync(out, { recursive: true, force: true });
});

describe.each(TOOLS)('deleting the %s bootstrap object', (tool) => {
  test('keeps the Namespace and every volume claim (and so every volume) as the deletion-safety rules say', async () => {
    const mine = renders.filter((x) => x.tool === tool).map((x) => x.r);
    const namespaces = mine.flatMap(namespacesOf);
    const pvcsBefore = (await cluster.list('/api/v1/persistentvolumeclaims')).filter((p) => namespaces.includes(p.metadata.namespace!));
    expect(pvcsBefore.length).toBeGreaterThan(0);
    const plural = await pluralsOf(cluster);
    const deleted: string[] = [];
    const kept: string[] = [];
    for (const r of mine) {
      const res = await deleteAsGitOps(cluster, tool, r.objects);
      deleted.push(...res.deleted);
      kept.push(...res.kept);
    }
    // Settled: everything deleted is gone, and the garbage collector has removed the pods of deleted controllers.
    await waitFor(`the deletions ${tool} issues to complete`, async () => {
      for (const r of mine) {
        for (const o of r.objects) {
          const id = `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
          if (deleted.includes(id) && (await cluster.raw('GET', objectPath(o, plural))).status !== 404) return false;
        }
      }
      return (await cluster.pods(namespaces)).length === 0;
    }, { timeoutMs: 120_000, intervalMs: 1000, watch: cluster.procs });
    for (const ns of mine.flatMap((r) => r.objects.filter((o) => o.kind === 'Namespace'))) {
      const live = await cluster.get(`/api/v1/namespaces/${ns.metadata.name}`);
      expect({ ns: ns.metadata.name, phase: live?.status?.phase }).toEqual({ ns: ns.metadata.name, phase: 'Active' });
    }
    const pvcsAfter = new Map((await cluster.list('/api/v1/persistentvolumeclaims')).map((p) => [p.metadata.uid, p]));
    for (const p of pvcsBefore) {
      const now = pvcsAfter.get(p.metadata.uid);
      expect({ pvc: `${p.metadata.namespace}/${p.metadata.name}`, phase: now?.status?.phase, volume: now?.spec?.volumeName }).toEqual({ pvc: `${p.metadata.namespace}/${p.metadata.name}`, phase: 'Bound', volume: p.spec.volumeName });
    }
    // What the cluster shows above follows from what the controller leaves alone: the namespaces themselves.
    expect(kept.filter((k) => k.startsWith('Namespace/')).sort()).toEqual(mine.flatMap((r) => r.objects.filter((o) => o.kind === 'Namespace').map((o) => `Namespace/${o.metadata.name}`)).sort());
  });
});
