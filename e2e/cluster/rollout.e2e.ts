// A config change rolled out for real: the Tempo config of the distributed variants (and Loki's in the HA
// variant) changes, the pod templates' config checksum with it, and the real StatefulSet and Deployment
// controllers react. The live-store zones must wait (OnDelete) and then roll one zone at a time, driven by the
// rollout-operator's algorithm (rollout-driver.ts: the operator itself cannot be fetched here).
//
// Renders: the distributed variant (zones not pinned) and the same with its zones pinned to the cluster's
// real zones, plus Loki HA (a ring on a plain RollingUpdate StatefulSet). These are the renders with rings and
// partitions; the others restart stateless pods only.
// Shows: which controllers roll what and in which order; that no partition is ever left without an owner;
// that rings keep quorum. Does not show: how long a real live-store takes to replay its partition before it
// is Ready (kwok makes it Ready at once), so the windows here are shorter than on a real cluster.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyOk } from './apply';
import { Cluster, K8sObject } from './cluster';
import { configOf, renderTo, Rendered } from './render';
import { disruptionProblems, expectations } from './disruption';
import { notConverged, workloads } from './workloads';
import { isReady, watchPods } from './watch';
import { ROLLOUT_GROUP_LABEL, RolloutDriver } from './rollout-driver';
import { sleep, waitFor } from '../support/procs';

const ROLLOUT_RENDERS = ['production-distributed', 'production-distributed-pinned', 'production-loki-ha'];

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gse2e-rollout-render-'));
let cluster: Cluster;
let before: Rendered[];
const namespaces = () => before.flatMap((r) => [r.namespace, r.agentNamespace]);

/** The change: one retention value of each engine, so every Tempo and Loki pod template's config checksum moves. */
function changed(config: Record<string, any>): Record<string, unknown> {
  return { tempo: { retention: { ...config.tempo.retention, hot: '96h' } }, loki: { retention: { ...config.loki.retention, hot: '192h' } } };
}

const render = (dir: string, change: boolean) => ROLLOUT_RENDERS.map((name, i) => {
  const ns = `e2e-${i}`;
  const base = configOf(name, ns);
  return renderTo(path.join(out, dir), name, change ? configOf(name, ns, changed(base)) : base);
});

async function converge(what: string): Promise<void> {
  let last: string[] = [];
  await waitFor(what, async () => (last = notConverged(await workloads(cluster, namespaces()))).length === 0, { timeoutMs: 300_000, intervalMs: 1000, watch: cluster.procs })
    .catch((e) => { throw new Error(`${String(e).split('\n')[0]}\nnot converged:\n${last.join('\n')}`); });
}

async function grouped(): Promise<K8sObject[]> {
  return (await cluster.list('/apis/apps/v1/statefulsets')).filter((s) => namespaces().includes(s.metadata.namespace!) && s.metadata.labels?.[ROLLOUT_GROUP_LABEL]);
}

beforeAll(async () => {
  before = render('before', false);
  cluster = await Cluster.up('rollout', { instance: 'm6i.32xlarge' });
  for (const r of before) await applyOk(cluster, r);
  await converge('convergence before the change');
}, 60 * 60 * 1000);

afterAll(async () => {
  await cluster?.down();
  fs.rmSync(out, { recursive: true, force: true });
});

describe('a config change rolls out', () => {
  const problems = new Set<string>();
  let watch: ReturnType<typeof watchPods> | undefined;
  afterAll(() => watch?.stop());

  test('the live-store zones form one rollout group each on OnDelete, and the change alone restarts none of their pods', async () => {
    const groups = await grouped();
    // Two zones per distributed render.
    expect(groups.length).toBe(2 * ROLLOUT_RENDERS.filter((n) => n.startsWith('production-distributed')).length);
    const podsBefore = new Map((await cluster.pods(namespaces())).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.uid]));
    const revisionBefore = new Map(groups.map((s) => [s.metadata.uid, s.status?.updateRevision]));

    const exp = expectations(before, 'rollout');
    watch = watchPods(cluster, namespaces(), (pods) => {
      const list = [...pods.values()];
      for (const p of disruptionProblems(exp, list)) problems.add(p);
      // One zone at a time: at most one StatefulSet of a rollout group has pods down.
      for (const ns of namespaces()) {
        const down = new Set(list.filter((p) => p.metadata.namespace === ns && p.metadata.labels?.[ROLLOUT_GROUP_LABEL] !== undefined && !isReady(p))
          .map((p) => p.metadata.ownerReferences?.find((o) => o.controller)?.name));
        if (down.size > 1) problems.add(`${ns}: ${[...down].join(' and ')} have pods down at the same time`);
      }
    });
    await watch.ready;
    const after = render('after', true);
    for (const r of after) await applyOk(cluster, r);
    // The controllers have seen the new templates once every StatefulSet reports a new update revision.
    await waitFor('the StatefulSet controller to observe the change', async () => (await grouped()).every((s) => s.status?.observedGeneration === s.metadata.generation && s.status.updateRevision !== revisionBefore.get(s.metadata.uid)), { timeoutMs: 60_000, watch: cluster.procs });
    // Everything else rolls by itself; meanwhile the zones' pods must stay as they were.
    await converge('the other workloads to roll');
    const groupPods = (await cluster.pods(namespaces())).filter((p) => p.metadata.labels?.[ROLLOUT_GROUP_LABEL] !== undefined);
    expect(groupPods.length).toBeGreaterThan(0);
    // Judged on what the controllers did first (a zone on RollingUpdate shows as restarted pods), then on why.
    expect([...problems]).toEqual([]);
    const restarted = groupPods.filter((p) => podsBefore.get(`${p.metadata.namespace}/${p.metadata.name}`) !== p.metadata.uid).map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    expect(restarted).toEqual([]);
    for (const s of groups) expect({ name: s.metadata.name, strategy: s.spec.updateStrategy?.type }).toEqual({ name: s.metadata.name, strategy: 'OnDelete' });
  });

  test('the rollout-operator algorithm rolls one zone at a time; no partition ever loses both owners; rings keep quorum', async () => {
    const drivers = [...new Set((await grouped()).map((s) => s.metadata.namespace!))].map((ns) => new RolloutDriver(cluster, ns));
    const deadline = Date.now() + 180_000;
    for (;;) {
      const ongoing = await Promise.all(drivers.map((d) => d.reconcile()));
      if (!ongoing.some(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`rollout did not finish in 180 s:\n${drivers.map((d) => d.log.join('\n')).join('\n')}`);
      await sleep(250);
    }
    await converge('convergence after the rollout');
    watch?.stop();
    expect([...problems]).toEqual([]);
    for (const s of await grouped()) {
      expect(s.status.currentRevision).toBe(s.status.updateRevision);
      const pods = (await cluster.pods([s.metadata.namespace!])).filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === s.metadata.uid));
      expect(pods.map((p) => p.metadata.labels?.['controller-revision-hash'])).toEqual(pods.map(() => s.status.updateRevision));
    }
    // Zone by zone: every pod of the first zone was replaced before any pod of the second.
    for (const d of drivers) {
      const zoneOf = (line: string) => /live-store-([a-z0-9-]+?)-\d+$/.exec(line)?.[1];
      const order = d.log.filter((l) => l.startsWith('delete ')).map(zoneOf);
      expect(order.length).toBeGreaterThan(0);
      const switches = order.filter((z, i) => i > 0 && z !== order[i - 1]).length;
      expect(switches).toBe(1);
    }
  });
});
