// Issue 26's last promise: what synth accepts, the API server accepts. Seeded mutations of the user's
// environments (every leaf value may become an edge value of its own type, record maps get odd but legal
// keys); the first SAMPLE configs that synth accepts are rendered and applied for real, and their pods admitted.
// A failure prints the seed and the mutations, so `E2E_FUZZ_SEED=<seed>` replays it.
//
// Shows: the API server's own validation (names, label keys and values, ports, int32 ranges, object size, Pod
// Security) on configs nobody wrote by hand. Does not show: refusals (the unit tests' property test judges
// those), nor anything inside the containers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../lib/config/load';
import { applyRender } from './apply';
import { Cluster } from './cluster';
import { configOf, environments, renderTo, Rendered } from './render';
import { events, notConverged, workloads } from './workloads';
import { waitFor } from '../support/procs';

const SEED = Number(process.env.E2E_FUZZ_SEED ?? 20261202);
const SAMPLE = 8;
const MAX_TRIES = 400;

/** mulberry32: small and seedable. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Edge values of the same type as `v`: what a user may plausibly write and a schema may let through. */
function edge(v: Json, random: () => number): Json {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  if (typeof v === 'number') return pick([0, 1, 2, 3, 5, 7, 63, 64, 65535, 65536, 2147483647, 2147483648, v * 10, v + 1, 0.5]);
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') return pick([`${v}x`, v.toUpperCase(), 'a'.repeat(63), 'a'.repeat(64), `${v}-é`, `_${v}`, `${v}.`, '0', v.replace(/[a-z]/, '9')]);
  return v;
}

/** Odd but plausible keys and values for a record map (labels, services, tenants). */
function oddEntry(random: () => number): [string, Json] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  return [pick(['example.com/team', 'a'.repeat(63), `${'b'.repeat(253)}/x`, 'UPPER', 'with.dot', 'x_y', '9lead']), pick(['v', '', 'a'.repeat(63), 'a'.repeat(64), 'v-1', '-v'])];
}

interface Candidate { name: string; config: Record<string, unknown>; mutations: string[] }

function candidates(random: () => number, envs: readonly string[]): Candidate[] {
  const out: Candidate[] = [];
  for (let i = 0; i < MAX_TRIES; i++) {
    const name = envs[i % envs.length];
    const config = JSON.parse(JSON.stringify(configOf(name, 'placeholder'))) as { [k: string]: Json };
    const leaves: { parent: any; key: string | number; path: string }[] = [];
    const maps: { parent: any; path: string }[] = [];
    const walk = (v: Json, p: string, parent: any, key: string | number) => {
      if (Array.isArray(v)) v.forEach((x, j) => walk(x, `${p}[${j}]`, v, j));
      else if (v && typeof v === 'object') {
        if (p && !/namespace/i.test(p)) maps.push({ parent: v, path: p });
        for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k, v, k);
      } else if (p !== 'namespace' && !p.endsWith('.namespace')) leaves.push({ parent, key, path: p });
    };
    walk(config, '', undefined, '');
    const mutations: string[] = [];
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
      if (random() < 0.7 && leaves.length) {
        const l = leaves[Math.floor(random() * leaves.length)];
        const v = edge(l.parent[l.key], random);
        l.parent[l.key] = v;
        mutations.push(`${l.path} = ${JSON.stringify(v)}`);
      } else if (maps.length) {
        const m = maps[Math.floor(random() * maps.length)];
        const [k, v] = oddEntry(random);
        m.parent[k] = v;
        mutations.push(`${m.path}[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
      }
    }
    out.push({ name, config, mutations });
  }
  return out;
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gse2e-fuzz-render-'));
let cluster: Cluster;
const accepted: { c: Candidate; r: Rendered }[] = [];
let tried = 0;

beforeAll(async () => {
  const random = prng(SEED);
  for (const c of candidates(random, environments())) {
    if (accepted.length === SAMPLE) break;
    if (accepted.some((x) => x.c.name === c.name && x.c.mutations.join() === c.mutations.join())) continue;
    tried++;
    const ns = `fuzz-${accepted.length}`;
    try {
      // The mapping puts each sample in namespaces of its own, after the mutations.
      const r = renderTo(path.join(out, String(tried)), c.name, withNamespaces(c.config, ns));
      accepted.push({ c, r });
    } catch (e) {
      // Refused by synth: the unit tests' property test judges refusals. Anything else is a crash.
      if (!(e instanceof ConfigError)) throw new Error(`synth crashed on ${c.name} with ${c.mutations.join(', ')} (seed ${SEED}): ${String(e)}`);
    }
  }
  cluster = await Cluster.up('fuzz');
}, 60 * 60 * 1000);

/** The mutated config with only the namespace keys replaced (as the other scenarios map them). */
function withNamespaces(config: Record<string, unknown>, ns: string): Record<string, unknown> {
  const agent = (k: string) => ({ ...((config[k] as object | undefined) ?? {}), namespace: `${ns}-agent` });
  return { ...config, namespace: ns, promtail: agent('promtail'), alloy: agent('alloy') };
}

afterAll(async () => {
  await cluster?.down();
  fs.rmSync(out, { recursive: true, force: true });
});

test(`a seeded sample of configs synth accepts is applied and admitted (seed ${SEED})`, async () => {
  expect(accepted.length).toBe(SAMPLE);
  const describe = (x: { c: Candidate }) => `${x.c.name} with ${x.c.mutations.join(', ')}`;
  const problems: string[] = [];
  for (const x of accepted) {
    const res = await applyRender(cluster, x.r);
    if (res.code !== 0 || /warning/i.test(res.stderr)) problems.push(`${describe(x)}: exit ${res.code}\n${res.stderr.trim()}`);
  }
  expect(problems).toEqual([]);
  const namespaces = accepted.flatMap((x) => [x.r.namespace, x.r.agentNamespace]);
  let last: string[] = [];
  await waitFor('every sample to converge', async () => {
    const refused = await events(cluster, namespaces, ['FailedCreate']);
    if (refused.length) throw new Error(refused.join('\n'));
    return (last = notConverged(await workloads(cluster, namespaces))).length === 0;
  }, { timeoutMs: 300_000, intervalMs: 1000, watch: cluster.procs }).catch((e) => {
    throw new Error(`${String(e).split('\n').slice(0, 5).join('\n')}\n${last.join('\n')}\nsamples (seed ${SEED}):\n${accepted.map(describe).join('\n')}`);
  });
  console.log(`fuzz seed ${SEED}: ${tried} mutated configs tried, ${accepted.length} accepted by synth and applied:\n${accepted.map(describe).join('\n')}`);
});
