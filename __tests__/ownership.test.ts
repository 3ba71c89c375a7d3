/**
 * synth replaces or deletes only folders it wrote, resolves paths where the user typed them, and turns
 * usage and file-system mistakes into one sentence. These are the process's behaviour, so they spawn it.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { OWNER_MARKER, ownershipProblem } from '../lib/write';
import { CONFIG_DIR, environmentsIn, fixture, FIXTURES_DIR, ROOT, runMain, synth, tempDir } from './helpers';

const DEV = readFileSync(fixture('dev'), 'utf8');
const GITOPS = `${DEV}\ngitops: {repoURL: "https://github.com/ybuilt/observability.git"}\n`;
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at |Error:|node:internal/);

function setup(yaml = DEV): { dir: string; file: string; out: string } {
  const dir = tempDir('owner-');
  const file = path.join(dir, 'dev.yaml');
  writeFileSync(file, yaml);
  return { dir, file, out: path.join(dir, 'out') };
}

describe('synth owns only what it wrote', () => {
  test('every folder it writes carries the marker, and the committed dist/ folders do too', async () => {
    const { file, out } = setup(GITOPS);
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    expect(existsSync(path.join(out, 'dev', OWNER_MARKER))).toBe(true);
    expect(existsSync(path.join(out, 'bootstrap', 'dev', OWNER_MARKER))).toBe(true);
    expect(readdirSync(out).sort()).toEqual(['bootstrap', 'dev']); // no lock or leftover
    for (const e of environmentsIn(CONFIG_DIR)) expect(`dist/${e}: ${existsSync(path.join(ROOT, 'dist', e, OWNER_MARKER))}`).toBe(`dist/${e}: true`);
  });

  test('fails when the environment folder holds a file synth did not write, changing nothing', async () => {
    const { file, out } = setup();
    mkdirSync(path.join(out, 'dev'), { recursive: true });
    writeFileSync(path.join(out, 'dev', 'notes.txt'), 'mine');
    const r = await runMain(['--config', file, '--outdir', out]);
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr).toContain(`synth: ${path.join(out, 'dev')}/ was not written by synth (no ${OWNER_MARKER} marker; it holds "notes.txt"); synth will not replace or delete it`);
    expect(r.stderr).toContain('synth: nothing was written');
    expect(readdirSync(out)).toEqual(['dev']);
    expect(readdirSync(path.join(out, 'dev'))).toEqual(['notes.txt']);
  });

  test('a file added inside a marked folder goes with the next run (the marker says the folder is synth\'s)', async () => {
    const { file, out } = setup();
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    writeFileSync(path.join(out, 'dev', 'notes.txt'), 'inside synth output');
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    expect(existsSync(path.join(out, 'dev', 'notes.txt'))).toBe(false);
  });

  test('a folder already holding exactly the output is left as it is; any difference in it is rewritten', async () => {
    const { file, out } = setup();
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    const dir = path.join(out, 'dev');
    const identity = () => Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).ino]));
    const written = identity();
    const texts = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    expect(identity()).toEqual(written); // not one file replaced
    // A changed byte, a missing file, an extra file, a file turned into a folder: each is put back as rendered.
    const spoil: ((f: string) => void)[] = [
      (f) => writeFileSync(path.join(dir, f), texts[f].replace(/a/, 'b')),
      (f) => rmSync(path.join(dir, f)),
      () => writeFileSync(path.join(dir, 'extra.k8s.yaml'), ''),
      (f) => (rmSync(path.join(dir, f)), mkdirSync(path.join(dir, f))),
    ];
    for (const damage of spoil) {
      damage('grafana.k8s.yaml');
      expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
      expect(Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]))).toEqual(texts);
    }
  });

  test('fails when --outdir . from the project would replace the project\'s own lib/', async () => {
    const { dir } = setup();
    const lib = path.join(dir, 'lib.yaml');
    writeFileSync(lib, DEV);
    const before = readdirSync(path.join(ROOT, 'lib')).sort();
    const r = await runMain(['--config', lib, '--outdir', '.'], ROOT);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('lib/ was not written by synth');
    expect(readdirSync(path.join(ROOT, 'lib')).sort()).toEqual(before);
    expect(existsSync(path.join(ROOT, '.synth.lock'))).toBe(false);
  });

  test('fails when gitops is switched off but bootstrap/<env>/ is not synth\'s (it is not deleted)', async () => {
    const { file, out } = setup();
    mkdirSync(path.join(out, 'bootstrap', 'dev'), { recursive: true });
    writeFileSync(path.join(out, 'bootstrap', 'dev', 'app.yaml'), 'kind: Application');
    const r = await runMain(['--config', file, '--outdir', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(out, 'bootstrap', 'dev')}/ was not written by synth`);
    expect(readFileSync(path.join(out, 'bootstrap', 'dev', 'app.yaml'), 'utf8')).toBe('kind: Application');
    expect(existsSync(path.join(out, 'dev'))).toBe(false); // refused before anything was written
  });

  test('output of earlier versions (no marker: synth\'s kustomization.yaml and the *.k8s.yaml it lists) is recognised and replaced', async () => {
    const { file, out } = setup();
    const dev = path.join(out, 'dev');
    mkdirSync(dev, { recursive: true });
    const kustomization = (resources: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}\n`).join('')}`;
    writeFileSync(path.join(dev, 'kustomization.yaml'), kustomization(['tempo.k8s.yaml', 'old.k8s.yaml']));
    for (const f of ['tempo.k8s.yaml', 'old.k8s.yaml']) writeFileSync(path.join(dev, f), 'x: 1\n');
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    expect(existsSync(path.join(dev, 'old.k8s.yaml'))).toBe(false);
    expect(existsSync(path.join(dev, OWNER_MARKER))).toBe(true);

    // A hand-made kustomize folder that only looks similar (it lists a file that is not there, or has patches) is not taken.
    rmSync(dev, { recursive: true });
    mkdirSync(dev);
    writeFileSync(path.join(dev, 'kustomization.yaml'), `${kustomization(['app.k8s.yaml'])}patches: []\n`);
    writeFileSync(path.join(dev, 'app.k8s.yaml'), 'x: 1\n');
    const r = await runMain(['--config', file, '--outdir', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${dev}/ was not written by synth`);
    expect(readdirSync(dev).sort()).toEqual(['app.k8s.yaml', 'kustomization.yaml']);
  });

  test('this repository\'s dist/<env>/ folders as committed before markers existed are recognised as synth\'s', () => {
    const out = tempDir('legacy-');
    for (const e of environmentsIn(CONFIG_DIR)) {
      mkdirSync(path.join(out, e));
      // As written then: manifests and kustomization.yaml (no marker, no PREREQUISITES.md).
      for (const f of readdirSync(path.join(ROOT, 'dist', e))) if (f !== OWNER_MARKER && f !== 'PREREQUISITES.md') writeFileSync(path.join(out, e, f), readFileSync(path.join(ROOT, 'dist', e, f)));
      expect(ownershipProblem(out, e)).toBeUndefined();
    }
  });

  test('fails when <outdir>/<env> is a file or a symbolic link', async () => {
    const { dir, file, out } = setup();
    mkdirSync(out);
    writeFileSync(path.join(out, 'dev'), 'a file');
    const r = await runMain(['--config', file, '--outdir', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`synth: ${path.join(out, 'dev')} is a file, not a folder synth wrote`);
    expect(readFileSync(path.join(out, 'dev'), 'utf8')).toBe('a file');
    const { symlinkSync } = require('node:fs') as typeof import('node:fs');
    rmSync(path.join(out, 'dev'));
    mkdirSync(path.join(dir, 'elsewhere'));
    symlinkSync(path.join(dir, 'elsewhere'), path.join(out, 'dev'));
    expect((await runMain(['--config', file, '--outdir', out])).stderr).toContain('is a symbolic link, not a folder synth wrote');
  });
});

describe('paths resolve where the user typed them', () => {
  test('relative --config and --outdir resolve against INIT_CWD under npm run', async () => {
    const { dir } = setup();
    const r = synth(['--config', 'dev.yaml', '--outdir', 'rendered'], { cwd: ROOT, env: { INIT_CWD: dir, npm_lifecycle_event: 'synth' } });
    expect(r.stderr).toBe('');
    expect(existsSync(path.join(dir, 'rendered', 'dev', 'kustomization.yaml'))).toBe(true);
    expect(existsSync(path.join(ROOT, 'rendered'))).toBe(false);
  });

  test('and against the current folder when run directly', async () => {
    const { dir } = setup();
    expect(synth(['--config', 'dev.yaml', '--outdir', 'here'], { cwd: dir }).code).toBe(0);
    expect(existsSync(path.join(dir, 'here', 'dev', 'kustomization.yaml'))).toBe(true);
  });
});

describe('usage and file-system mistakes are one sentence', () => {
  test('--env dev --env dev synthesizes once', async () => {
    const out = tempDir('twice-');
    const r = await runMain(['--env', 'dev', '--env', 'dev', '--outdir', out], ROOT, FIXTURES_DIR);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  test('fails with exit 64 when --outdir is a file, for synth and for --diff', async () => {
    const { file } = setup();
    for (const extra of [[], ['--diff']]) {
      const r = await runMain([...extra, '--config', file, '--outdir', file]);
      expect(r.code).toBe(64);
      noStack(r.stderr);
      expect(r.stderr.split('\n')[0]).toBe(`synth: --outdir ${file} is a file, not a folder; ${extra.length ? 'diff compares against' : 'synth writes'} <outdir>/<env>/ folders, so give a folder (it is created when missing)`);
    }
  });

  test('fails with one sentence when --diff meets a folder holding invalid YAML', async () => {
    const { file, out } = setup();
    mkdirSync(path.join(out, 'dev'), { recursive: true });
    writeFileSync(path.join(out, 'dev', 'broken.yaml'), 'a: [\n');
    const r = await runMain(['--diff', '--config', file, '--outdir', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^synth: cannot compare with ${path.join(out, 'dev').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/: it holds a file that is not valid YAML \\(.{1,120}\\)$`));
  });

  test('fails with exit 64 when --outdir is empty', async () => {
    const r = await runMain(['--config', setup().file, '--outdir', '']);
    expect(r.code).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe('synth: --outdir needs a value');
  });

  test('fails when --outdir lies under a file', async () => {
    const { file } = setup();
    const r = await runMain(['--config', file, '--outdir', path.join(file, 'sub')]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('is under a file, not a folder');
  });

  test('fails with one sentence when the output folder cannot be created or written', async () => {
    // As root (CI containers) permission bits do not apply, so also use a place even root cannot write: /sys.
    const r = await runMain(['--config', setup().file, '--outdir', '/sys/synth-out']);
    expect(r.code).toBe(1);
    noStack(r.stderr);
    expect(r.stderr.trim()).toBe('synth: cannot create /sys/synth-out (operation not permitted)');
    if (process.getuid?.() === 0) return;
    const { file, out } = setup();
    mkdirSync(out);
    chmodSync(out, 0o500);
    const ro = await runMain(['--config', file, '--outdir', out]);
    chmodSync(out, 0o700);
    expect(ro.code).toBe(1);
    noStack(ro.stderr);
    expect(ro.stderr.trim()).toBe(`synth: cannot write to ${out} (permission denied)`);
  });

  test('fails with one sentence when the disk fills up mid-write, leaving the previous output as it was', async () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const { writeEnvironment } = require('../lib/write') as typeof import('../lib/write');
    const out = tempDir('full-');
    writeEnvironment(out, 'dev', new Map([['a.k8s.yaml', 'old\n']]));
    const real = fs.writeFileSync;
    const spy = jest.spyOn(fs, 'writeFileSync').mockImplementation((file, data, opts) => {
      if (String(file).endsWith('b.k8s.yaml')) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return real(file, data, opts);
    });
    try {
      expect(() => writeEnvironment(out, 'dev', new Map([['a.k8s.yaml', 'new\n'], ['b.k8s.yaml', 'new\n']]))).toThrow(
        `cannot write ${path.join(out, 'dev')}/ (no space left on the device); its previous content is unchanged`,
      );
    } finally {
      spy.mockRestore();
    }
    expect(readdirSync(out)).toEqual(['dev']);
    expect(readFileSync(path.join(out, 'dev', 'a.k8s.yaml'), 'utf8')).toBe('old\n');
  });
});
