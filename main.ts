/**
 * `npm run synth`: every config/*.yaml (or the ones named) → <outdir>/<env>/*.k8s.yaml.
 *
 *   npm run synth                                    all environments in config/ → dist/
 *   npm run synth -- --env production [--env dev]    only these → dist/
 *   npm run synth -- --config FILE ... --outdir DIR  these files → DIR/<basename>/
 *
 * Exit 0 on success, 1 when a configuration is wrong (every problem on its own line), 2 on bad usage.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, environmentName, loadConfig } from './lib/config/load';
import { Environment } from './lib/config/schema';
import { renderEnvironment, RenderedEnvironment } from './lib/stack';
import { removeEnvironment, writeEnvironment } from './lib/write';
import { BOOTSTRAP_DIR, bootstrapFiles } from './lib/gitops';
import { diffEnvironment } from './lib/diff';
import { writeGeneratedDocs } from './lib/config/reference';

export const CONFIG_DIR = 'config';
export const DIST_DIR = 'dist';

const USAGE = `usage: npm run synth [-- [--env NAME]... | [--config FILE]... [--outdir DIR]]
  (no flags)       synthesize every ${CONFIG_DIR}/*.yaml into ${DIST_DIR}/<env>/
  --env NAME       only ${CONFIG_DIR}/NAME.yaml (repeatable)
  --config FILE    a configuration file anywhere (repeatable); output goes to <outdir>/<file base name>/
  --outdir DIR     output folder (default ${DIST_DIR})
  --diff           print what synth would change in <outdir> (objects added, removed, changed); writes nothing
  --write-schema   regenerate ${CONFIG_DIR}/schema.json and the README's configuration reference`;

class UsageError extends Error {}

interface Options {
  files: string[];
  outdir: string;
  writeSchema: boolean;
  diff: boolean;
}

export function environmentFiles(dir = CONFIG_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

function parseArgs(argv: string[]): Options {
  const envs: string[] = [];
  const configs: string[] = [];
  let outdir = DIST_DIR;
  let writeSchema = false;
  let diff = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--env') envs.push(value());
    else if (flag === '--config') configs.push(value());
    else if (flag === '--outdir') outdir = value();
    else if (flag === '--write-schema') writeSchema = true;
    else if (flag === '--diff') diff = true;
    else if (flag === '--help' || flag === '-h') throw new UsageError('');
    else throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
  }
  const known = environmentFiles();
  for (const name of envs) {
    const file = known.find((f) => environmentName(f) === name);
    if (!file) throw new UsageError(`unknown environment ${JSON.stringify(name)}; known: ${known.map(environmentName).join(', ')}`);
    configs.push(file);
  }
  return { files: configs.length || writeSchema ? configs : known, outdir, writeSchema, diff };
}

export async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) process.stderr.write(`synth: ${e.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return e.message ? 2 : 0;
  }
  if (options.writeSchema) {
    for (const written of writeGeneratedDocs()) process.stdout.write(`wrote ${written}\n`);
    if (!options.files.length) return 0;
  }

  const problems: string[] = [];
  const failed: string[] = [];
  const rendered: [Environment, RenderedEnvironment][] = [];
  const names = new Map<string, string>();
  for (const file of options.files) {
    try {
      const env = loadConfig(file);
      if (env.name === BOOTSTRAP_DIR) throw new ConfigError([`${file}: "${BOOTSTRAP_DIR}" is reserved for ${DIST_DIR}/${BOOTSTRAP_DIR}/ (GitOps bootstrap objects); name the file differently`]);
      const clash = names.get(env.name);
      if (clash) throw new ConfigError([`${file}: environment ${JSON.stringify(env.name)} is also given by ${clash}; each output folder needs one file`]);
      names.set(env.name, file);
      rendered.push([env, renderEnvironment(env)]);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
      failed.push(file);
    }
  }
  for (const [env, files] of rendered) {
    const bootstrap = bootstrapFiles(env, DIST_DIR);
    if (options.diff) {
      process.stdout.write(diffEnvironment(options.outdir, env.name, files));
      process.stdout.write(diffEnvironment(path.join(options.outdir, BOOTSTRAP_DIR), env.name, bootstrap));
      continue;
    }
    writeEnvironment(options.outdir, env.name, files);
    process.stdout.write(`${path.join(options.outdir, env.name)}/: ${[...files.keys()].join(', ')}\n`);
    if (bootstrap.size) {
      writeEnvironment(path.join(options.outdir, BOOTSTRAP_DIR), env.name, bootstrap);
      process.stdout.write(`${path.join(options.outdir, BOOTSTRAP_DIR, env.name)}/: ${[...bootstrap.keys()].join(', ')}\n`);
    } else removeEnvironment(path.join(options.outdir, BOOTSTRAP_DIR), env.name);
  }
  if (problems.length) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.stderr.write(`synth: ${problems.length} problem${problems.length > 1 ? 's' : ''} in ${failed.join(', ')}; nothing was written for ${failed.length > 1 ? 'them' : 'it'}\n`);
    return 1;
  }
  return 0;
}
