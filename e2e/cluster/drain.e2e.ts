// `kubectl drain` of every node in turn, the way a node pool upgrade does it, against the real eviction API,
// disruption controller and scheduler, with the pods watched throughout (every change, not samples).
//
// Renders: every shipped environment, plus the variants with rings and replicas (Loki HA, distributed Loki
// and Tempo with live-store zones, Grafana HA). The other variants change storage, tenants and the log agent,
// not what runs how many times; the apply scenario covers them.
// Shows: PDBs that let a drain finish, rings kept at quorum, partitions never left without an owner, and which
// singletons a drain takes down (only those the topology or the config declares as one replica).
// Does not show: how long an engine takes to leave or rejoin its ring (kwok makes a new pod Ready at once; a
// real one waits for its readiness probe), nor data on the volumes (there is none).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyOk } from './apply';
import { Cluster } from './cluster';
import { environments, renderAll, Rendered } from './render';
import { allDown, disruptionProblems, expectations } from './disruption';
import { notConverged, workloads } from './workloads';
import { watchPods } from './watch';
import { waitFor } from '../support/procs';

export const DRAIN_RENDERS = ['production-loki-ha', 'production-distributed', 'production-grafana-ha'];

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gse2e-drain-render-'));
let cluster: Cluster;
let renders: Rendered[];
const namespaces = () => renders.flatMap((r) => [r.namespace, r.agentNamespace]);

async function converge(what: string): Promise<void> {
  let last: string[] = [];
  await waitFor(what, async () => (last = notConverged(await workloads(cluster, namespaces()))).length === 0, { timeoutMs: 300_000, intervalMs: 1000, watch: cluster.procs })
    .catch((e) => { throw new Error(`${String(e).split('\n')[0]}\nnot converged:\n${last.join('\n')}`); });
}

beforeAll(async () => {
  renders = renderAll(out, [...environments(), ...DRAIN_RENDERS]);
  cluster = await Cluster.up('drain', { instance: 'm6i.32xlarge' });
  for (const r of renders) await applyOk(cluster, r);
  await converge('convergence before the drains');
}, 60 * 60 * 1000);

afterAll(async () => {
  await cluster?.down();
  fs.rmSync(out, { recursive: true, force: true });
});

/** What blocks an eviction: each budget allowing none, with the pods it selects (node, phase, ready). */
async function blockers(): Promise<string> {
  const pdbs = (await cluster.list('/apis/policy/v1/poddisruptionbudgets')).filter((p) => namespaces().includes(p.metadata.namespace!) && !(p.status?.disruptionsAllowed >= 1));
  const pods = await cluster.pods(namespaces());
  return pdbs.map((p) => {
    const sel = Object.entries(p.spec.selector?.matchLabels ?? {});
    const mine = pods.filter((q) => q.metadata.namespace === p.metadata.namespace && sel.every(([k, v]) => q.metadata.labels?.[k] === v));
    const ready = (q: any) => q.status?.conditions?.find((c: any) => c.type === 'Ready')?.status;
    return `PDB ${p.metadata.namespace}/${p.metadata.name}: ${p.status?.currentHealthy}/${p.status?.expectedPods} healthy, ${p.status?.disruptionsAllowed} allowed (observed generation ${p.status?.observedGeneration}/${p.metadata.generation})\n`
      + mine.map((q) => `  ${q.metadata.name} on ${q.spec.nodeName || '(none)'} ${q.status?.phase} ready=${ready(q)}${q.metadata.deletionTimestamp ? ' terminating' : ''}`).join('\n');
  }).join('\n') || 'no budget allows zero disruptions now';
}

describe('draining every node in turn', () => {
  test('every PodDisruptionBudget selects its pods and allows a disruption at rest (none blocks a drain forever)', async () => {
    const pdbs = (await cluster.list('/apis/policy/v1/poddisruptionbudgets')).filter((p) => namespaces().includes(p.metadata.namespace!));
    expect(pdbs.length).toBeGreaterThan(0);
    const blocked = pdbs.filter((p) => !(p.status?.disruptionsAllowed >= 1) || !(p.status?.expectedPods >= 1))
      .map((p) => `${p.metadata.namespace}/${p.metadata.name}: ${p.status?.currentHealthy}/${p.status?.expectedPods} healthy, ${p.status?.disruptionsAllowed} disruptions allowed`);
    expect(blocked).toEqual([]);
  });

  test('kubectl drain of each node respects every PDB, keeps rings at quorum and partitions owned, takes away only declared singletons', async () => {
    const expect_ = expectations(renders);
    expect(expect_.rings.length).toBeGreaterThan(0);
    const problems = new Set<string>();
    const singletonsDown = new Set<string>();
    let node = '';
    const watch = watchPods(cluster, namespaces(), (pods) => {
      const list = [...pods.values()];
      for (const p of disruptionProblems(expect_, list)) problems.add(`while draining ${node}: ${p}`);
      for (const w of allDown(expect_, list)) singletonsDown.add(w);
    });
    await watch.ready;
    try {
      for (node of cluster.nodes) {
        const drain = await cluster.kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=150s'], { timeoutMs: 200_000 });
        if (drain.code !== 0) throw new Error(`kubectl drain ${node} failed (exit ${drain.code}):\n${(drain.stdout + drain.stderr).split('\n').slice(-12).join('\n')}\n${await blockers()}`);
        const left = (await cluster.pods(namespaces())).filter((p) => p.spec.nodeName === node && !p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet'));
        expect(left.map((p) => p.metadata.name)).toEqual([]);
        await cluster.kubectlOk(['uncordon', node]);
        await converge(`convergence after draining ${node}`);
      }
    } finally {
      watch.stop();
    }
    expect([...problems]).toEqual([]);
    // Singletons a drain takes down: each is declared (topology singleton or one replica in the config).
    const declared = new Set(expect_.workloads.filter((w) => w.singleton || w.replicas < 2).map((w) => `${w.namespace} ${w.name}`));
    expect([...singletonsDown].filter((w) => !declared.has(w))).toEqual([]);
    console.log(`drained ${cluster.nodes.length} nodes; singletons briefly down (declared as such): ${[...singletonsDown].sort().join(', ') || 'none'}`);
  });
});
