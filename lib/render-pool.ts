/**
 * Loads and renders environment files, on every core when there are enough of them.
 *
 * Rendering is pure and each environment is independent, so with very many environments synth renders them in
 * worker threads beside the main thread. A worker pays for loading the program and for rendering its first
 * environments with cold code (V8's code cache holds bytecode, not the optimised code a thread builds as it
 * runs): about 400 ms on one core, in which the main thread renders some twenty environments. Measured on two
 * cores, a worker made 20 environments slower (1.03 s against 0.81 s) and 40 or 80 no faster, so workers start
 * only from MIN_PARALLEL files per worker, one per spare core. Results come back in the order of the files,
 * whatever thread rendered them, so the output and the messages are the same either way (a test holds the two
 * paths equal).
 */
import { availableParallelism } from 'node:os';
import { MessagePort, Worker } from 'node:worker_threads';
import { ConfigError, loadConfig } from './config/load';
import { Environment } from './config/schema';
import { renderEnvironment, RenderedEnvironment, RenderRefused } from './stack';
import { withTeamDashboards } from './grafana/team-dashboards';

/**
 * Files per worker: fewer render on the main thread alone (see above). `SYNTH_MIN_PARALLEL` lowers it for the
 * tests that run the command with workers on a few files.
 */
export const MIN_PARALLEL = Number(process.env.SYNTH_MIN_PARALLEL) || 40;

export type RenderResult =
  | { readonly file: string; readonly env: Environment; readonly files: RenderedEnvironment }
  | { readonly file: string; readonly problems: string[]; readonly more: number };

/** One file: its environment and rendered files, or the problems that stop it (anything else is a bug and throws). */
/** `dashboards`: the team dashboards folder (lib/grafana/team-dashboards.ts); none read without it. */
export function renderFile(file: string, check: (env: Environment, file: string) => void = () => {}, dashboards?: string): RenderResult {
  try {
    const loaded = loadConfig(file);
    check(loaded, file);
    const env = dashboards === undefined ? loaded : withTeamDashboards(loaded, dashboards);
    return { file, env, files: renderChecked(env, file) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { file, problems: e.problems, more: e.more };
  }
}

/** The rendered files, or a refusal by key path when an object would be refused by the API server. */
function renderChecked(env: Environment, file: string): RenderedEnvironment {
  try {
    return renderEnvironment(env);
  } catch (e) {
    if (!(e instanceof RenderRefused)) throw e;
    throw new ConfigError(e.problems.map((p) => `${file}: ${p.keyPath}: ${p.message}`));
  }
}

interface Job {
  readonly index: number;
  readonly file: string;
  readonly dashboards?: string;
}
type Reply = { readonly ready: true } | { readonly index: number; readonly result: RenderResult } | { readonly index: number; readonly crash: string };

/**
 * Renders `files` in order. `workerEntry` is a script that calls serveRenders() in a worker (bin/synth-worker.js
 * with the bundled program); without one (tests run the TypeScript in process), everything renders here.
 */
export async function renderFiles(
  files: readonly string[],
  opts: {
    workerEntry?: string;
    bundle?: string;
    check?: (env: Environment, file: string) => void;
    dashboards?: string;
    renderedBy?: (index: number, thread: 'main' | 'worker') => void;
    mainRenders?: boolean;
    minParallel?: number;
  } = {},
): Promise<RenderResult[]> {
  // mainRenders: false leaves every file to the workers, and minParallel lowers the threshold (the tests use them
  // to see the workers' results on a few files, whatever the timing).
  const { workerEntry, bundle, check, dashboards, renderedBy = () => {}, mainRenders = true, minParallel = MIN_PARALLEL } = opts;
  const spare = Math.min(availableParallelism() - 1, Math.floor(files.length / minParallel));
  if (!workerEntry || !bundle || spare < 1) return files.map((f, i) => (renderedBy(i, 'main'), renderFile(f, check, dashboards)));

  const results: RenderResult[] = new Array(files.length);
  const queue: Job[] = files.map((file, index) => ({ index, file, dashboards }));
  const workers = Array.from({ length: spare }, () => new Worker(workerEntry, { workerData: { bundle } }));
  const busy = new Set<Worker>();
  let alive = workers.length;
  let crash: string | undefined;
  let wake: () => void = () => {};
  const next = (w: Worker) => {
    const job = queue.shift();
    if (job) {
      busy.add(w);
      w.postMessage(job);
    }
  };
  for (const w of workers) {
    w.on('message', (reply: Reply) => {
      if ('index' in reply) {
        busy.delete(w);
        if ('crash' in reply) crash ??= reply.crash;
        else {
          results[reply.index] = reply.result;
          renderedBy(reply.index, 'worker');
        }
      }
      if (!crash) next(w);
      wake();
    });
    w.on('error', (e) => {
      crash ??= String(e?.stack ?? e);
      wake();
    });
    w.on('exit', (code) => {
      if (busy.has(w)) crash ??= `a worker exited with code ${code} while rendering`;
      if (--alive === 0 && queue.length > 0) crash ??= `every worker exited (the last with code ${code}) with files left to render`;
      wake();
    });
  }
  try {
    // The main thread renders too; between two files it lets the workers' messages in. Workers still
    // starting when the queue runs dry are simply stopped.
    for (let job = mainRenders ? queue.shift() : undefined; job && !crash; job = queue.shift()) {
      results[job.index] = renderFile(job.file, check, job.dashboards);
      renderedBy(job.index, 'main');
      await new Promise<void>((r) => setImmediate(r));
    }
    while ((busy.size > 0 || queue.length > 0) && !crash) await new Promise<void>((r) => (wake = r));
    if (crash) throw new Error(`rendering in a worker thread failed: ${crash}`);
    return results;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The worker's side: renders the files the main thread sends, one at a time, and says when it is ready. */
export function serveRenders(port: MessagePort, check?: (env: Environment, file: string) => void): void {
  port.on('message', (job: Job) => {
    try {
      port.postMessage({ index: job.index, result: renderFile(job.file, check, job.dashboards) });
    } catch (e) {
      port.postMessage({ index: job.index, crash: String((e as Error)?.stack ?? e) });
    }
  });
  port.postMessage({ ready: true });
}
