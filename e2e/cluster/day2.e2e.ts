// Day 2 for real: config transitions that `npm run diff` classifies (lib/diff classify), applied to a real
// API server. What it calls "in place" must be accepted as it is; what it calls "needs a step" must be refused
// until its procedure's steps are done, and then accepted, with the running pods kept.
//
// Shows: the API server's immutability rules against the classifier's, and that the printed kubectl steps
// work as written. Does not show: "risks data" transitions (the loss is in the engines' data, which no
// container here holds; the unit tests judge those against the engines' own rules).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classify } from '../../lib/diff/classify';
import { ChangeClass, CLASS_NAMES } from '../../lib/diff/types';
import { applyOk, applyRender } from './apply';
import { Cluster } from './cluster';
import { configOf, deepMerge, Rendered, renderTo } from './render';
import { notConverged, workloads } from './workloads';
import { waitFor } from '../support/procs';

/** Transitions over the production fixture's variants, each with the class the classifier must give it. */
const TRANSITIONS: { name: string; base: string; change: (c: any) => Record<string, unknown>; expect: ChangeClass }[] = [
  { name: 'collector replicas 2 → 3', base: 'production-loki-ha', change: () => ({ collector: { gateway: { replicas: 3 }, sampler: { replicas: 3 } } }), expect: ChangeClass.InPlace },
  { name: 'Tempo warm retention longer', base: 'production-loki-ha', change: (c) => ({ tempo: { retention: { warm: `${parseInt(c.tempo.retention.warm, 10) * 2}h` } } }), expect: ChangeClass.InPlace },
  { name: 'Loki volume 50 → 60 GiB', base: 'production-loki-ha', change: (c) => ({ loki: { storageGiB: c.loki.storageGiB + 10 } }), expect: ChangeClass.NeedsStep },
];

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gse2e-day2-render-'));
let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.up('day2');
}, 60 * 60 * 1000);

afterAll(async () => {
  await cluster?.down();
  fs.rmSync(out, { recursive: true, force: true });
});

async function converge(namespaces: string[]): Promise<void> {
  let last: string[] = [];
  await waitFor('convergence', async () => (last = notConverged(await workloads(cluster, namespaces))).length === 0, { timeoutMs: 300_000, intervalMs: 1000, watch: cluster.procs })
    .catch((e) => { throw new Error(`${String(e).split('\n')[0]}\n${last.join('\n')}`); });
}

/** A procedure line as a command to run: `kubectl …` (its trailing "   (…)" note dropped), or undefined. */
function command(step: string): string[] | undefined {
  const m = /^(kubectl .*?)(?:\s{3,}\(.*\))?$/.exec(step.trim());
  if (!m || /<[^>]+>/.test(m[1])) return undefined;
  // The procedures quote JSON patches in single quotes, as a shell would take them.
  const args: string[] = [];
  for (const t of m[1].slice('kubectl '.length).match(/'[^']*'|\S+/g) ?? []) args.push(t.startsWith("'") ? t.slice(1, -1) : t);
  return args;
}

describe.each(TRANSITIONS.map((t, i) => [t.name, t, i] as const))('%s', (_, t, i) => {
  test(`is classified ${CLASS_NAMES[t.expect]}, and the API server agrees`, async () => {
    const ns = `e2e-${i}`;
    const before = configOf(t.base, ns);
    const after = deepMerge(before, t.change(before));
    const b: Rendered = renderTo(path.join(out, 'before'), t.base, before);
    const a: Rendered = renderTo(path.join(out, 'after'), t.base, after);
    await applyOk(cluster, b);
    await converge([b.namespace, b.agentNamespace]);
    const verdict = classify(b.objects, a.objects, { today: new Date() });
    expect(CLASS_NAMES[verdict.highest]).toBe(CLASS_NAMES[t.expect]);
    const podsBefore = new Map((await cluster.pods([ns])).map((p) => [p.metadata.name, p.metadata.uid]));
    const first = await applyRender(cluster, a);
    if (t.expect === ChangeClass.InPlace) {
      expect(first.code === 0 ? '' : first.stderr).toBe('');
    } else {
      // Refused as the classifier says: by the field it names.
      expect(first.code).not.toBe(0);
      expect(first.stderr).toMatch(/Forbidden|immutable/);
      const steps = verdict.findings.filter((f) => f.class === ChangeClass.NeedsStep).flatMap((f) => f.procedure);
      const run = steps.map(command).filter((c): c is string[] => c !== undefined);
      expect(run.length).toBeGreaterThan(0);
      for (const args of run) await cluster.kubectlOk(args);
      const second = await applyRender(cluster, a);
      expect(second.code === 0 ? '' : second.stderr).toBe('');
      // The step keeps the running pods: the recreated StatefulSet adopts them.
      const sts = verdict.findings.filter((f) => f.object.startsWith('StatefulSet/')).map((f) => f.object.split('/').pop()!);
      for (const name of sts) {
        for (const [pod, uid] of podsBefore) if (pod.startsWith(`${name}-`)) expect((await cluster.get(`/api/v1/namespaces/${ns}/pods/${pod}`))?.metadata.uid).toBe(uid);
      }
    }
    await converge([a.namespace, a.agentNamespace]);
  });
});
