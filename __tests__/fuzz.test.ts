/**
 * Generated malformed configurations (seeded, so every run tries the same ones): random text, wrong types,
 * huge values, deep nesting, and corrupted real files. Every one must end in exit 1 with short lines and no
 * stack trace, in bounded time. Run through main() in-process: the command's code path, minus Node's start.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dump, load } from 'js-yaml';
import { fixture, runMain, tempDir } from './helpers';

const CASES = 300;
const MAX_MS_PER_CASE = 3000;

/** mulberry32: small, seedable, good enough to spread inputs. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const production = load(readFileSync(fixture('production'), 'utf8')) as { [k: string]: Json };

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const SYMBOLS = ':{}[]&*!|>\'"%@`\t\n-?#,\\ \u0000\u00e9\u{1F600}';
  const randomText = (n: number) => Array.from({ length: n }, () => (random() < 0.5 ? pick([...SYMBOLS]) : String.fromCharCode(32 + int(95)))).join('');
  const nested = (depth: number): Json => (depth === 0 ? 1 : random() < 0.5 ? [nested(depth - 1)] : { k: nested(depth - 1) });

  /** A value of another JSON type than `v` (so it is never valid where `v` was), sometimes huge. */
  const otherType = (v: Json): Json => {
    const options: Json[] = [];
    if (typeof v !== 'string') options.push('x', 'y'.repeat(100_000), '${HOME}', '14 days');
    if (typeof v !== 'number') options.push(-1, 1e308, 0.5, 2 ** 53 + 1);
    if (typeof v !== 'boolean') options.push(true);
    if (!Array.isArray(v)) options.push([], Array.from({ length: 10_000 }, (_, i) => i), [nested(40)]);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) options.push({ 'Bad Key!': 1 }, nested(60) as Json);
    if (v !== null) options.push(null);
    return pick(options);
  };

  /** Every path to a value in the real configuration. */
  const paths: (string | number)[][] = [];
  const walk = (v: Json, p: (string | number)[]) => {
    if (p.length) paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(production, []);

  const mutated = (): { [k: string]: Json } => {
    const config = JSON.parse(JSON.stringify(production)) as { [k: string]: Json };
    for (let n = 1 + int(3); n > 0; n--) {
      const p = pick(paths);
      let parent: any = config;
      for (const seg of p.slice(0, -1)) parent = parent?.[seg];
      if (!parent || typeof parent !== 'object') continue;
      const last = p[p.length - 1];
      if (random() < 0.2 && !Array.isArray(parent[last]) && parent[last] && typeof parent[last] === 'object') parent[last][`Unknown Key ${int(1000)}!`] = randomText(5);
      else parent[last] = otherType(parent[last]);
    }
    // A mutation can land where a later one undoes it; one certain mistake keeps every case invalid.
    config[`fuzz${int(1000)}`] = otherType(null);
    return config;
  };

  return (): string => {
    switch (int(6)) {
      case 0:
        return randomText(int(400));
      case 1:
        return JSON.stringify(mutated());
      case 2:
        return dump(mutated(), { lineWidth: -1 });
      case 3: {
        // Corrupted text of a real file: syntax errors, or (when the YAML survives) the certain mistake below.
        const text = `${dump(production)}fuzz: [${int(9)}]\n`;
        const at = int(text.length);
        return `${text.slice(0, at)}${randomText(1 + int(4))}${text.slice(at + int(5))}`;
      }
      case 4:
        return `${pick(['a', 'tempo', 'security', 'loki'])}: ${JSON.stringify(nested(10 + int(200)))}`;
      default:
        return pick([`x: &a [${'*a,'.repeat(3)}]`, '- a\n- b', '42', '"just a string"', '!!binary aGk=', 'a: !!js/function "() => 1"', '? [a]\n: b', `${'a:\n  '.repeat(5)}b: 1`]);
    }
  };
}

test(`${CASES} generated malformed configurations: exit 1, short lines, no stack trace, bounded time`, async () => {
  const next = generator(prng(20261129));
  const dir = tempDir('fuzz-');
  const out = path.join(dir, 'out');
  let slowest = 0;
  for (let i = 0; i < CASES; i++) {
    const file = path.join(dir, 'dev.yaml');
    const text = next();
    writeFileSync(file, text);
    const t0 = Date.now();
    const r = await runMain(['--config', file, '--outdir', out]);
    const ms = Date.now() - t0;
    slowest = Math.max(slowest, ms);
    const context = `case ${i}: ${JSON.stringify(text.slice(0, 200))}\n${r.stderr.slice(0, 1000)}`;
    expect({ context, code: r.code }).toEqual({ context, code: 1 });
    expect({ context, trace: /\n\s+at |node:internal|(Type|Range|Reference|Syntax)Error/.test(r.stderr) }).toEqual({ context, trace: false });
    const lines = r.stderr.trim().split('\n');
    expect({ context, long: lines.filter((l) => l.length > 500).length, many: lines.length > 60 }).toEqual({ context, long: 0, many: false });
    expect({ context, ms: ms < MAX_MS_PER_CASE }).toEqual({ context, ms: true });
  }
  expect(slowest).toBeLessThan(MAX_MS_PER_CASE);
}, 120_000);
