/**
 * `npm run diff` and synth's after-write summary: read the objects of an environment folder (on disk, or in
 * git at a ref), classify what the new rendering changes (lib/diff/classify.ts) and tell it per object and field.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import { fsReason, OutputError } from '../write';
import { classify } from './classify';
import { ChangeClass, CLASS_NAMES, Classification, K8sObject } from './types';

/** Objects of an environment's files (kustomization.yaml is kustomize's, not the cluster's). */
export function parseObjects(files: Map<string, string>): K8sObject[] {
  const out: K8sObject[] = [];
  for (const [file, text] of files) {
    if (file === 'kustomization.yaml' || !file.endsWith('.yaml')) continue;
    // Synth never writes YAML aliases (lib/serialize.ts, noRefs), so any alias is refused: a file in a branch or on
    // disk that expands a "billion laughs" cannot hang the comparison.
    for (const doc of loadAll(text, { maxAliases: 0 }) as K8sObject[]) if (doc && typeof doc === 'object' && doc.kind && doc.metadata) out.push(doc);
  }
  return out;
}

function onDisk(dir: string): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  try {
    return new Map(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  } catch (e) {
    throw new OutputError(`cannot read ${dir}/ to compare (${fsReason(e)})`);
  }
}

/** git, run in `cwd`: the repository is the one that holds the output folder. */
function git(cwd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: (r.stderr ?? String(r.error ?? '')).trim().split('\n')[0] };
}

/** The output folder's repository: git runs there (the folder itself, or its nearest existing parent). */
function repoDir(outdir: string): string {
  let dir = path.resolve(outdir);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/**
 * A git ref as the user gave it, resolved once to a commit of the repository holding `outdir`; everything after
 * reads that commit.
 */
export function resolveRef(ref: string, outdir: string): string {
  // A ref that starts with "-" would be read as an option by git.
  if (ref.startsWith('-') || /[\0\s]/.test(ref)) throw new OutputError(`--against ${JSON.stringify(ref.slice(0, 80))} is not a git ref`);
  const r = git(repoDir(outdir), ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!r.ok) throw new OutputError(`--against ${JSON.stringify(ref.slice(0, 80))}: no such commit, branch or tag in the repository of ${outdir}/`);
  return r.out.trim();
}

/** The files of `dir` as committed at `commit`, read into memory (no checkout, nothing written). */
function atCommit(commit: string, dir: string): Map<string, string> {
  const cwd = repoDir(dir);
  // Where `cwd` sits in the repository (git's own answer, so symlinks in the path do not matter), then the rest.
  const prefix = git(cwd, ['rev-parse', '--show-prefix']);
  if (!prefix.ok) throw new OutputError(`--against needs ${dir}/ inside a git repository (${prefix.err})`);
  const rel = path.posix.normalize(`${prefix.out.trim()}${path.relative(cwd, path.resolve(dir)).split(path.sep).join('/')}`).replace(/\/$/, '');
  if (rel.startsWith('..') || rel === '.') throw new OutputError(`--against compares folders inside the repository; ${dir}/ is outside it`);
  const list = git(cwd, ['ls-tree', '-z', '--name-only', '--full-tree', commit, '--', `${rel}/`]);
  if (!list.ok) throw new OutputError(`cannot list ${rel}/ at ${commit.slice(0, 12)} (${list.err})`);
  // Synth's own file names only (`<chart>.k8s.yaml`): a name with a newline would break the batch protocol below.
  const entries = list.out.split('\0').filter((e) => e.endsWith('.yaml') && !e.slice(rel.length + 1).includes('/') && !e.includes('\n'));
  const files = new Map<string, string>();
  if (!entries.length) return files;
  // One git process for every file: `cat-file --batch` answers "<sha> blob <size>\n<content>\n" per object name.
  // Bytes, not text: the sizes git gives are byte counts.
  const batch = spawnSync('git', ['cat-file', '--batch'], { cwd, input: entries.map((e) => `${commit}:${e}\n`).join(''), maxBuffer: 256 * 1024 * 1024 });
  if (batch.status !== 0) throw new OutputError(`cannot read ${rel}/ at ${commit.slice(0, 12)} (${String(batch.stderr ?? batch.error ?? '').trim().split('\n')[0]})`);
  const buf = batch.stdout;
  let at = 0;
  for (const entry of entries) {
    const eol = buf.indexOf(0x0a, at);
    const header = buf.subarray(at, eol).toString('utf8').split(' ');
    if (header[1] !== 'blob') throw new OutputError(`cannot read ${entry} at ${commit.slice(0, 12)} (${header.join(' ')})`);
    const size = Number(header[2]);
    files.set(entry.slice(rel.length + 1), buf.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + size + 1;
  }
  return files;
}

/** The files of `dir` (on disk, or at a resolved commit). */
function filesIn(dir: string, commit?: string): Map<string, string> {
  return commit ? atCommit(commit, dir) : onDisk(dir);
}

/** Parsed objects, with a one-sentence error for unparsable YAML. */
function objectsOf(files: Map<string, string>, dir: string, commit?: string): K8sObject[] {
  try {
    return parseObjects(files);
  } catch (e) {
    throw new OutputError(`cannot compare with ${dir}/${commit ? ` at ${commit.slice(0, 12)}` : ''}: it holds a file that is not valid YAML (${String((e as Error).message).split('\n')[0].slice(0, 120)})`);
  }
}

const MAX_PATHS = 25;

/** The summary `npm run diff` prints for one folder (and synth after writing class 2 or 3). */
export function formatClassification(label: string, c: Classification): string {
  if (!c.changes.length) return `${label}: no change\n`;
  const lines = [`${label}: ${c.changes.length} object${c.changes.length > 1 ? 's' : ''} would change; highest class ${c.highest} (${CLASS_NAMES[c.highest]})`];
  const mark = { added: '+', removed: '-', changed: '~' } as const;
  for (const ch of c.changes) {
    lines.push(`  ${mark[ch.op]} ${ch.object}  [${CLASS_NAMES[ch.class]}]`);
    for (const p of ch.paths.slice(0, MAX_PATHS)) lines.push(`      ${p}`);
    if (ch.paths.length > MAX_PATHS) lines.push(`      … and ${ch.paths.length - MAX_PATHS} more`);
    for (const f of c.findings.filter((x) => x.object === ch.object)) {
      lines.push(`    ${CLASS_NAMES[f.class]}: ${f.path}`, `      why: ${f.reason}`, `      procedure:`);
      f.procedure.forEach((step, i) => lines.push(`        ${i + 1}. ${step}`));
    }
  }
  // Findings about objects that are not in the change list (none today) are still shown.
  for (const f of c.findings.filter((x) => !c.changes.some((ch) => ch.object === x.object))) {
    lines.push(`  ! ${f.object}  [${CLASS_NAMES[f.class]}]`, `    ${CLASS_NAMES[f.class]}: ${f.path}`, `      why: ${f.reason}`, `      procedure:`);
    f.procedure.forEach((step, i) => lines.push(`        ${i + 1}. ${step}`));
  }
  return `${lines.join('\n')}\n`;
}

export interface EnvironmentDiff {
  readonly text: string;
  readonly highest: ChangeClass;
}

/**
 * What replacing `<outdir>/<env>/` with `rendered` changes: compared with the folder on disk, or with the
 * folder as committed at `commit` (`--against`). Empty text when both sides are empty. `opts.old`: the folder's
 * YAML files as already read (synth reads the folder once before writing it).
 */
export function diffEnvironment(outdir: string, envName: string, rendered: Map<string, string>, opts: { commit?: string; today?: Date; old?: Map<string, string> } = {}): EnvironmentDiff {
  const dir = path.join(outdir, envName);
  const old = opts.old ?? filesIn(dir, opts.commit);
  // Only files whose text differs can hold a change, and every rule reads objects that change together (an engine's
  // config and its workloads are one file; a namespace move changes every file), so the rest is not parsed: synth
  // runs this on every write.
  const differs = (f: string) => old.get(f) !== rendered.get(f);
  const pick = (files: Map<string, string>) => new Map([...files].filter(([f]) => differs(f)));
  const before = objectsOf(pick(old), dir, opts.commit);
  const after = parseObjects(pick(rendered));
  if (!old.size && !rendered.size) return { text: '', highest: ChangeClass.None };
  let c: Classification;
  try {
    c = classify(before, after, { today: opts.today ?? new Date() });
  } catch (e) {
    // Objects nested deeper than the walk's stack: not what synth writes.
    if (e instanceof RangeError) throw new OutputError(`cannot compare with ${dir}/: it holds objects nested too deeply to compare (not written by synth)`);
    throw e;
  }
  return { text: formatClassification(`${dir}/${opts.commit ? ` (against ${opts.commit.slice(0, 12)})` : ''}`, c), highest: c.highest };
}
