/**
 * How synth changes an output folder, so that it never destroys what it did not write and survives being
 * killed at any instant.
 *
 * Ownership. Every environment folder synth writes (`<outdir>/<env>/`, `<outdir>/bootstrap/<env>/`) carries
 * a marker file, `OWNER_MARKER`. Synth replaces or deletes only a folder that carries it, is empty, or (for
 * output written before markers existed) holds nothing but `*.k8s.yaml` files and synth's own
 * kustomization.yaml listing exactly them.
 * Anything else (a user's notes, the project's own `lib/`, a file, a symlink) is refused before anything
 * is changed: `ownershipProblem()` is asked for every target first.
 *
 * Concurrency. One synth at a time per outdir: `<outdir>/.synth.lock` is created with O_EXCL and holds the
 * pid. A lock whose pid is no longer running was left by a killed synth and is taken over. (Two synths that
 * find the same stale lock within the same few microseconds could both take it over; that needs a killed synth
 * and two new ones racing, and costs at worst what running them one after the other would.) A reused pid
 * makes a stale lock look alive: the message says which file to delete then.
 *
 * Replacing `<env>/` (P = this process's pid), while holding the lock:
 *   1. write the marker, then every file, into `.<env>.new-P/`     (`<env>/` untouched)
 *   2. rename `<env>/` → `.<env>.old-P/`                             (only if it exists)
 *   3. rename `.<env>.new-P/` → `<env>/`
 *   4. delete `.<env>.old-P/`, its marker last (a folder cut short by a kill is still recognised as ours)
 * Each rename is atomic. Between 2 and 3 (two consecutive system calls, no I/O of file contents) `<env>/`
 * is briefly absent while the complete old folder sits at `.<env>.old-P/`. Node has no renameat2
 * (RENAME_EXCHANGE), the one call that swaps two folders atomically, and a symlink-flip would make
 * `dist/<env>` a symlink in git; so that window is closed by recovery instead: every run, after taking the
 * lock (so no other synth is live), first repairs leftovers of any earlier run in the outdir:
 *   - `<env>/` missing and `.<env>.old-N/` present (killed between 2 and 3): the old folder is put back;
 *   - every other `.<env>.new-N/` (killed in 1 or after 2-3 went through) and `.<env>.old-N/` (killed in 4)
 *     is deleted.
 * So after a kill at any point the outdir holds the complete old or the complete new `<env>/` (or, for one
 * rename's duration, the complete old one under its temporary name), and the next run restores and tidies.
 */
import { closeSync, Dirent, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { RenderedEnvironment } from './stack';

/** The file that marks a folder as synth's own. A dotfile: kustomize, Argo CD and Flux read kustomization.yaml. */
export const OWNER_MARKER = '.synth-output';
const MARKER_TEXT = '# Written by `npm run synth` (grafana-stack-cdk8s). synth replaces this folder on every run; do not edit or add files here.\n';
export const LOCK_FILE = '.synth.lock';
const LEGACY_FILE = /^(kustomization\.yaml|[a-z0-9-]+\.k8s\.yaml)$/;
const LEFTOVER = /^\.(.+)\.(new|old)-(\d+)$/;

/** A file-system or ownership problem, told as one sentence (main prints it with exit 1). */
export class OutputError extends Error {}

/**
 * Test hook, so tests can SIGKILL at every point of the protocol: with `SYNTH_STEP_DELAY_MS` each step is
 * named on stderr (`synth-step: <n> <name>`) and followed by that pause; with `SYNTH_STEP_PAUSE_AT` (a step
 * number or name) steps are named and only that one pauses, for a minute.
 */
const STEP_DELAY = Number(process.env.SYNTH_STEP_DELAY_MS ?? 0);
const PAUSE_AT = process.env.SYNTH_STEP_PAUSE_AT ?? '';
let stepCount = 0;
function step(name: string): void {
  if (!STEP_DELAY && !PAUSE_AT) return;
  stepCount++;
  process.stderr.write(`synth-step: ${stepCount} ${name}\n`);
  const ms = PAUSE_AT ? (PAUSE_AT === String(stepCount) || PAUSE_AT === name ? 60_000 : 0) : STEP_DELAY;
  if (ms) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Why synth must not replace or delete `<dir>/<name>/`, or undefined when it may. */
export function ownershipProblem(dir: string, name: string): string | undefined {
  const target = path.join(dir, name);
  let st;
  try {
    st = lstatSync(target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') return `${dir} is a file, not a folder; give --outdir a folder`;
    return `${target}: cannot be inspected (${fsReason(e)})`;
  }
  if (st.isSymbolicLink()) return `${target} is a symbolic link, not a folder synth wrote; synth leaves it alone (remove it or choose another --outdir)`;
  if (!st.isDirectory()) return `${target} is a file, not a folder synth wrote; synth leaves it alone (remove it or choose another --outdir)`;
  const entries = readdirSync(target, { withFileTypes: true });
  if (entries.some((e) => e.name === OWNER_MARKER && e.isFile())) return undefined;
  if (entries.length === 0) return undefined;
  if (isLegacyOutput(target, entries)) return undefined;
  const foreign = entries.find((e) => !(e.isFile() && LEGACY_FILE.test(e.name))) ?? entries[0];
  return `${target}/ was not written by synth (no ${OWNER_MARKER} marker; it holds ${JSON.stringify(foreign.name)}); synth will not replace or delete it: move it away or choose another --outdir`;
}

/**
 * Output of synth before markers existed: nothing but `*.k8s.yaml` files and the kustomization.yaml synth
 * writes, listing exactly those files. A hand-made kustomize folder that merely looks similar is not taken.
 */
function isLegacyOutput(dir: string, entries: Dirent[]): boolean {
  if (!entries.every((e) => e.isFile() && LEGACY_FILE.test(e.name))) return false;
  const file = path.join(dir, 'kustomization.yaml');
  try {
    if (statSync(file).size > 64 * 1024) return false;
    const k = load(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
    if (!k || typeof k !== 'object' || Object.keys(k).sort().join() !== 'apiVersion,kind,resources') return false;
    if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization' || !Array.isArray(k.resources)) return false;
    const listed = [...k.resources].map(String).sort();
    const present = entries.map((e) => e.name).filter((n) => n !== 'kustomization.yaml').sort();
    return listed.join('\n') === present.join('\n');
  } catch {
    return false;
  }
}

/** Takes `<outdir>/.synth.lock` (creating outdir), or refuses when a live synth holds it. Returns the release function. */
export function lockOutdir(outdir: string): () => void {
  ensureDir(outdir);
  const lock = path.join(outdir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutputError(`cannot write to ${outdir} (${fsReason(e)})`);
      let holder = NaN;
      try {
        holder = Number(readFileSync(lock, 'utf8').trim());
      } catch {
        continue; // released meanwhile
      }
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new OutputError(`another synth is running (pid ${holder}) on ${outdir}; wait for it to finish (or, if no synth runs, delete ${lock})`);
      }
      rmSync(lock, { force: true }); // left by a synth that was killed (or half-written: the pid is written right after creation)
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return () => rmSync(lock, { force: true });
  }
  throw new OutputError(`cannot take ${lock}: other synths keep taking it`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Repairs what killed runs left in `dir` (see the protocol above). Call with the outdir's lock held. */
/**
 * Deletes a folder synth owns with its marker last, so a kill in the middle leaves a folder that is still
 * recognised as ours (marked, or empty) and removed by the next run, never one that looks like someone else's.
 */
function removeOwnedFolder(folder: string, emptied: () => void = () => {}): void {
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) if (name !== OWNER_MARKER) rmSync(path.join(folder, name), { recursive: true, force: true });
  emptied();
  rmSync(folder, { recursive: true, force: true });
}

export function recoverLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const leftovers = names.map((n) => LEFTOVER.exec(n)).filter((m): m is RegExpExecArray => m !== null);
  for (const [name, env, kind] of leftovers) {
    // A folder merely named like a leftover but holding someone else's files is left alone.
    if (ownershipProblem(dir, name)) continue;
    if (kind === 'old' && !existsSync(path.join(dir, env))) renameSync(path.join(dir, name), path.join(dir, env));
    else removeOwnedFolder(path.join(dir, name));
  }
}

/**
 * Replaces `<outdir>/<env>/` by the rendered files (protocol above). Caller holds the lock and checked ownership.
 * `current`: the folder as readFolder() read it earlier under the same lock (synth reads it once to classify the
 * change and to see whether anything is to be written).
 */
export function writeEnvironment(outdir: string, envName: string, files: RenderedEnvironment, current?: FolderContents): void {
  ensureDir(outdir);
  recoverLeftovers(outdir);
  const target = path.join(outdir, envName);
  const staging = path.join(outdir, `.${envName}.new-${process.pid}`);
  const previous = path.join(outdir, `.${envName}.old-${process.pid}`);
  const problem = ownershipProblem(outdir, envName);
  if (problem) throw new OutputError(problem);
  if (holdsExactly(current ?? readFolder(target), files)) return;
  try {
    mkdirSync(staging);
    // The marker goes first: a staging folder cut short by a kill is still recognised as ours and removed.
    writeFileSync(path.join(staging, OWNER_MARKER), MARKER_TEXT);
    for (const [name, text] of files) {
      writeFileSync(path.join(staging, name), text);
      step(`wrote ${name}`);
    }
    step('staged');
    const existed = existsSync(target);
    if (existed) {
      renameSync(target, previous);
      step('moved old aside');
    }
    renameSync(staging, target);
    step('moved new in');
    removeOwnedFolder(previous, () => existed && step('emptied old'));
    step('removed old');
  } catch (e) {
    if (!existsSync(target) && existsSync(previous)) renameSync(previous, target);
    removeOwnedFolder(staging);
    throw e instanceof OutputError ? e : new OutputError(`cannot write ${target}/ (${fsReason(e)}); its previous content is unchanged`);
  }
}

/** A folder's regular files, read once: bytes by name, and whether it holds nothing else that could not be read. */
export interface FolderContents {
  readonly files: ReadonlyMap<string, Buffer>;
  readonly onlyFiles: boolean;
}

/** The folder's files, or undefined when it cannot be listed (missing, not a folder, unreadable). */
export function readFolder(folder: string): FolderContents | undefined {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const files = new Map<string, Buffer>();
  let onlyFiles = true;
  for (const e of entries) {
    try {
      if (e.isFile()) files.set(e.name, readFileSync(path.join(folder, e.name)));
      else onlyFiles = false;
    } catch {
      onlyFiles = false;
    }
  }
  return { files, onlyFiles };
}

/**
 * Whether the folder already holds exactly what writing `files` would leave there: the marker and those files, byte
 * for byte, and nothing else. Then it is left as it is: nothing to do, and no file's modification time changes
 * for editors, watchers or a GitOps agent to notice (most runs of synth over many environments change one).
 */
function holdsExactly(contents: FolderContents | undefined, files: RenderedEnvironment): boolean {
  if (!contents?.onlyFiles || contents.files.size !== files.size + 1) return false;
  for (const [name, bytes] of contents.files) {
    const expected = name === OWNER_MARKER ? MARKER_TEXT : files.get(name);
    if (expected === undefined || !bytes.equals(Buffer.from(expected))) return false;
  }
  return true;
}

/** Removes `<outdir>/<env>/` (and `<outdir>` when it is left empty): output that config no longer asks for. */
export function removeEnvironment(outdir: string, envName: string): void {
  recoverLeftovers(outdir);
  const target = path.join(outdir, envName);
  if (!existsSync(target)) return;
  const problem = ownershipProblem(outdir, envName);
  if (problem) throw new OutputError(problem);
  try {
    // Move aside first so a kill mid-delete leaves a leftover the next run removes, never a half folder.
    const doomed = path.join(outdir, `.${envName}.new-${process.pid}`);
    renameSync(target, doomed);
    removeOwnedFolder(doomed);
    if (readdirSync(outdir).length === 0) rmSync(outdir, { recursive: true, force: true });
  } catch (e) {
    throw new OutputError(`cannot remove ${target}/ (${fsReason(e)})`);
  }
}

function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new OutputError(`${dir} is a file (or under one), not a folder; give --outdir a folder`);
    throw new OutputError(`cannot create ${dir} (${fsReason(e)})`);
  }
}

/** A file-system error in words, without Node's stack or syscall noise. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: 'a path component is a file, not a folder',
    EISDIR: 'it is a folder',
    EEXIST: 'it already exists',
    ENOENT: 'it does not exist',
    ENAMETOOLONG: 'the path is too long',
    EMFILE: 'too many open files',
    EIO: 'input/output error',
    ENOTEMPTY: 'the folder is not empty',
    ELOOP: 'too many symbolic links',
  };
  return code ? `${words[code] ?? code}` : String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200);
}
