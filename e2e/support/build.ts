// Programs the end-to-end suite builds from Go modules, cached by the hash of everything that decides the
// build (Go version, the wrapper module's files, flags). A second run rebuilds nothing; an image bump in
// lib/images.ts changes the inputs and so the key. Concurrent runs wait on one lock per program and see only
// finished builds (each is built in a temporary folder and renamed into place).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where built programs live: `$E2E_CACHE`, else the user's cache folder (kept between clones and runs). */
export const CACHE_ROOT = process.env.E2E_CACHE
  ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'grafana-stack-e2e');

/** The repository's e2e folder; wrapper modules live in e2e/programs/<name>/. */
export const E2E_DIR = path.resolve(__dirname, '..');

export class BuildError extends Error {
  constructor(readonly program: string, readonly step: string, readonly log: string) {
    super(`e2e: building ${program} failed at step "${step}"\n${tail(log, 60)}`);
  }
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

let goVersionCache: string | undefined;
export function goVersion(): string {
  goVersionCache ??= execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  return goVersionCache;
}

/**
 * The environment every build runs with: the local toolchain, no cgo, the proxy from the user's settings.
 * Wrapper modules build read-only against their committed go.sum (Go's default for `go build`): a missing
 * entry fails the build instead of editing the checkout.
 */
export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', ...extra };
}

/** Runs one build step; a failure throws a BuildError naming the step and carrying the command's own log. */
export function step(program: string, name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? goEnv(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const log = `$ ${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  if (r.status !== 0) throw new BuildError(program, name, log);
  return log;
}

/** Hash of a wrapper module's files (go.mod, go.sum, *.go, templates), in a stable order. */
export function hashDir(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else { h.update(path.relative(dir, p)); h.update('\0'); h.update(fs.readFileSync(p)); h.update('\0'); }
    }
  };
  walk(dir);
  return h.digest('hex');
}

/**
 * Returns the folder holding `program`'s build for these inputs, building it first when absent.
 * `build(outDir)` writes the program's files into outDir (a fresh temporary folder).
 */
export function ensureBuilt(program: string, inputs: readonly string[], build: (outDir: string) => void): string {
  const key = createHash('sha256').update([goVersion(), process.platform, process.arch, ...inputs].join('\0')).digest('hex').slice(0, 16);
  const dir = path.join(CACHE_ROOT, 'bin', `${program}-${key}`);
  if (fs.existsSync(dir)) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const release = lock(path.join(CACHE_ROOT, 'locks', program));
  try {
    if (fs.existsSync(dir)) return dir;
    const tmp = fs.mkdtempSync(path.join(path.dirname(dir), `.${program}-`));
    try {
      build(tmp);
      fs.renameSync(tmp, dir);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return dir;
  } finally {
    release();
  }
}

/** A lock folder held by this process; a lock whose holder is gone is taken over. Waits up to two hours. */
function lock(p: string): () => void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  const deadline = Date.now() + 2 * 60 * 60 * 1000;
  for (;;) {
    try {
      fs.mkdirSync(p);
      fs.writeFileSync(path.join(p, 'pid'), String(process.pid));
      return () => fs.rmSync(p, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readOr(path.join(p, 'pid'), '0'));
      if (holder && !alive(holder)) { fs.rmSync(p, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`e2e: timed out waiting for the build lock ${p} (held by pid ${holder})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    }
  }
}

function readOr(p: string, fallback: string): string {
  try { return fs.readFileSync(p, 'utf8'); } catch { return fallback; }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** `go install <pkg>@<version>` into a cached folder; returns the binary's path. */
export function goInstall(program: string, pkg: string, version: string, opts: { ldflags?: string; tags?: string } = {}): string {
  const bin = path.basename(pkg);
  const dir = ensureBuilt(program, [pkg, version, opts.ldflags ?? '', opts.tags ?? ''], (out) => {
    const args = ['install', '-trimpath', '-pgo=off'];
    if (opts.tags) args.push('-tags', opts.tags);
    if (opts.ldflags) args.push('-ldflags', opts.ldflags);
    step(program, `go install ${pkg}@${version}`, 'go', [...args, `${pkg}@${version}`], { env: goEnv({ GOBIN: out, GOFLAGS: '' }) });
  });
  return path.join(dir, bin);
}

/**
 * Builds packages of a wrapper module kept in the repository (e2e/programs/<name>: go.mod, go.sum, maybe a
 * main.go) into a cached folder; returns that folder. The module's files are part of the cache key.
 */
export function goBuildWrapper(program: string, pkgs: readonly string[], opts: { ldflags?: string; tags?: string } = {}): string {
  const moduleDir = path.join(E2E_DIR, 'programs', program);
  return ensureBuilt(program, [hashDir(moduleDir), ...pkgs, opts.ldflags ?? '', opts.tags ?? ''], (out) => {
    const args = ['build', '-trimpath', '-pgo=off', '-o', out + path.sep];
    if (opts.tags) args.push('-tags', opts.tags);
    if (opts.ldflags) args.push('-ldflags', opts.ldflags);
    step(program, `go build ${pkgs.join(' ')}`, 'go', [...args, ...pkgs], { cwd: moduleDir });
  });
}
