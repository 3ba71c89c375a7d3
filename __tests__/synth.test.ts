import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { OWNER_MARKER } from '../lib/write';
import { CONFIG_DIR, environmentsIn, fixture, FIXTURES_DIR, ROOT, runMain, synth, tempDir } from './helpers';
import { distProblems, tree } from './support/committed-dist';

// The user's environments: whatever config/*.yaml holds (README, "Your own environments").
const USER = environmentsIn(CONFIG_DIR);
const configs = USER.map((e) => path.join(CONFIG_DIR, `${e}.yaml`));

describe('npm run synth', () => {
  let out: string;
  beforeAll(() => {
    out = tempDir('synth-');
    const r = synth(['--outdir', out, ...configs.flatMap((c) => ['--config', c])]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('the committed dist/ is what every config/*.yaml synthesizes (run `npm run synth` and commit dist/)', () => {
    // Per file, naming the environment; GitOps bootstrap folders too, and folders whose config is gone.
    expect(distProblems(ROOT, out)).toEqual([]);
  });

  test('output is byte-identical on a second run', async () => {
    // The second run in this process, the first in a process of its own: nothing may depend on either.
    const again = tempDir('synth-again-');
    expect((await runMain(['--outdir', again, ...configs.flatMap((c) => ['--config', c])])).code).toBe(0);
    expect(tree(again)).toEqual(tree(out));
  });

  test('each environment has a kustomization listing exactly its component files', () => {
    for (const e of USER) {
      // PREREQUISITES.md sits next to the manifests, not applied (README "Before the first sync").
      const files = readdirSync(path.join(out, e)).filter((f) => f !== OWNER_MARKER && f !== 'PREREQUISITES.md').sort();
      const k = load(readFileSync(path.join(out, e, 'kustomization.yaml'), 'utf8')) as { kind: string; resources: string[] };
      expect(k.kind).toBe('Kustomization');
      expect([...k.resources, 'kustomization.yaml'].sort()).toEqual(files);
      expect(k.resources[0]).toBe('namespace.k8s.yaml');
      for (const f of k.resources) expect(f).toMatch(/^[a-z0-9-]+\.k8s\.yaml$/);
    }
  });

  test('no timestamps or cdk8s hash suffixes in names', () => {
    for (const [file, text] of Object.entries(tree(out))) {
      expect(`${file}: ${/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)}`).toBe(`${file}: false`);
      for (const m of text.matchAll(/^ {2}name: (.*)$/gm)) expect(m[1]).not.toMatch(/-c8[0-9a-f]{6}$/);
    }
  });

  test('--env renders only that environment and leaves the other folders untouched', async () => {
    const dir = tempDir('synth-env-');
    mkdirSync(path.join(dir, 'config'));
    // --env reads the config folder (here the fixtures); render into a scratch outdir to compare.
    const r = await runMain(['--env', 'dev', '--outdir', dir], ROOT, FIXTURES_DIR);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['config', 'dev']);
  });

  test('fails with exit 64 (EX_USAGE) and usage on an unknown flag or environment', async () => {
    const flag = synth(['--frobnicate']);
    expect(flag.code).toBe(64);
    expect(flag.stderr).toContain('synth: unknown argument "--frobnicate"');
    expect((await runMain(['--outidr', '/tmp/x'])).stderr).toContain('synth: unknown argument "--outidr" (did you mean --outdir?)');
    expect(flag.stderr).toContain('usage: npm run synth');
    // The known environments are whatever config/ holds, not the examples.
    const name = await runMain(['--env', 'no-such-env'], ROOT, CONFIG_DIR);
    expect(name.code).toBe(64);
    expect(name.stderr).toContain(`synth: unknown environment "no-such-env"; known: ${USER.join(', ')}`);
  });

  test('fails with exit 1 and leaves the previous output byte-for-byte as it was', async () => {
    const dir = tempDir('synth-bad-');
    const file = path.join(dir, 'production.yaml');
    writeFileSync(file, readFileSync(fixture('production'), 'utf8'));
    const outdir = path.join(dir, 'out');
    expect((await runMain(['--config', file, '--outdir', outdir])).code).toBe(0);
    const before = tree(outdir);

    writeFileSync(file, `${readFileSync(fixture('production'), 'utf8')}\ngrafana:\n  adminPassword: admin\n`.replace('slowRequestThreshold: 1s', 'slowRequestThreshold: fast'));
    const r = synth(['--config', file, '--outdir', outdir]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const lines = r.stderr.trim().split('\n');
    expect(lines.slice(0, -1).every((l) => l.startsWith(`${file}:`))).toBe(true);
    expect(r.stderr).toContain(`${file}:`);
    expect(tree(outdir)).toEqual(before);
    expect(readdirSync(outdir)).toEqual(['production']); // no temporary folder left behind
  });

  test('`npm run synth | head -1`: a reader that goes away costs the report, not a stack trace or the output', async () => {
    const dir = tempDir('synth-pipe-');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'synth.js'), '--config', fixture('dev'), '--config', fixture('staging'), '--outdir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before synth writes its first line
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(dir).sort()).toEqual(['dev', 'staging']);
  }, 30_000);

  test('a success replaces the folder and leaves no stale file', async () => {
    const dir = tempDir('synth-stale-');
    writeFileSync(path.join(dir, 'dev.yaml'), readFileSync(fixture('dev'), 'utf8'));
    const outdir = path.join(dir, 'out');
    expect((await runMain(['--config', path.join(dir, 'dev.yaml'), '--outdir', outdir])).code).toBe(0);
    writeFileSync(path.join(outdir, 'dev', 'old-component.k8s.yaml'), 'stale');
    expect((await runMain(['--config', path.join(dir, 'dev.yaml'), '--outdir', outdir])).code).toBe(0);
    expect(existsSync(path.join(outdir, 'dev', 'old-component.k8s.yaml'))).toBe(false);
    expect(existsSync(path.join(outdir, 'dev', 'kustomization.yaml'))).toBe(true);
  });
});
