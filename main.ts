/**
 * `npm run synth`: every config/*.yaml (or the ones named) → <outdir>/<env>/*.k8s.yaml.
 *
 *   npm run synth                                    all environments in config/ → dist/
 *   npm run synth -- --env production [--env dev]    only these → dist/
 *   npm run synth -- --config FILE ... --outdir DIR  these files → DIR/<basename>/
 *
 * Exit 0 on success, 1 when a configuration is wrong (every problem on its own line), 64 on bad usage
 * (sysexits.h EX_USAGE: never one of the codes `--diff --exit-code` gives a change class, 0-3). With
 * `--exit-code`, a configuration or read error exits 65 (EX_DATAERR) instead of 1, so CI cannot take it for
 * "in place".
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, environmentFiles, environmentName, escapeControl, unknownEnvironment } from './lib/config/load';
import { Environment } from './lib/config/schema';
import { RenderedEnvironment } from './lib/stack';
import { renderFiles, serveRenders as serveRendersWith } from './lib/render-pool';
import type { MessagePort } from 'node:worker_threads';
import { FolderContents, lockOutdir, ownershipProblem, OutputError, readFolder, removeEnvironment, writeEnvironment } from './lib/write';
import { nearest } from './lib/nearest';
import { BOOTSTRAP_DIR, bootstrapFiles } from './lib/gitops';
import { diffEnvironment, resolveRef } from './lib/diff/compare';
import { ChangeClass } from './lib/diff/types';
import { writeGeneratedDocs } from './lib/config/reference';

export const CONFIG_DIR = 'config';
export const DIST_DIR = 'dist';
/** Team dashboards: <dir>/shared/*.json for every environment, <dir>/<env>/*.json for one (lib/grafana/team-dashboards.ts). */
export const DASHBOARDS_DIR = 'dashboards';

const USAGE = `usage: npm run synth [-- [--env NAME]... | [--config FILE]... [--outdir DIR]]
  (no flags)       synthesize every ${CONFIG_DIR}/*.yaml into ${DIST_DIR}/<env>/
  --env NAME       only ${CONFIG_DIR}/NAME.yaml (repeatable)
  --config FILE    a configuration file anywhere (repeatable); output goes to <outdir>/<file base name>/
  --outdir DIR     output folder (default ${DIST_DIR}); synth only replaces <env>/ folders it wrote itself
  --dashboards DIR team dashboard JSON: DIR/shared/*.json and DIR/<env>/*.json (default ${DASHBOARDS_DIR})
  (relative FILE and DIR are read from the folder you ran the command in)
  --diff           print what synth would change in <outdir>, per object and field, classed in place / needs a step /
                   risks data with the reason and the procedure; writes nothing
  --against REF    with --diff: compare with <outdir>/<env>/ as committed at git REF (a branch, tag or commit)
  --exit-code      with --diff: exit with the highest class: 0 no change, 1 in place, 2 needs a step, 3 risks data
  --write-schema   regenerate ${CONFIG_DIR}/schema.json and the README's configuration reference`;

class UsageError extends Error {}

const FLAGS = ['--env', '--config', '--outdir', '--dashboards', '--diff', '--against', '--exit-code', '--write-schema', '--help'] as const;
/** Bad usage (sysexits.h EX_USAGE). */
export const EXIT_USAGE = 64;
/** A configuration or read error under `--diff --exit-code` (sysexits.h EX_DATAERR), kept apart from the classes 0-3. */
export const EXIT_DIFF_FAILED = 65;
/**
 * More problems than this in one file, or more characters than REPORT_CHARS, are counted, not printed: the first
 * ones are what the user fixes first, and a report longer than a screen is not read.
 */
export const MAX_PROBLEMS_PER_FILE = 50;
export const REPORT_CHARS = 3000;

interface Options {
  files: string[];
  outdir: string;
  dashboards: string;
  writeSchema: boolean;
  diff: boolean;
  /** `--against`: the git ref to compare with (resolved to a commit when diffing). */
  against?: string;
  exitCode: boolean;
}

/** A value for messages: bounded, so a hostile argument cannot flood the terminal. */
const shown = (v: string) => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);

/**
 * A path the user typed, resolved against the folder they ran the command in (`cwd`; under `npm run` that is
 * INIT_CWD, see bin/synth.js), shown relative to the project when it lies inside it.
 */
function userPath(value: string, cwd: string): string {
  const abs = path.resolve(cwd, value);
  const rel = path.relative(process.cwd(), abs);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
}

function parseArgs(argv: string[], cwd: string, configDir: string): Options {
  const envs: string[] = [];
  const configs: string[] = [];
  let outdir: string | undefined;
  let dashboards: string | undefined;
  let writeSchema = false;
  let diff = false;
  let against: string | undefined;
  let exitCode = false;
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let inline: string | undefined;
    const eq = flag.startsWith('--') ? flag.indexOf('=') : -1;
    if (eq > 0) [flag, inline] = [flag.slice(0, eq), flag.slice(eq + 1)];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--env') envs.push(value());
    else if (flag === '--config') configs.push(userPath(value(), cwd));
    else if (flag === '--outdir') {
      if (outdir !== undefined) throw new UsageError('--outdir given twice; give one output folder');
      outdir = userPath(value(), cwd);
    } else if (flag === '--dashboards') {
      if (dashboards !== undefined) throw new UsageError('--dashboards given twice; give one dashboards folder');
      dashboards = userPath(value(), cwd);
    } else if (flag === '--write-schema') writeSchema = true;
    else if (flag === '--diff') diff = true;
    else if (flag === '--exit-code') exitCode = true;
    else if (flag === '--against') {
      if (against !== undefined) throw new UsageError('--against given twice; give one git ref');
      against = value();
    }
    else if (flag === '--help' || flag === '-h') throw new UsageError('');
    else {
      const hint = flag.startsWith('-') ? nearest(flag.replace(/^-+/, '--'), FLAGS, 3) : undefined;
      throw new UsageError(`unknown argument ${shown(flag)}${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
  }
  if (!diff && (against !== undefined || exitCode)) throw new UsageError(`${against !== undefined ? '--against' : '--exit-code'} only goes with --diff`);
  outdir ??= DIST_DIR;
  const kind = pathKind(outdir);
  if (kind && kind !== 'folder') throw new UsageError(`--outdir ${outdir} is ${kind}, not a folder; ${diff ? 'diff compares against' : 'synth writes'} <outdir>/<env>/ folders, so give a folder (it is created when missing)`);
  const known = environmentFiles(configDir);
  for (const name of envs) {
    const file = known.find((f) => environmentName(f) === name);
    if (!file) throw new UsageError(unknownEnvironment(name, configDir));
    configs.push(file);
  }
  // The same file named twice (--env dev --env dev) is synthesized once.
  const unique = [...new Map(configs.map((f) => [path.resolve(f), f])).values()];
  // Beside the environments' folder (config/ → dashboards/), wherever that is.
  return { files: unique.length || writeSchema ? unique : known, outdir, dashboards: dashboards ?? path.join(path.dirname(configDir), DASHBOARDS_DIR), writeSchema, diff, against, exitCode };
}

function pathKind(p: string): string | undefined {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'folder' : st.isFile() ? 'a file' : 'a special file';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'under a file' : undefined;
  }
}

/** A file whose environment name is reserved. */
function checkReserved(env: Environment, file: string): void {
  if (env.name === BOOTSTRAP_DIR) throw new ConfigError([`${file}: "${BOOTSTRAP_DIR}" is reserved for ${DIST_DIR}/${BOOTSTRAP_DIR}/ (GitOps bootstrap objects); name the file differently`]);
}

/** The worker threads' side of rendering (bin/synth-worker.js). */
export function serveRenders(port: MessagePort): void {
  serveRendersWith(port, checkReserved);
}

/** How the command runs: the bundled program and the worker script that renders beside it (bin/synth.js). */
export interface Runtime {
  readonly bundle?: string;
  readonly workerEntry?: string;
  /** Told how many characters were rendered (bin/synth.js weighs its code cache by it). */
  readonly rendered?: (chars: number) => void;
}

/**
 * `cwd`: where the user ran the command (relative --config and --outdir resolve there). `configDir`: where the
 * environments are (tests point it at a scratch folder to prove nothing assumes which environments exist).
 * `runtime`: how the command runs (bin/synth.js), so that many environments render on worker threads.
 */
export async function main(argv: string[], cwd = process.cwd(), configDir = CONFIG_DIR, runtime: Runtime = {}): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv, cwd, configDir);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message) process.stderr.write(`synth: ${e.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return e.message ? EXIT_USAGE : 0;
  }
  if (options.writeSchema) {
    for (const written of writeGeneratedDocs()) process.stdout.write(`wrote ${written}\n`);
    if (!options.files.length) return 0;
  }

  const problems: string[] = [];
  let problemCount = 0;
  const failed: string[] = [];
  const rendered: [Environment, RenderedEnvironment][] = [];
  const names = new Map<string, string>();
  for (const result of await renderFiles(options.files, { ...runtime, check: checkReserved, dashboards: options.dashboards })) {
    const { file } = result;
    try {
      if ('problems' in result) throw new ConfigError(result.problems, result.more);
      const { env } = result;
      const clash = names.get(env.name);
      if (clash) throw new ConfigError([`${file}: environment ${JSON.stringify(env.name)} is also given by ${clash}; each output folder needs one file`]);
      names.set(env.name, file);
      rendered.push([env, result.files]);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // One problem once, and a bounded report (200,000 unknown keys must not flood the terminal).
      const distinct = [...new Set(e.problems)];
      const shownLines: string[] = [];
      let chars = 0;
      for (const line of distinct.slice(0, MAX_PROBLEMS_PER_FILE)) {
        if (shownLines.length && chars + line.length > REPORT_CHARS) break;
        shownLines.push(line);
        chars += line.length + 1;
      }
      const hidden = distinct.length - shownLines.length + e.more;
      problems.push(...shownLines);
      if (hidden > 0) problems.push(`${file}: … and ${hidden} more problem${hidden > 1 ? 's' : ''} (the first ${shownLines.length} are shown)`);
      problemCount += shownLines.length + Math.max(hidden, 0);
      failed.push(file);
    }
  }
  runtime.rendered?.(rendered.reduce((sum, [, files]) => sum + [...files.values()].reduce((n, text) => n + text.length, 0), 0));
  const failure = options.exitCode ? EXIT_DIFF_FAILED : 1;
  let highest = ChangeClass.None;
  try {
    if (options.diff) {
      const commit = options.against === undefined ? undefined : resolveRef(options.against, options.outdir);
      for (const [env, files] of rendered) {
        for (const [dir, out] of [[options.outdir, files], [path.join(options.outdir, BOOTSTRAP_DIR), bootstrapFiles(env, repositoryPath(options.outdir))]] as const) {
          const d = diffEnvironment(dir, env.name, out, { commit });
          process.stdout.write(d.text);
          highest = Math.max(highest, d.highest);
        }
      }
    } else if (rendered.length) writeAll(options.outdir, rendered);
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    process.stderr.write(`synth: ${escapeControl(e.message).replace(/\\u000a/g, '\n')}\n`);
    return failure;
  }
  if (problems.length) {
    process.stderr.write(`${problems.map(escapeControl).join('\n')}\n`);
    process.stderr.write(`synth: ${problemCount} problem${problemCount > 1 ? 's' : ''} in ${failed.join(', ')}; nothing was ${options.diff ? 'compared' : 'written'} for ${failed.length > 1 ? 'them' : 'it'}\n`);
    return failure;
  }
  return options.exitCode ? highest : 0;
}

/**
 * What replacing a folder changes, for synth to tell after writing when it needs a step or risks data (the
 * summary `npm run diff` prints). Computed before the folder is replaced; a folder it cannot read is not
 * compared, and synth says so without failing: the write itself is what was asked.
 */
function summaryBeforeWrite(outdir: string, envName: string, files: Map<string, string>, current: FolderContents | undefined): string {
  // The files as read for writing, when every entry could be read (otherwise the diff reads, and reports, itself).
  const old = current?.onlyFiles ? new Map([...current.files].filter(([f]) => f.endsWith('.yaml')).map(([f, bytes]) => [f, bytes.toString('utf8')])) : undefined;
  try {
    const d = diffEnvironment(outdir, envName, files, { old });
    return d.highest >= ChangeClass.NeedsStep ? d.text : '';
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    process.stderr.write(`synth: not classified against the previous output (${escapeControl(e.message)})\n`);
    return '';
  }
}

/**
 * The output folder as the Git repository holds it, which is where the bootstrap objects point Argo CD and Flux
 * (`dist`, `deploy/rendered`, `.` at the top): relative to the nearest folder above it with a `.git` (a folder,
 * or a file in a worktree). Outside any repository (a scratch render) it is taken to sit at the top of one,
 * as dist/ does.
 */
export function repositoryPath(outdir: string): string {
  const abs = path.resolve(outdir);
  for (let dir = abs; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return path.relative(dir, abs).split(path.sep).join('/') || '.';
    if (path.dirname(dir) === dir) return path.basename(abs);
  }
}

/** Writes every rendered environment under one lock, after checking that every folder it would replace or delete is synth's. */
function writeAll(outdir: string, rendered: [Environment, RenderedEnvironment][]): void {
  const release = lockOutdir(outdir);
  try {
    const bootstrapDir = path.join(outdir, BOOTSTRAP_DIR);
    const repoDir = repositoryPath(outdir);
    const plans = rendered.map(([env, files]) => ({ env, files, bootstrap: bootstrapFiles(env, repoDir) }));
    const refused = plans.flatMap(({ env }) => [ownershipProblem(outdir, env.name), ownershipProblem(bootstrapDir, env.name)]).filter((p) => p !== undefined);
    if (refused.length) throw new OutputError(`${[...new Set(refused)].join('\nsynth: ')}\nsynth: nothing was written`);
    for (const { env, files, bootstrap } of plans) {
      const current = readFolder(path.join(outdir, env.name));
      const summary = summaryBeforeWrite(outdir, env.name, files, current);
      const bootstrapSummary = summaryBeforeWrite(bootstrapDir, env.name, bootstrap, undefined);
      writeEnvironment(outdir, env.name, files, current);
      process.stdout.write(`${path.join(outdir, env.name)}/: ${[...files.keys()].join(', ')}\n`);
      if (bootstrap.size) {
        writeEnvironment(bootstrapDir, env.name, bootstrap);
        process.stdout.write(`${path.join(bootstrapDir, env.name)}/: ${[...bootstrap.keys()].join(', ')}\n`);
      } else removeEnvironment(bootstrapDir, env.name);
      // After writing, so whoever commits sees it next to what was written.
      process.stdout.write(summary + bootstrapSummary);
    }
  } finally {
    release();
  }
}
