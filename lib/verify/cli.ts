/**
 * `npm run verify -- --env <name> [--context <kube context>]`: the seed's verification against a live install.
 *
 * It reaches the stack through `kubectl port-forward` to the Services (chosen over in-cluster URLs: it works
 * from a laptop with only the user's kubeconfig and RBAC, needs no Ingress, and port-forwarded traffic is not
 * subject to the stack's NetworkPolicies, so the checks test the components, not the network path, which the
 * NetworkPolicy tests cover). Service names, namespaces and ports come from the same charts synth renders.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { GrafanaChart } from '../../charts/grafana';
import { LokiChart } from '../../charts/loki';
import { OtelCollectorChart } from '../../charts/otel-collector';
import { TempoChart } from '../../charts/tempo';
import { ConfigError, environmentFiles, environmentName, loadConfig, unknownEnvironment } from '../config/load';
import { durationMs } from '../config/primitives';
import { DATASOURCE_UID } from '../grafana/datasources';
import { StackService } from '../k8s/service';
import { buildCharts } from '../stack';
import { formatResult, verify, VerifyTargets } from './checks';
import { Endpoint } from './http';

export const USAGE = `Usage: npm run verify -- --env <name> [--context <kube context>] [--timeout <seconds>]

Checks a running install of config/<name>.yaml through kubectl port-forwards, with your kubeconfig:
  1. Loki /ready and Tempo /ready
  2. sends a test trace to the traces gateway over OTLP HTTP (long enough for the keep-slow policy)
  3. finds that trace in Tempo by its id
  4. pushes a log line carrying the trace id to Loki (stream {job="stack-verify"}) and finds it by the id
  5. asks Grafana for the health of its Prometheus, Tempo and Loki data sources (admin login from grafana.adminSecret)
Each step prints PASS or FAIL with its time; a failure says what to check next. Exit code 0 when all pass.

Options:
  --env <name>        environment to verify (config/<name>.yaml)
  --context <name>    kubeconfig context (default: the current one)
  --timeout <s>       how long to look for the trace and the log line (default: decision wait + 60 s)
  --help              this text

Needs kubectl with get/port-forward on the stack namespace and get on its Secrets (TLS CA, Grafana admin).`;

export interface VerifyOptions {
  readonly env?: string;
  readonly context?: string;
  readonly timeoutSeconds?: number;
  readonly help: boolean;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): VerifyOptions {
  const out: { env?: string; context?: string; timeoutSeconds?: number; help: boolean } = { help: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') out.help = true;
    else if (flag === '--env') out.env = value();
    else if (flag === '--context') out.context = value();
    else if (flag === '--timeout') {
      const v = value();
      if (!/^\d+$/.test(v)) throw new UsageError(`--timeout expects whole seconds, got ${JSON.stringify(v)}`);
      out.timeoutSeconds = Number(v);
    } else throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
  }
  if (!out.help && !out.env) throw new UsageError('missing --env <name>');
  return out;
}

/** The local port in kubectl's "Forwarding from 127.0.0.1:40123 -> 3100" line. */
export function parseForwardedPort(line: string): number | undefined {
  const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(line);
  return m ? Number(m[1]) : undefined;
}

/** How long a port-forward has to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5000;

class Kubectl {
  private readonly children: ChildProcess[] = [];
  constructor(private readonly context: string | undefined) {}

  private args(rest: string[]): string[] {
    return [...(this.context ? ['--context', this.context] : []), ...rest];
  }

  secretValue(namespace: string, name: string, key: string): string {
    const r = spawnSync('kubectl', this.args(['-n', namespace, 'get', 'secret', name, '-o', `jsonpath={.data.${key.replace(/\./g, '\\.')}}`]), { encoding: 'utf8', env: process.env });
    if (r.error) throw new Error(`kubectl not runnable: ${r.error.message}`);
    if (r.status !== 0 || !r.stdout) throw new Error(`cannot read ${key} of Secret ${namespace}/${name}: ${r.stderr.trim() || 'empty'}`);
    return Buffer.from(r.stdout, 'base64').toString('utf8');
  }

  /** Forwards a random local port to the Service's port; resolves with the local port. */
  forward(service: StackService, portName: string): Promise<number> {
    const child = spawn('kubectl', this.args(['-n', service.namespace, 'port-forward', `svc/${service.name}`, `:${service.port(portName)}`]), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    this.children.push(child);
    return new Promise((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`kubectl port-forward svc/${service.name} did not start within 15 s ${err.trim()}`)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        const port = parseForwardedPort(d.toString());
        if (port) {
          clearTimeout(timer);
          resolve(port);
        }
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      // Either ends the wait: the 15 s timer must not hold the command open after kubectl has already failed.
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`kubectl not runnable: ${e.message}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`kubectl port-forward svc/${service.name} exited (${code}): ${err.trim()}`));
      });
    });
  }

  /**
   * Why the cluster cannot be reached, or undefined when it answers. `/version` is readable by every
   * authenticated user (the system:public-info-viewer ClusterRole), so this asks only "is there a cluster",
   * not "may I": missing RBAC is reported by the step that needs it.
   */
  unreachable(): string | undefined {
    const r = spawnSync('kubectl', this.args(['get', '--raw', '/version', '--request-timeout=10s']), { encoding: 'utf8', env: process.env });
    const where = this.context ? `kubectl context "${this.context}"` : 'the current kubectl context';
    if (r.error) return `kubectl is not runnable (${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found on PATH' : r.error.message}); verify reaches the cluster through kubectl`;
    if (r.status !== 0) return `no reachable cluster through ${where}: ${(r.stderr || r.stdout).trim().split('\n')[0] || `kubectl exited ${r.status}`}`;
    return undefined;
  }

  /**
   * Stops every port-forward and waits until each has exited (SIGKILL after STOP_GRACE_MS), so verify returns
   * with no kubectl left running or unreaped: a killed child is reaped only when the event loop next polls, which
   * a caller that goes on working synchronously may not let happen for a long time.
   */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return resolve();
            const force = setTimeout(() => {
              c.kill('SIGKILL');
              setTimeout(resolve, STOP_GRACE_MS).unref();
            }, STOP_GRACE_MS);
            c.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            c.kill();
          }),
      ),
    );
  }
}

/** `configDir`: where the environments are (tests point it at their fixtures). */
export async function main(argv: readonly string[], out: (s: string) => void = console.log, configDir = 'config'): Promise<number> {
  let opts: VerifyOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    out(`verify: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    out(USAGE);
    return 0;
  }
  // A typo gets the list of environments, as synth gives it, not "cannot read config/prd.yaml".
  const file = environmentFiles(configDir).find((f) => environmentName(f) === opts.env);
  if (!file) {
    out(`verify: ${unknownEnvironment(opts.env!, configDir)}`);
    return 2;
  }
  let env;
  try {
    env = loadConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      out(e.problems.join('\n'));
      return 1;
    }
    throw e;
  }
  const charts = buildCharts(env);
  // By app name: cdk8s makes `instanceof` true for any two charts (Chart's Symbol.hasInstance checks for a chart).
  const find = <T>(appName: string): T => {
    const chart = charts.find((c) => c.appName === appName);
    if (!chart) throw new Error(`no ${appName} chart`);
    return chart as unknown as T;
  };
  const tempo = find<TempoChart>('tempo');
  const loki = find<LokiChart>('loki');
  const collector = find<OtelCollectorChart>('otel-collector');
  const grafana = find<GrafanaChart>('grafana');
  const { config } = env;
  const kubectl = new Kubectl(opts.context);
  // Before anything else: with no cluster every step below would fail with its own port-forward error.
  const unreachable = kubectl.unreachable();
  if (unreachable) {
    out(`verify: ${unreachable}`);
    return 1;
  }
  try {
    const ca = config.tls.enabled ? kubectl.secretValue(config.namespace, config.tls.secretName, 'ca.crt') : undefined;
    const endpoint = async (svc: StackService, port: string, tls: boolean): Promise<Endpoint> => {
      const local = await kubectl.forward(svc, port);
      return tls ? { url: `https://127.0.0.1:${local}`, ca, servername: svc.host } : { url: `http://127.0.0.1:${local}` };
    };
    const admin = config.grafana.adminSecret;
    const targets: VerifyTargets = {
      loki: await endpoint(loki.queryService, 'http', config.tls.enabled),
      ...(loki.pushService !== loki.queryService ? { lokiPush: await endpoint(loki.pushService, 'http', config.tls.enabled) } : {}),
      tempo: await endpoint(tempo.queryService, 'http', config.tls.enabled),
      gateway: await endpoint(collector.gateway, 'otlp-http', false),
      grafana: await endpoint(grafana.service, 'http', false),
      lokiTenant: loki.tenantId,
      grafanaAuth: { user: kubectl.secretValue(config.namespace, admin.name, admin.userKey), password: kubectl.secretValue(config.namespace, admin.name, admin.passwordKey) },
      datasourceUids: [DATASOURCE_UID.prometheus, DATASOURCE_UID.tempo, DATASOURCE_UID.loki],
      keepSlowMs: durationMs(config.sampling.slowRequestThreshold) + 1000,
      traceTimeoutMs: (opts.timeoutSeconds ?? (durationMs(config.collector.sampler.decisionWait) + 60_000) / 1000) * 1000,
      logTimeoutMs: (opts.timeoutSeconds ?? 60) * 1000,
      pollMs: 2000,
    };
    out(`verifying ${env.name} (namespace ${config.namespace}${opts.context ? `, context ${opts.context}` : ''}) through kubectl port-forward`);
    const results = await verify(targets, (r) => out(formatResult(r)));
    const failed = results.filter((r) => !r.ok).length;
    out(failed ? `${failed} of ${results.length} checks failed` : `all ${results.length} checks passed`);
    return failed ? 1 : 0;
  } catch (e) {
    out(`FAIL  setup: ${e instanceof Error ? e.message : String(e)}\n      next: check kubectl access (kubectl${opts.context ? ` --context ${opts.context}` : ''} -n ${config.namespace} get svc,secret)`);
    return 1;
  } finally {
    await kubectl.stop();
  }
}
