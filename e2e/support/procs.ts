// Processes, ports and folders a scenario starts or makes, tracked so that every run cleans up after itself,
// on failure too: `const run = new Run('name')`, then `afterAll(() => run.stop())`.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const live = new Set<ChildProcess>();
// A Jest worker that is killed or exits early still takes its programs with it.
process.on('exit', () => { for (const c of live) killGroup(c, 'SIGKILL'); });
// A run stopped from outside (Ctrl-C, CI's timeout) takes its programs with it too: 'exit' alone is not
// emitted on a signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => { for (const c of live) killGroup(c, 'SIGKILL'); process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)); });
}

function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try { process.kill(-c.pid, signal); } catch { /* already gone */ }
}

export interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** The program's own output so far (stdout and stderr). */
  log(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

export class Run {
  /** A fresh folder for this run, removed by stop(). */
  readonly dir: string;
  private readonly procs: Started[] = [];

  constructor(name: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `gse2e-${name}-`));
  }

  /** A folder inside the run folder. */
  mkdir(...parts: string[]): string {
    const p = path.join(this.dir, ...parts);
    fs.mkdirSync(p, { recursive: true });
    return p;
  }

  /** Starts a program in its own process group, its output going to <run>/logs/<name>.log. */
  start(name: string, cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Started {
    const logFile = path.join(this.mkdir('logs'), `${name}.log`);
    const fd = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, { cwd: opts.cwd ?? this.dir, env: opts.env ?? process.env, stdio: ['ignore', fd, fd], detached: true });
    fs.closeSync(fd);
    live.add(child);
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => { live.delete(child); resolve(code); });
      child.once('error', () => { live.delete(child); resolve(null); });
    });
    const started: Started = { name, child, logFile, exited, log: () => readOr(logFile) };
    this.procs.push(started);
    return started;
  }

  /** Stops every program (SIGTERM, then SIGKILL after a grace period) and removes the run folder. */
  async stop(graceMs = 5000): Promise<void> {
    const running = this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of running.reverse()) killGroup(p.child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(running.map((p) => p.exited)), new Promise((r) => { timer = setTimeout(r, graceMs); })]);
    clearTimeout(timer);
    for (const p of running) killGroup(p.child, 'SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    if (!process.env.E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function readOr(p: string): string {
  try { return fs.readFileSync(p, 'utf8'); } catch { return ''; }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port the kernel hands out as free on 127.0.0.1 (so two runs never pick the same one). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs` naming `what`
 * and showing the logs of the programs given (a program that exits meanwhile fails at once).
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, opts: { timeoutMs?: number; intervalMs?: number; watch?: readonly Started[] } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) { lastError = e; }
    const dead = (opts.watch ?? []).find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) throw new Error(`e2e: ${dead.name} exited while waiting for ${what}\n${tailLog(dead)}`);
    if (Date.now() > deadline) {
      const logs = (opts.watch ?? []).map(tailLog).join('\n');
      throw new Error(`e2e: timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}\n${logs}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

function tailLog(p: Started): string {
  return `--- ${p.name} (${p.logFile}) ---\n${p.log().split('\n').slice(-40).join('\n')}`;
}
