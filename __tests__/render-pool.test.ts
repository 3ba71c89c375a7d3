// Many environments render on worker threads beside the main thread (lib/render-pool.ts). The command with
// workers writes exactly what one thread writes, files and messages alike, and a bad file among them is
// reported in its place.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { renderFiles } from '../lib/render-pool';
import { ENVIRONMENTS, fixture, ROOT, runMain, synth, tempDir } from './helpers';

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const itIfCores = availableParallelism() > 1 ? it : it.skip;

// The bundled program synth runs (built when missing), which the worker threads load.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { cachedBundle } = require('../bin/bundle');

// Workers start from 40 files each in real runs (lib/render-pool.ts); here from six, to see them at work.
const FILES = 6;

describe('rendering on worker threads', () => {
  itIfCores('renders on worker threads, each result equal to rendering alone', async () => {
    const files = Array.from({ length: FILES }, (_, i) => fixture(ENVIRONMENTS[i % ENVIRONMENTS.length]));
    const where: string[] = [];
    const pooled = await renderFiles(files, {
      bundle: cachedBundle('synth', 'main.ts'),
      workerEntry: path.join(ROOT, 'bin', 'synth-worker.js'),
      renderedBy: (i, thread) => (where[i] = thread),
      // Everything on the workers, so the test sees their results whatever the timing of their start.
      mainRenders: false,
      minParallel: FILES,
    });
    const alone = await renderFiles(files);
    expect(where).toEqual(files.map(() => 'worker'));
    expect(pooled.map((r) => ('files' in r ? [...r.files] : r))).toEqual(alone.map((r) => ('files' in r ? [...r.files] : r)));
  }, 120_000);

  itIfCores('writes what one thread writes, in the same order, with a bad file reported in its place', async () => {
    const configs = tempDir('pool-configs-');
    const files: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const file = path.join(configs, `env-${String(i).padStart(2, '0')}.yaml`);
      writeFileSync(file, i === 3 ? 'namespace: 12\n' : readFileSync(fixture(ENVIRONMENTS[i % ENVIRONMENTS.length]), 'utf8'));
      files.push(file);
    }
    const args = (out: string) => ['--outdir', out, ...files.flatMap((f) => ['--config', f])];
    const [pooled, single] = [tempDir('pool-out-'), tempDir('single-out-')];
    const cli = synth(args(pooled), { env: { SYNTH_MIN_PARALLEL: String(FILES) } });
    const inProcess = await runMain(args(single));
    expect(cli.code).toBe(1);
    expect(inProcess.code).toBe(1);
    expect(cli.stderr).toContain('env-03.yaml: namespace');
    expect(cli.stderr).toBe(inProcess.stderr);
    expect(tree(pooled)).toEqual(tree(single));
  }, 120_000);
});
