// The harness itself: a cached build is reused, a failing build names its step and shows its log, and a
// started program is gone after stop().
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BuildError, ensureBuilt, step } from './build';
import { Run, waitFor } from './procs';

describe('e2e harness', () => {
  const run = new Run('harness');
  afterAll(() => run.stop());

  it('builds once per inputs and reuses the cached folder', () => {
    const inputs = [`harness-${process.pid}-${Date.now()}`];
    let builds = 0;
    const first = ensureBuilt('harness-probe', inputs, (out) => { builds++; fs.writeFileSync(path.join(out, 'x'), 'x'); });
    const second = ensureBuilt('harness-probe', inputs, () => { builds++; });
    expect(second).toBe(first);
    expect(builds).toBe(1);
    fs.rmSync(first, { recursive: true, force: true });
  });

  it('fails a build step with the step name and the command output', () => {
    expect(() => step('probe', 'go vet of nothing', 'go', ['vet', './does-not-exist'], { cwd: run.dir })).toThrow(BuildError);
    try { step('probe', 'go vet of nothing', 'go', ['vet', './does-not-exist'], { cwd: run.dir }); } catch (e) {
      expect(String(e)).toMatch(/building probe failed at step "go vet of nothing"/);
      expect(String(e)).toMatch(/does-not-exist/);
    }
  });

  it('stops what it started', async () => {
    const p = run.start('sleeper', 'sleep', ['300']);
    await waitFor('sleeper to run', () => p.child.pid !== undefined);
    await run.stop();
    expect(p.child.exitCode !== null || p.child.signalCode !== null).toBe(true);
  });
});
