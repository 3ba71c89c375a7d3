/**
 * The committed-output check, as a function of a project folder, so a test can prove it on a scratch project
 * (a new environment, a hand edit, a removed one) as well as run it on this one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BOOTSTRAP_DIR } from '../../lib/gitops';
import { OWNER_MARKER } from '../../lib/write';
import { environmentsIn } from '../helpers';

/** Every file under a folder, relative path → content ({} when the folder does not exist). */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** Environment folders synth wrote (they carry its marker) under `dir`. */
const synthFolders = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, OWNER_MARKER))).map((e) => e.name) : [];

/**
 * Why `<project>/dist/` is not what `<project>/config/*.yaml` render, one line per file, each naming the
 * environment's folder: `fresh` is a synth of every config/*.yaml into a scratch folder. Also a dist/<env>/
 * (or dist/bootstrap/<env>/) left behind by a deleted config: GitOps would go on applying it.
 */
export function distProblems(project: string, fresh: string): string[] {
  const problems: string[] = [];
  const names = environmentsIn(path.join(project, 'config'));
  const compare = (sub: string, name: string) => {
    const want = tree(path.join(fresh, sub, name));
    const have = tree(path.join(project, 'dist', sub, name));
    const where = (f: string) => path.join('dist', sub, name, f);
    for (const f of Object.keys(want).sort()) {
      if (!(f in have)) problems.push(`${where(f)}: missing; config/${name}.yaml renders it (run \`npm run synth\` and commit dist/)`);
      else if (have[f] !== want[f]) problems.push(`${where(f)}: differs from what config/${name}.yaml renders (edited by hand, or not re-synthesized: run \`npm run synth\` and commit dist/)`);
    }
    for (const f of Object.keys(have).sort()) if (!(f in want)) problems.push(`${where(f)}: not rendered by config/${name}.yaml (run \`npm run synth\` and commit dist/)`);
  };
  for (const name of names) {
    compare('', name);
    compare(BOOTSTRAP_DIR, name);
  }
  for (const [sub, dir] of [['', path.join(project, 'dist')], [BOOTSTRAP_DIR, path.join(project, 'dist', BOOTSTRAP_DIR)]] as const)
    for (const name of synthFolders(dir)) if (!names.includes(name)) problems.push(`${path.join('dist', sub, name)}/: no config/${name}.yaml renders it; delete the folder with its config (GitOps would go on applying it)`);
  return problems;
}
