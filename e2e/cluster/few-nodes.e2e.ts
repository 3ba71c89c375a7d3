// Too few nodes: a cluster of two nodes in one zone, and the renders whose replicas must not share a node
// (required pod anti-affinity on kubernetes.io/hostname selecting their own replicas: ring members whose
// quorum depends on it). As many of them run as there are nodes; the rest stay Pending, with the scheduler
// saying why, instead of doubling up on a node where one node's loss would take two ring members.
// Shows: the real scheduler's verdict on the rendered constraints. Does not show: how the engines behave
// with a member missing (the data-path scenarios and the topology invariants cover quorum).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyOk } from './apply';
import { Cluster, HOSTNAME_LABEL, K8sObject } from './cluster';
import { renderAll, Rendered } from './render';
import { antiAffinityTerms, matches, unschedulable } from './placement';
import { waitFor } from '../support/procs';

const RENDERS = ['production-loki-ha', 'production-distributed'];
const NODES = 2;

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gse2e-few-render-'));
let cluster: Cluster;
let renders: Rendered[];

/** Controllers whose replicas must each have a node of their own. */
function apart(r: Rendered): K8sObject[] {
  return r.objects.filter((o) => (o.kind === 'StatefulSet' || o.kind === 'Deployment') && (o.spec.replicas ?? 1) > NODES
    && antiAffinityTerms({ ...o, spec: o.spec.template.spec }).some((t) => t.topologyKey === HOSTNAME_LABEL && matches(t.labelSelector, o.spec.template.metadata.labels)));
}

beforeAll(async () => {
  renders = renderAll(out, RENDERS);
  // Nodes big enough that CPU and memory never decide: only the placement constraints keep pods Pending.
  cluster = await Cluster.up('few-nodes', { zones: 1, nodesPerZone: NODES, instance: 'm6i.32xlarge' });
  for (const r of renders) await applyOk(cluster, r);
}, 60 * 60 * 1000);

afterAll(async () => {
  await cluster?.down();
  fs.rmSync(out, { recursive: true, force: true });
});

test(`with ${NODES} nodes, replicas that must stay apart run one per node and the rest stay Pending`, async () => {
  const groups = renders.flatMap((r) => apart(r).map((o) => ({ ns: o.metadata.namespace!, name: `${o.kind}/${o.metadata.name}`, o })));
  expect(groups.map((g) => g.name).length).toBeGreaterThan(0);
  const of = (pods: K8sObject[], g: (typeof groups)[number]) => pods.filter((p) => p.metadata.namespace === g.ns && matches(g.o.spec.selector, p.metadata.labels));
  // Settled: each group has as many pods bound as there are nodes, and every other pod of it has been tried.
  await waitFor('the scheduler to place or refuse every replica that must stay apart', async () => {
    const pods = await cluster.pods(renders.map((r) => r.namespace));
    return groups.every((g) => {
      const mine = of(pods, g);
      return mine.filter((p) => p.spec.nodeName).length === NODES && mine.length > NODES && mine.every((p) => p.spec.nodeName || unschedulable(p));
    });
  }, { timeoutMs: 120_000, intervalMs: 1000, watch: cluster.procs });
  const pods = await cluster.pods(renders.map((r) => r.namespace));
  for (const g of groups) {
    const mine = of(pods, g);
    const nodes = mine.filter((p) => p.spec.nodeName).map((p) => p.spec.nodeName);
    expect({ group: g.name, distinctNodes: new Set(nodes).size }).toEqual({ group: g.name, distinctNodes: NODES });
    for (const p of mine.filter((x) => !x.spec.nodeName)) expect(unschedulable(p)).toMatch(/anti-affinity/);
  }
});
