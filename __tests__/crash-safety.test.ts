/**
 * The replace protocol of lib/write.ts under real SIGKILLs: at every step, and at seeded random instants,
 * a reader finds the complete old or the complete new environment, and the next run restores and tidies.
 *
 * Most kills hit a small worker process that runs the real lib/write.ts (bundled by esbuild, as bin/synth.js
 * does) so that dozens of kills stay fast; one kill hits the real `synth` command.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { lockOutdir, OWNER_MARKER, recoverLeftovers, writeEnvironment } from '../lib/write';
import { fixture, ROOT, runMain, tempDir } from './helpers';

type Files = Record<string, string>;
const OLD: Files = { 'kustomization.yaml': 'resources: [a.k8s.yaml, b.k8s.yaml]\n', 'a.k8s.yaml': 'old a\n', 'b.k8s.yaml': 'old b\n' };
const NEW: Files = { 'kustomization.yaml': 'resources: [a.k8s.yaml, c.k8s.yaml]\n', 'a.k8s.yaml': 'new a\n', 'c.k8s.yaml': 'new c\n' };

let worker: string;
beforeAll(() => {
  const dir = tempDir('crash-worker-');
  const bundle = path.join(dir, 'write.js');
  buildSync({ entryPoints: [path.join(ROOT, 'lib', 'write.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', logLevel: 'error' });
  worker = path.join(dir, 'worker.js');
  // The same sequence main.ts's writeAll runs: lock, replace, release.
  writeFileSync(
    worker,
    `const w = require(${JSON.stringify(bundle)});
const [out, files] = [process.argv[2], JSON.parse(process.argv[3])];
const release = w.lockOutdir(out);
w.writeEnvironment(out, 'dev', new Map(Object.entries(files)));
release();
`,
  );
});

/** Files of a folder (marker excluded), or undefined when it does not exist. */
function contents(dir: string): Files | undefined {
  if (!existsSync(dir)) return undefined;
  const out: Files = {};
  for (const f of readdirSync(dir)) if (f !== OWNER_MARKER) out[f] = readFileSync(path.join(dir, f), 'utf8');
  return out;
}

function run(out: string, files: Files, hook: Record<string, string>): { child: ChildProcess; exited: Promise<void>; steps: string[]; onStep: (fn: (n: number) => void) => void } {
  const child = spawn(process.execPath, [worker, out, JSON.stringify(files)], { env: { ...process.env, ...hook }, stdio: ['ignore', 'ignore', 'pipe'] });
  const steps: string[] = [];
  let listener: (n: number) => void = () => {};
  let buffered = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.startsWith('synth-step: ')) listener(steps.push(line.replace(/^synth-step: \d+ /, '')));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, exited, steps, onStep: (fn) => (listener = fn) };
}

/** What a reader (git, Argo CD, a person) sees right after the kill. */
function assertReaderSeesOldOrNew(out: string): 'old' | 'new' | 'gap' {
  const env = contents(path.join(out, 'dev'));
  if (env) {
    expect([OLD, NEW]).toContainEqual(env);
    return env['c.k8s.yaml'] ? 'new' : 'old';
  }
  // Killed between the two renames: the complete old folder is under its temporary name, for the next run to restore.
  const aside = readdirSync(out).filter((n) => /^\.dev\.old-\d+$/.test(n));
  expect(aside).toHaveLength(1);
  expect(contents(path.join(out, aside[0]))).toEqual(OLD);
  return 'gap';
}

/** The next run: takes over the dead synth's lock and repairs. */
function assertNextRunRecovers(out: string): void {
  const release = lockOutdir(out);
  try {
    recoverLeftovers(out);
  } finally {
    release();
  }
  expect([OLD, NEW]).toContainEqual(contents(path.join(out, 'dev')));
  expect(readdirSync(out)).toEqual(['dev']);
}

async function seed(): Promise<string> {
  const out = path.join(tempDir('crash-'), 'out');
  const release = lockOutdir(out);
  writeEnvironment(out, 'dev', new Map(Object.entries(OLD)));
  release();
  expect(contents(path.join(out, 'dev'))).toEqual(OLD);
  return out;
}

describe('replacing <env>/ survives SIGKILL', () => {
  test('at every step of the protocol', async () => {
    const seen: string[] = [];
    const outcomes = new Set<string>();
    for (let k = 1; ; k++) {
      const out = await seed();
      const r = run(out, NEW, { SYNTH_STEP_PAUSE_AT: String(k) }); // paused at step k until killed
      r.onStep((n) => n === k && r.child.kill('SIGKILL'));
      await r.exited;
      if (r.steps.length < k) {
        // The run finished with fewer than k steps: every step has been killed at.
        expect(r.child.exitCode).toBe(0);
        expect(contents(path.join(out, 'dev'))).toEqual(NEW);
        break;
      }
      seen.push(r.steps[k - 1]);
      outcomes.add(assertReaderSeesOldOrNew(out));
      assertNextRunRecovers(out);
      if (k > 20) throw new Error('the protocol has more steps than expected');
    }
    expect(seen).toEqual(['wrote kustomization.yaml', 'wrote a.k8s.yaml', 'wrote c.k8s.yaml', 'staged', 'moved old aside', 'moved new in', 'emptied old', 'removed old']);
    expect([...outcomes].sort()).toEqual(['gap', 'new', 'old']);
  }, 60_000);

  test('at seeded random instants', async () => {
    let seed32 = 13;
    const random = () => ((seed32 = (Math.imul(seed32, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (let i = 0; i < 10; i++) {
      const out = await seed();
      const r = run(out, NEW, { SYNTH_STEP_DELAY_MS: '2' });
      const at = Math.floor(random() * 20);
      r.onStep((n) => n === 1 && setTimeout(() => r.child.kill('SIGKILL'), at));
      await r.exited;
      assertReaderSeesOldOrNew(out);
      assertNextRunRecovers(out);
    }
  }, 60_000);

  test('the real synth command, killed with its old folder moved aside, is repaired by the next synth', async () => {
    const dir = tempDir('crash-cli-');
    const file = path.join(dir, 'dev.yaml');
    const out = path.join(dir, 'out');
    writeFileSync(file, readFileSync(fixture('dev'), 'utf8'));
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    const before = contents(path.join(out, 'dev'));
    // The killed run writes something new (an unchanged folder is left alone, with no step to kill).
    const changed = path.join(tempDir('crash-cli-changed-'), 'dev.yaml');
    writeFileSync(changed, readFileSync(fixture('dev'), 'utf8').replace('storageGiB: 2\n', 'storageGiB: 3\n'));
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'synth.js'), '--config', changed, '--outdir', out], {
      env: { ...process.env, SYNTH_STEP_PAUSE_AT: 'moved old aside' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (/^synth-step: \d+ moved old aside$/m.test(err)) child.kill('SIGKILL');
    });
    await exited;
    expect(existsSync(path.join(out, 'dev'))).toBe(false); // the instant between the two renames
    expect(readdirSync(out).sort()).toEqual([`.dev.new-${child.pid}`, `.dev.old-${child.pid}`, '.synth.lock'].sort());

    const next = await runMain(['--config', file, '--outdir', out]);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(contents(path.join(out, 'dev'))).toEqual(before);
    expect(readdirSync(out)).toEqual(['dev']);
  }, 60_000);
});

describe('two synths at once', () => {
  test('fails when another synth holds the outdir, naming its pid, and changes nothing', async () => {
    const out = await seed();
    const r = run(out, NEW, { SYNTH_STEP_PAUSE_AT: '1' });
    const paused = new Promise<void>((resolve) => r.onStep((n) => n === 1 && resolve()));
    await paused;
    const dir = tempDir('crash-lock-');
    const file = path.join(dir, 'dev.yaml');
    writeFileSync(file, readFileSync(fixture('dev'), 'utf8'));
    const second = await runMain(['--config', file, '--outdir', out]);
    r.child.kill('SIGKILL');
    await r.exited;
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toBe(`synth: another synth is running (pid ${r.child.pid}) on ${out}; wait for it to finish (or, if no synth runs, delete ${path.join(out, '.synth.lock')})`);
    expect(contents(path.join(out, 'dev'))).toEqual(OLD);
  }, 30_000);
});
