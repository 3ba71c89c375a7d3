// Renders an environment the way a user does (`npm run synth -- --config FILE --outdir DIR`), from a committed
// config/<env>.yaml with a few values changed for a scenario, into the run's folder.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { K8sObject, loadManifests, REPO_ROOT } from './manifests';

export function renderVariant(outRoot: string, env: string, name: string, change: (config: Record<string, any>) => void): { dir: string; objects: K8sObject[] } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const config = yaml.load(fs.readFileSync(path.join(REPO_ROOT, 'config', `${env}.yaml`), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  change(config);
  fs.mkdirSync(outRoot, { recursive: true });
  const file = path.join(outRoot, `${name}.yaml`);
  fs.writeFileSync(file, yaml.dump(config));
  const outdir = path.join(outRoot, 'render');
  try {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'synth.js'), '--config', file, '--outdir', outdir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`e2e: rendering ${name} (config/${env}.yaml with scenario values) failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
  const dir = path.join(outdir, name);
  return { dir, objects: loadManifests(dir) };
}
