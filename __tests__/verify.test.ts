/**
 * `npm run verify`: its checks run against local HTTP servers standing in for Loki, Tempo, the traces gateway
 * and Grafana (started here; no cluster, no kubectl), its argument handling, and `--help` through the real
 * launcher. The fake gateway hands what it receives to the fake Tempo only if the keep-slow policy would keep
 * it, so the trace step passes only when the verifier's span is long enough for the sampler.
 */
import { spawnSync } from 'node:child_process';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { parser as logql } from '@grafana/lezer-logql';
import { env, FIXTURES_DIR, ROOT } from './helpers';
import { formatResult, HINTS, logQuery, StepResult, verify, VerifyTargets } from '../lib/verify/checks';
import { main, parseArgs, parseForwardedPort, UsageError } from '../lib/verify/cli';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tempDir } from './helpers';
import { durationMs } from '../lib/config/primitives';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => handler(req, body, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const send = (res: ServerResponse, status: number, body: unknown = '') => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

interface Stack {
  lokiReady: boolean;
  /** Spans shorter than this are dropped by the fake sampler (keep-slow). */
  keepSlowMs: number;
  unhealthy: Set<string>;
  lines: string[];
  pushHeaders: Record<string, string | string[] | undefined>[];
}

/** Fake Loki, Tempo, gateway (with the keep-slow decision) and Grafana, as local HTTP servers. */
async function fakeStack(s: Stack): Promise<Omit<VerifyTargets, 'keepSlowMs' | 'traceTimeoutMs' | 'logTimeoutMs' | 'pollMs' | 'datasourceUids'>> {
  const traces = new Map<string, unknown>();
  const loki = await serve((req, body, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/ready') return send(res, s.lokiReady ? 200 : 503, s.lokiReady ? 'ready' : 'Ingester not ready: waiting for WAL replay');
    if (url.pathname === '/loki/api/v1/push') {
      s.pushHeaders.push(req.headers);
      for (const stream of JSON.parse(body).streams) for (const [, line] of stream.values) s.lines.push(`${JSON.stringify(stream.stream)} ${line}`);
      return send(res, 204);
    }
    if (url.pathname === '/loki/api/v1/query_range') {
      const query = url.searchParams.get('query')!;
      const needle = JSON.parse(/\|= (".*")$/.exec(query)![1]);
      const hits = s.lines.filter((l) => l.includes(needle) && l.includes('"job":"stack-verify"'));
      return send(res, 200, { status: 'success', data: { resultType: 'streams', result: hits.length ? [{ stream: { job: 'stack-verify' }, values: hits.map((h) => ['0', h]) }] : [] } });
    }
    send(res, 404, 'not found');
  });
  const tempo = await serve((req, _body, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/ready') return send(res, 200, 'ready');
    const m = /^\/api\/traces\/([0-9a-f]{32})$/.exec(url.pathname);
    if (m) return traces.has(m[1]) ? send(res, 200, traces.get(m[1])) : send(res, 404, 'trace not found');
    send(res, 404, 'not found');
  });
  const gateway = await serve((req, body, res) => {
    if (req.url !== '/v1/traces' || req.method !== 'POST') return send(res, 404, 'not found');
    const doc = JSON.parse(body);
    for (const rs of doc.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          const ms = Number((BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1_000_000n);
          if (ms >= s.keepSlowMs) traces.set(span.traceId, { batches: [rs] });
        }
      }
    }
    send(res, 200, {});
  });
  const grafana = await serve((req, _body, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('admin:s3cret').toString('base64')}`) return send(res, 401, { message: 'Unauthorized' });
    const m = /^\/api\/datasources\/uid\/(\w+)\/health$/.exec(req.url!);
    if (!m) return send(res, 404, 'not found');
    if (s.unhealthy.has(m[1])) return send(res, 400, { status: 'ERROR', message: 'connection refused' });
    send(res, 200, { status: 'OK', message: 'Data source is working' });
  });
  return { loki: { url: loki }, tempo: { url: tempo }, gateway: { url: gateway }, grafana: { url: grafana }, lokiTenant: 'ybuilt', grafanaAuth: { user: 'admin', password: 's3cret' } };
}

const production = env('production').config;
const keepSlowMs = durationMs(production.sampling.slowRequestThreshold);
const timing = { traceTimeoutMs: 2000, logTimeoutMs: 2000, pollMs: 50 };
const uids = ['prometheus', 'tempo', 'loki'];

describe('verify against local servers', () => {
  test('every step passes against a healthy stack', async () => {
    const s: Stack = { lokiReady: true, keepSlowMs, unhealthy: new Set(), lines: [], pushHeaders: [] };
    const seen: StepResult[] = [];
    const results = await verify({ ...(await fakeStack(s)), datasourceUids: uids, keepSlowMs: keepSlowMs + 1000, ...timing }, (r) => seen.push(r));
    expect(results.map((r) => [r.step, r.ok])).toEqual([
      ['Loki /ready', true],
      ['Tempo /ready', true],
      ['send a test trace to the gateway (OTLP HTTP)', true],
      ['find the trace in Tempo by id', true],
      ['push a log line carrying the trace id to Loki', true],
      ['find the log line in Loki by trace id', true],
      ['Grafana data source prometheus health', true],
      ['Grafana data source tempo health', true],
      ['Grafana data source loki health', true],
    ]);
    expect(seen).toEqual(results);
    // The log line is in the project's JSON format and carries the trace id the trace was sent with.
    const traceId = /trace ([0-9a-f]{32})/.exec(results[2].detail)![1];
    expect(s.lines).toHaveLength(1);
    expect(JSON.parse(s.lines[0].slice(s.lines[0].indexOf(' ') + 1)).trace_id).toBe(traceId);
    expect(s.pushHeaders[0]['x-scope-orgid']).toBe('ybuilt');
    for (const r of results) expect(formatResult(r)).toMatch(/^PASS  .+ \(\d+ ms\)/);
  });

  test('fails, with what to check next, when Loki is not ready, the trace is dropped and a data source is down', async () => {
    const s: Stack = { lokiReady: false, keepSlowMs, unhealthy: new Set(['tempo']), lines: [], pushHeaders: [] };
    // A span shorter than the keep-slow threshold: the fake sampler drops it, as the real one may.
    const results = await verify({ ...(await fakeStack(s)), datasourceUids: uids, keepSlowMs: 10, ...timing, traceTimeoutMs: 300 });
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => r.step)).toEqual(['Loki /ready', 'find the trace in Tempo by id', 'Grafana data source tempo health']);
    expect(failed[0].detail).toContain('HTTP 503: Ingester not ready');
    expect(failed[1].detail).toMatch(/not found within 300 ms/);
    expect(failed[1].hint).toBe(HINTS.trace);
    expect(formatResult(failed[2])).toMatch(/^FAIL  Grafana data source tempo health .*\n      next: .*Save & test/);
  });

  test('a server that does not answer fails the step instead of hanging', async () => {
    const results = await verify({ loki: { url: 'http://127.0.0.1:1' }, tempo: { url: 'http://127.0.0.1:1' }, gateway: { url: 'http://127.0.0.1:1' }, grafana: { url: 'http://127.0.0.1:1' }, datasourceUids: ['loki'], keepSlowMs, ...timing });
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(results.map((r) => r.step)).toEqual(['Loki /ready', 'Tempo /ready', 'send a test trace to the gateway (OTLP HTTP)', 'push a log line carrying the trace id to Loki', 'Grafana data source loki health']);
  });

  test('the Loki query parses with the LogQL grammar', () => {
    const query = logQuery('0af7651916cd43dd8448eb211c80319c');
    let errors = 0;
    logql.parse(query).iterate({ enter: (n) => void (n.type.isError && errors++) });
    expect(errors).toBe(0);
  });
});

describe('verify command line', () => {
  test('arguments', () => {
    expect(parseArgs(['--env', 'production', '--context', 'prod-eu'])).toEqual({ env: 'production', context: 'prod-eu', help: false });
    expect(parseArgs(['--help']).help).toBe(true);
    expect(() => parseArgs([])).toThrow(UsageError);
    expect(() => parseArgs(['--env'])).toThrow('--env needs a value');
    expect(() => parseArgs(['--env', 'production', '--timeout', 'soon'])).toThrow('--timeout expects whole seconds, got "soon"');
  });

  test("kubectl's port-forward line gives the local port", () => {
    expect(parseForwardedPort('Forwarding from 127.0.0.1:40123 -> 3100\n')).toBe(40123);
    expect(parseForwardedPort('Forwarding from [::1]:40123 -> 3100')).toBeUndefined();
  });

  test('npm run verify -- --help answers through the real launcher', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'verify.js'), '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: npm run verify -- --env <name> [--context <kube context>]');
  });

  test('fails with exit code 2 and the usage on a bad option', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'verify.js'), '--envv', 'production'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('verify: unknown option "--envv"');
  });
});

/** Where the stand-in kubectl notes the pid of each port-forward it runs. */
const PORT_FORWARD_PIDS = 'port-forward.pids';

/**
 * The port-forwards the stand-in kubectl ran in `dir` that still exist, running or exited but not reaped (a zombie
 * still answers signal 0): none should, once verify has returned.
 */
function portForwardsLeft(dir: string): number[] {
  const pids = readFileSync(path.join(dir, PORT_FORWARD_PIDS), 'utf8').trim().split('\n').map(Number);
  expect(pids.length).toBeGreaterThan(0);
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * A stand-in `kubectl` on PATH: `get secret` answers base64 values, `port-forward svc/<name>` prints kubectl's
 * "Forwarding from" line for the local fake server standing in for that Service and stays up until killed.
 */
function fakeKubectl(dir: string, services: Record<string, string>, secrets: Record<string, string>): void {
  const script = `#!${process.execPath}
const args = process.argv.slice(2).filter((a, i, all) => a !== '--context' && all[i - 1] !== '--context');
const services = ${JSON.stringify(services)};
const secrets = ${JSON.stringify(secrets)};
if (args[0] === 'get' && args[1] === '--raw' && args[2] === '/version') {
  console.log('{"major": "1", "minor": "31"}');
} else if (args.includes('port-forward')) {
  const svc = args.find((a) => a.startsWith('svc/')).slice(4);
  if (!services[svc]) { console.error('error: services "' + svc + '" not found'); process.exit(1); }
  require('fs').appendFileSync(${JSON.stringify(path.join(dir, PORT_FORWARD_PIDS))}, process.pid + '\\n');
  console.log('Forwarding from 127.0.0.1:' + new URL(services[svc]).port + ' -> ' + args[args.length - 1].slice(1));
  setInterval(() => undefined, 1000);
} else if (args.includes('secret')) {
  const key = /\{\.data\.(.*)\}/.exec(args.find((a) => a.startsWith('jsonpath=')))[1].replace(/\\\./g, '.');
  const value = secrets[args[args.indexOf('secret') + 1] + '/' + key];
  if (value === undefined) { console.error('Error from server (NotFound)'); process.exit(1); }
  process.stdout.write(Buffer.from(value).toString('base64'));
} else process.exit(2);
`;
  const file = path.join(dir, 'kubectl');
  writeFileSync(file, script);
  chmodSync(file, 0o755);
}

describe('verify end to end, with a stand-in kubectl', () => {
  test('npm run verify -- --env dev: port-forwards the Services the charts name, reads the Grafana login, passes', async () => {
    const dev = env('dev').config;
    const s: Stack = { lokiReady: true, keepSlowMs: durationMs(dev.sampling.slowRequestThreshold), unhealthy: new Set(), lines: [], pushHeaders: [] };
    const fake = await fakeStack(s);
    const dir = tempDir('fake-kubectl-');
    const admin = dev.grafana.adminSecret;
    fakeKubectl(dir, { loki: fake.loki.url, tempo: fake.tempo.url, 'otel-gateway': fake.gateway.url, grafana: fake.grafana.url }, { [`${admin.name}/${admin.userKey}`]: 'admin', [`${admin.name}/${admin.passwordKey}`]: 's3cret' });
    const savedPath = process.env.PATH;
    process.env.PATH = `${dir}${path.delimiter}${savedPath}`;
    const lines: string[] = [];
    try {
      const code = await main(['--env', 'dev', '--context', 'kind-dev', '--timeout', '5'], (l) => lines.push(l), FIXTURES_DIR);
      expect([code, lines.join('\n')]).toEqual([0, expect.stringContaining('all 9 checks passed')]);
      expect(lines[0]).toBe('verifying dev (namespace observability, context kind-dev) through kubectl port-forward');
      expect(lines.filter((l) => l.startsWith('PASS'))).toHaveLength(9);
      expect(portForwardsLeft(dir)).toEqual([]);
    } finally {
      process.env.PATH = savedPath;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test('a port-forward kubectl refuses fails the setup, and the command exits at once (no start timer left)', () => {
    const dir = tempDir('fake-kubectl-');
    fakeKubectl(dir, {}, {});
    // The bundled command in a process of its own: a timer left pending would hold that process open for 15 s.
    const script = `const { cachedBundle, loadBundle } = require(${JSON.stringify(path.join(ROOT, 'bin', 'bundle.js'))});
      loadBundle(cachedBundle('verify', 'lib/verify/cli.ts')).exports.main(['--env', 'dev'], console.log, ${JSON.stringify(FIXTURES_DIR)}).then((c) => (process.exitCode = c));`;
    try {
      const started = Date.now();
      const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH}` }, timeout: 30_000 });
      const seconds = (Date.now() - started) / 1000;
      expect([r.status, r.stdout]).toEqual([1, expect.stringMatching(/FAIL {2}setup: kubectl port-forward svc\/\S+ exited \(1\): error: services "\S+" not found/)]);
      expect(seconds).toBeLessThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);

  test('fails with exit code 1 and the kubectl error when a Secret cannot be read', async () => {
    const dir = tempDir('fake-kubectl-');
    const fake = await fakeStack({ lokiReady: true, keepSlowMs: 0, unhealthy: new Set(), lines: [], pushHeaders: [] });
    fakeKubectl(dir, { loki: fake.loki.url, tempo: fake.tempo.url, 'otel-gateway': fake.gateway.url, grafana: fake.grafana.url }, {});
    const savedPath = process.env.PATH;
    process.env.PATH = `${dir}${path.delimiter}${savedPath}`;
    const lines: string[] = [];
    try {
      expect(await main(['--env', 'dev'], (l) => lines.push(l), FIXTURES_DIR)).toBe(1);
      expect(lines.join('\n')).toMatch(/FAIL {2}setup: cannot read admin-user of Secret observability\/grafana-admin: Error from server \(NotFound\)/);
      // The port-forwards started before the Secret was read are stopped on the way out, too.
      expect(portForwardsLeft(dir)).toEqual([]);
    } finally {
      process.env.PATH = savedPath;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('verify says first what stops it', () => {
  /** Runs main with PATH holding only `dir` (and node), capturing its lines. */
  async function run(argv: string[], dir: string): Promise<{ code: number; lines: string[] }> {
    const savedPath = process.env.PATH;
    process.env.PATH = dir;
    const lines: string[] = [];
    try {
      return { code: await main(argv, (l) => lines.push(l), FIXTURES_DIR), lines };
    } finally {
      process.env.PATH = savedPath;
    }
  }

  test('fails when no cluster is reachable, in one line before anything else', async () => {
    const dir = tempDir('no-cluster-');
    // What kubectl prints with a kubeconfig whose server is down.
    writeFileSync(path.join(dir, 'kubectl'), `#!${process.execPath}\nconsole.error('The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?');\nprocess.exit(1);\n`);
    chmodSync(path.join(dir, 'kubectl'), 0o755);
    const r = await run(['--env', 'dev', '--context', 'kind-gone'], dir);
    expect(r).toEqual({ code: 1, lines: ['verify: no reachable cluster through kubectl context "kind-gone": The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?'] });
  });

  test('fails when kubectl is missing, in one line', async () => {
    const r = await run(['--env', 'dev'], tempDir('no-kubectl-'));
    expect(r).toEqual({ code: 1, lines: ['verify: kubectl is not runnable (not found on PATH); verify reaches the cluster through kubectl'] });
  });

  test('fails with exit code 2 and the known environments on a typo, as synth does', async () => {
    const r = await run(['--env', 'prodution'], tempDir('typo-'));
    expect(r).toEqual({ code: 2, lines: ['verify: unknown environment "prodution"; known: dev, production, staging'] });
  });
});
