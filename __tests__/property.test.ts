/**
 * Property: whatever a user writes, synth either refuses cleanly or renders objects the API server admits.
 * Seeded random mutations of the example environments (__tests__/fixtures/) (wrong types, huge and odd values, unicode and control
 * characters, invalid names, odd map keys, YAML tags, anchors and aliases, duplicate keys). Every outcome is
 * - a clean refusal: exit 1, each line naming the file (and the key path or YAML position), no stack trace, no raw
 *   control character, under 4 KB, and the environment's previous output untouched; or
 * - an output whose every object passes lib/api-rules.ts (checked here again, on the files written).
 * Run in-process through main() (the command's code path, minus Node's start); the real CLI for a small sample.
 * A failure names its seed: PROPERTY_SEED=<seed> npx jest __tests__/property.test.ts replays that one case.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { apiProblems } from '../lib/api-rules';
import { ENVIRONMENTS, fixture, ROOT, runMain, tempDir } from './helpers';
import { prng } from './support/prng';

const CASES = 300;
const FIRST_SEED = 26_000;
const CLI_SAMPLE = 1;
const MAX_REPORT_BYTES = 4096;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const BASES = ENVIRONMENTS.map((name) => ({ name, config: load(readFileSync(fixture(name), 'utf8')) as { [k: string]: Json } }));

const ODD_STRINGS = ['', ' ', 'x', 'Bad Name', 'UPPER', '-lead', 'trail-', 'a'.repeat(64), 'a'.repeat(254), 'é', 'ünïcödé', '😀', 'a\u001b[2Jb', 'a\nb', '\u202eevil', 'a\u0000b', '${HOME}', '0x1F', '1e3', 'null', 'true', '72h', '14d', '1.2.3.4', '999.1.1.1:9000', 'host:0', 'host:65536', '_3.7.6', 'a/b/c', 'example.com/key', '..', '.', 'k8s.io/x'];
const ODD_NUMBERS = [0, -1, 1, 2, 3, 0.5, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 53 + 1, 1e308, -0];
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'Bad Key', 'a\u001b[31mb', 'a\nb', 'é', 'x'.repeat(70), 'app.kubernetes.io/name', 'team-a', 'ok'];
/** Maps whose keys are data (tenants, services, labels): adding a key there is often valid. */
const DATA_MAPS = [['sampling', 'services'], ['loki', 'tenants'], ['tempo', 'tenants'], ['monitoring', 'labels'], ['security', 'applicationNamespaceSelector'], ['security', 'dns', 'podLabels']];

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const leaf = (): Json => {
    switch (int(5)) {
      case 0:
        return pick(ODD_STRINGS);
      case 1:
        return pick(ODD_NUMBERS);
      case 2:
        return pick<Json>([true, false, null, [], {}, ['x'], { k: 1 }]);
      case 3:
        return 1 + int(5);
      default:
        return String.fromCodePoint(...Array.from({ length: 1 + int(12) }, () => pick([0x61 + int(26), 0x30 + int(10), 0x2d, 0x2e, 0x5f, 0x20, 0x7f, 0x9b, 0xe9, 0x1f600, int(32)])));
    }
  };
  const paths = (config: Json): (string | number)[][] => {
    const out: (string | number)[][] = [];
    const walk = (v: Json, p: (string | number)[]) => {
      if (p.length) out.push(p);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(config, []);
    return out;
  };
  const parentOf = (config: any, p: (string | number)[]) => p.slice(0, -1).reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), config);

  /** Mutations of the parsed config, then serialized (as YAML or JSON). */
  const structural = (base: { [k: string]: Json }): string => {
    const config = JSON.parse(JSON.stringify(base)) as { [k: string]: Json };
    const all = paths(config);
    for (let n = 1 + int(2); n > 0; n--) {
      const kind = int(6);
      if (kind >= 4) {
        // Plausible: a number moved within a small range (replicas, ports, rates, sizes) or a string given odd
        // but maybe valid text; many of these render, and then every object must still be admitted.
        const p = pick(all);
        const parent = parentOf(config, p);
        const old = parent?.[p[p.length - 1]];
        if (typeof old === 'number') parent[p[p.length - 1]] = pick([old + 1, Math.max(0, old - 1), old * 2, 1024 + int(60000), int(2) ? 0.25 : 1]);
        else if (typeof old === 'string') parent[p[p.length - 1]] = pick([`${old}x`, old.toUpperCase(), `${old}-é`, old.slice(0, -1), `${old}.${old}`]);
        else if (typeof old === 'boolean') parent[p[p.length - 1]] = !old;
      } else if (kind === 0 || kind === 1) {
        const p = pick(all);
        const parent = parentOf(config, p);
        if (parent && typeof parent === 'object') parent[p[p.length - 1]] = leaf();
      } else if (kind === 2) {
        // A data map gets an odd key: most are refused, some must render.
        const at = pick(DATA_MAPS);
        let o: any = config;
        for (const k of at) o = o[k] = o[k] && typeof o[k] === 'object' && !Array.isArray(o[k]) ? o[k] : {};
        Object.defineProperty(o, pick(ODD_KEYS), { value: at[0] === 'sampling' ? pick([0.5, 1, 2, 'x']) : pick([leaf(), 'x', {}, { retention: '48h' }]), enumerable: true, configurable: true, writable: true });
      } else {
        const p = pick(all);
        const parent = parentOf(config, p);
        if (parent && typeof parent === 'object' && !Array.isArray(parent)) Object.defineProperty(parent, pick(ODD_KEYS), { value: leaf(), enumerable: true, configurable: true, writable: true });
      }
    }
    return random() < 0.8 ? dump(config, { lineWidth: -1 }) : JSON.stringify(config);
  };

  /** Mutations of the YAML text: tags, anchors and aliases, duplicate keys. */
  const textual = (base: { [k: string]: Json }): string => {
    const lines = dump(base, { lineWidth: -1 }).split('\n');
    const scalar = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*[\w.-]+: [^\s&*!|>{[].*$/.test(l));
    switch (int(4)) {
      case 0: {
        const [l, i] = pick(scalar);
        lines[i] = l.replace(/: (.*)$/, `: ${pick(['!!str', '!!int', '!!float', '!!bool', '!!binary', '!!timestamp', '!!null', '!!js/undefined', '!foo', '!!set', '!!omap'])} $1`);
        break;
      }
      case 1: {
        const [[a, i], [b, j]] = [pick(scalar), pick(scalar)];
        lines[i] = a.replace(/: (.*)$/, ': &anchor $1');
        if (j !== i) lines[j] = b.replace(/: (.*)$/, ': *anchor');
        break;
      }
      case 2: {
        const [l, i] = pick(scalar);
        lines.splice(i + 1, 0, l.replace(/: .*$/, `: ${JSON.stringify(leaf())}`));
        break;
      }
      default: {
        const [l, i] = pick(scalar);
        lines.splice(i + 1, 0, `${l.match(/^\s*/)![0]}<<: {${pick(ODD_KEYS).replace(/\W/g, '') || 'k'}: 1}`);
      }
    }
    return lines.join('\n');
  };

  return (): { base: string; text: string } => {
    // Mostly dev: its render is the cheapest, and the accepted cases are the ones that cost a render.
    const base = random() < 0.6 ? BASES[0] : pick(BASES);
    return { base: base.name, text: random() < 0.7 ? structural(base.config) : textual(base.config) };
  };
}

/** Size and mtime of every file of a folder: a refusal must leave the previous output as it was. */
function fingerprint(dir: string): string {
  if (!existsSync(dir)) return 'absent';
  return readdirSync(dir)
    .sort()
    .map((f) => {
      const st = statSync(path.join(dir, f));
      return `${f}:${st.size}:${st.mtimeMs}`;
    })
    .join(',');
}

function renderedProblems(envDir: string): string[] {
  return readdirSync(envDir)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .flatMap((f) => (loadAll(readFileSync(path.join(envDir, f), 'utf8')) as Record<string, any>[]).filter(Boolean).flatMap((o) => apiProblems(o).map((p) => `${f}: ${p}`)));
}

function refusalProblems(file: string, code: number, stderr: string): string[] {
  const found: string[] = [];
  if (code !== 1) found.push(`exit ${code}, expected 1`);
  if (/\n\s+at |node:internal|(Type|Range|Reference|Syntax)Error|There is already a Construct|non-simple/.test(stderr)) found.push('a stack trace or internal error');
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(stderr)) found.push('a raw control character');
  if (Buffer.byteLength(stderr) >= MAX_REPORT_BYTES) found.push(`${Buffer.byteLength(stderr)} bytes of output`);
  const lines = stderr.trimEnd().split('\n');
  const summary = lines.pop() ?? '';
  if (!summary.startsWith('synth: ')) found.push(`no summary line, got ${JSON.stringify(summary.slice(0, 100))}`);
  // Each problem names the file, then a key path (or the YAML position, or a whole-file problem in words).
  for (const line of lines) if (!line.startsWith(`${file}: `) && !line.startsWith(`${file}:`)) found.push(`a line without the file: ${JSON.stringify(line.slice(0, 120))}`);
  if (!lines.length) found.push('no problem line');
  return found;
}

const only = process.env.PROPERTY_SEED ? [Number(process.env.PROPERTY_SEED)] : Array.from({ length: CASES }, (_, i) => FIRST_SEED + i);

test(`${only.length} mutated configs: each refused cleanly or rendered into objects the API server admits`, async () => {
  const dir = tempDir('property-');
  const out = path.join(dir, 'out');
  const failures: string[] = [];
  let accepted = 0;
  const cpu0 = process.cpuUsage();
  for (const seed of only) {
    const { base, text } = generator(prng(seed))();
    const file = path.join(dir, `${base}.yaml`);
    writeFileSync(file, text);
    const before = fingerprint(path.join(out, base));
    const t1 = Date.now();
    const r = await runMain(['--config', file, '--outdir', out]);
    if (process.env.PROPERTY_TIMES) process.stdout.write(`${seed} ${base} ${r.code} ${Date.now() - t1}ms\n`);
    const problems =
      r.code === 0 ? renderedProblems(path.join(out, base)) : [...refusalProblems(file, r.code, r.stderr), ...(fingerprint(path.join(out, base)) === before ? [] : ['the previous output was changed'])];
    if (r.code === 0) accepted++;
    if (problems.length) failures.push(`seed ${seed} (replay: PROPERTY_SEED=${seed} npx jest __tests__/property.test.ts): ${problems.join('; ')}\n  config: ${JSON.stringify(text.slice(0, 300))}\n  stderr: ${JSON.stringify(r.stderr.slice(0, 600))}`);
  }
  expect(failures.slice(0, 5)).toEqual([]);
  // Both outcomes are exercised (a generator that only ever breaks the file would prove nothing about renders).
  if (only.length === CASES) {
    expect(accepted).toBeGreaterThanOrEqual(CASES / 20);
    expect(accepted).toBeLessThan(CASES / 2);
  }
  // Bounded cost, so the whole suite stays fast. CPU time, not wall time: on a machine shared with other work the
  // wall clock says more about the neighbours than about synth (3.4 s of CPU for 300 cases when measured, 14 s of wall time on a loaded machine).
  const { user, system } = process.cpuUsage(cpu0);
  if (process.env.PROPERTY_TIMES) process.stdout.write(`cpu ${(user + system) / 1e6}s, accepted ${accepted}\n`);
  expect((user + system) / 1e6).toBeLessThan(20);
}, 60_000);

test(`the real CLI on ${CLI_SAMPLE} of those configs: the same outcome as in-process`, async () => {
  const dir = tempDir('property-cli-');
  for (const seed of only.slice(0, CLI_SAMPLE)) {
    const { base, text } = generator(prng(seed))();
    const file = path.join(dir, `${base}.yaml`);
    writeFileSync(file, text);
    const inProcess = await runMain(['--config', file, '--outdir', path.join(dir, 'a')]);
    const { INIT_CWD, npm_lifecycle_event, ...env } = process.env;
    const cli = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'synth.js'), '--config', file, '--outdir', path.join(dir, 'b')], { cwd: ROOT, encoding: 'utf8', env });
    expect({ seed, code: cli.status, stderr: cli.stderr }).toEqual({ seed, code: inProcess.code, stderr: inProcess.stderr });
    if (cli.status === 1) expect({ seed, problems: refusalProblems(file, 1, cli.stderr) }).toEqual({ seed, problems: [] });
  }
}, 30_000);
