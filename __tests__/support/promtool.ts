/** Runs the Debian `promtool` (package `prometheus`) when it is installed; tests skip visibly otherwise. */
import { spawn, spawnSync } from 'node:child_process';

export const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => spawnSync(p, ['--version']).status === 0);
export const PROMTOOL_MISSING = 'promtool not found: install it with `apt-get install -y prometheus` (Debian) to run the rule checks and unit tests';

export function promtool(args: string[], cwd: string): { code: number; output: string } {
  const r = spawnSync(PROMTOOL!, args, { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** The same without blocking, so several promtool processes can run at once. */
export function promtoolAsync(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL!, args, { cwd });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}
