/**
 * The seed's verification, as steps against endpoints the caller provides (port-forwards from the CLI, local
 * servers in tests): Loki and Tempo ready, a test trace through the gateway found in Tempo by id, a log line
 * carrying that id found in Loki, Grafana's data sources healthy. Each step reports pass/fail, its time and,
 * on failure, what to check next.
 */
import { randomBytes } from 'node:crypto';
import { LOG_FIELDS, STREAM_LABELS } from '../log-format';
import { Endpoint, request } from './http';

export interface VerifyTargets {
  /** Loki's query path (the single binary, or the query-frontends). */
  readonly loki: Endpoint;
  /** Loki's push path when it is another Service (the distributors); the query path otherwise. */
  readonly lokiPush?: Endpoint;
  /** Tempo's query path. */
  readonly tempo: Endpoint;
  /** The traces gateway's OTLP HTTP receiver (what applications send to). */
  readonly gateway: Endpoint;
  readonly grafana: Endpoint;
  /** X-Scope-OrgID when Loki runs multi-tenant. */
  readonly lokiTenant?: string;
  readonly grafanaAuth?: { readonly user: string; readonly password: string };
  /** Data source uids whose health Grafana is asked for. */
  readonly datasourceUids: readonly string[];
  /** A span at least this long is kept by the sampler whatever the probabilistic rate (the keep-slow policy). */
  readonly keepSlowMs: number;
  /** How long to look for the trace and the log line before giving up. */
  readonly traceTimeoutMs: number;
  readonly logTimeoutMs: number;
  readonly pollMs: number;
}

export interface StepResult {
  readonly step: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
  /** What to check next when the step failed. */
  readonly hint?: string;
}

/** The job label of the test log stream (kept apart from real applications). */
export const VERIFY_JOB = 'stack-verify';

export const HINTS = {
  lokiReady: 'kubectl -n <namespace> describe pod loki-0 (WAL replay can take minutes after a restart; the startup probe allows it); kubectl logs loki-0 for "level=error"',
  tempoReady: 'kubectl -n <namespace> describe pod tempo-0; /ready stays 503 until every module runs and a querier is connected',
  send: 'the gateway must accept OTLP HTTP: kubectl -n <namespace> get pods -l app.kubernetes.io/name=otel-gateway; its log shows refused data (memory limiter)',
  trace: 'follow the trace: gateway → sampler (otelcol_exporter_send_failed_spans on the gateway, OtelcolSamplerBackendsMissing) → Tempo (sampler log for TLS or connection errors, TempoDistributorRefusingSpans); the sampler waits collector.sampler.decisionWait before exporting',
  push: 'Loki must accept pushes: check LokiDiscardingSamples and the Loki log; with loki.authEnabled the tenant header must match loki.tenantId',
  log: 'the line was accepted but not found: query Loki directly ({job="stack-verify"}), check the compactor and the time range',
  grafana: 'open Grafana → Connections → Data sources and press "Save & test" on the failing one; Grafana reaches Loki/Tempo over TLS with the CA in tls.secretName and Prometheus at prometheus.url (NetworkPolicy grafana)',
} as const;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** An OTLP/JSON export request with one server span of `durationMs` (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding). */
export function otlpTrace(traceId: string, spanId: string, durationMs: number, nowMs = Date.now()): string {
  const end = BigInt(nowMs) * 1_000_000n;
  const start = end - BigInt(durationMs) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: VERIFY_JOB } }] },
        scopeSpans: [
          {
            scope: { name: VERIFY_JOB },
            spans: [{ traceId, spanId, name: 'verify', kind: 2, startTimeUnixNano: String(start), endTimeUnixNano: String(end), status: { code: 1 } }],
          },
        ],
      },
    ],
  });
}

/** A Loki push request with one JSON line in the project's log format, carrying the trace id. */
export function lokiPush(traceId: string, spanId: string, nowMs = Date.now()): string {
  const line = JSON.stringify({ [LOG_FIELDS.time]: new Date(nowMs).toISOString(), [LOG_FIELDS.level]: 'info', [LOG_FIELDS.message]: 'stack verification', [LOG_FIELDS.traceId]: traceId, [LOG_FIELDS.spanId]: spanId });
  return JSON.stringify({ streams: [{ stream: { [STREAM_LABELS.job]: VERIFY_JOB }, values: [[String(BigInt(nowMs) * 1_000_000n), line]] }] });
}

/** LogQL: the verification stream's lines containing the trace id (a line filter, quoted once here). */
export function logQuery(traceId: string): string {
  return `{${STREAM_LABELS.job}=${JSON.stringify(VERIFY_JOB)}} |= ${JSON.stringify(traceId)}`;
}

async function step(step: string, hint: string, fn: () => Promise<string>): Promise<StepResult> {
  const t0 = Date.now();
  try {
    const detail = await fn();
    return { step, ok: true, ms: Date.now() - t0, detail };
  } catch (e) {
    return { step, ok: false, ms: Date.now() - t0, detail: e instanceof Error ? e.message : String(e), hint };
  }
}

async function poll(timeoutMs: number, pollMs: number, attempt: () => Promise<string | undefined>, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const found = await attempt();
      if (found !== undefined) return found;
    } catch (e) {
      last = ` (last error: ${e instanceof Error ? e.message : String(e)})`;
    }
    if (Date.now() >= deadline) throw new Error(`${what} not found within ${timeoutMs} ms${last}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

const expectStatus = (status: number, ok: (s: number) => boolean, body: string) => {
  if (!ok(status)) throw new Error(`HTTP ${status}: ${body.trim().slice(0, 200)}`);
};

/** Runs every step; `report` sees each result as soon as it is known. */
export async function verify(t: VerifyTargets, report: (r: StepResult) => void = () => undefined): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const run = async (r: Promise<StepResult>) => {
    const res = await r;
    results.push(res);
    report(res);
    return res;
  };
  const ready = (e: Endpoint) => async () => {
    const r = await request(e, '/ready');
    expectStatus(r.status, (s) => s === 200, r.body);
    return r.body.trim() || 'ready';
  };
  await run(step('Loki /ready', HINTS.lokiReady, ready(t.loki)));
  if (t.lokiPush) await run(step('Loki push path /ready', HINTS.lokiReady, ready(t.lokiPush)));
  await run(step('Tempo /ready', HINTS.tempoReady, ready(t.tempo)));

  const traceId = hex(16);
  const spanId = hex(8);
  const sent = await run(
    step('send a test trace to the gateway (OTLP HTTP)', HINTS.send, async () => {
      const r = await request(t.gateway, '/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpTrace(traceId, spanId, t.keepSlowMs) });
      expectStatus(r.status, (s) => s >= 200 && s < 300, r.body);
      return `trace ${traceId}`;
    }),
  );
  if (sent.ok) {
    await run(
      step('find the trace in Tempo by id', HINTS.trace, () =>
        poll(t.traceTimeoutMs, t.pollMs, async () => {
          const r = await request(t.tempo, `/api/traces/${traceId}`, { headers: { accept: 'application/json' } });
          if (r.status === 404) return undefined;
          expectStatus(r.status, (s) => s === 200, r.body);
          return r.body.includes(spanId) || r.body.includes(Buffer.from(spanId, 'hex').toString('base64')) ? `trace ${traceId} found` : undefined;
        }, `trace ${traceId}`),
      ),
    );
  }

  const tenant: Record<string, string> = t.lokiTenant ? { 'X-Scope-OrgID': t.lokiTenant } : {};
  const pushed = await run(
    step('push a log line carrying the trace id to Loki', HINTS.push, async () => {
      const r = await request(t.lokiPush ?? t.loki, '/loki/api/v1/push', { method: 'POST', headers: { 'content-type': 'application/json', ...tenant }, body: lokiPush(traceId, spanId) });
      expectStatus(r.status, (s) => s >= 200 && s < 300, r.body);
      return `line with trace_id ${traceId}`;
    }),
  );
  if (pushed.ok) {
    await run(
      step('find the log line in Loki by trace id', HINTS.log, () =>
        poll(t.logTimeoutMs, t.pollMs, async () => {
          const start = BigInt(Date.now() - 15 * 60_000) * 1_000_000n;
          const query = new URLSearchParams({ query: logQuery(traceId), start: String(start), limit: '10' });
          const r = await request(t.loki, `/loki/api/v1/query_range?${query}`, { headers: tenant });
          expectStatus(r.status, (s) => s === 200, r.body);
          return r.body.includes(traceId) ? `found with ${logQuery(traceId)}` : undefined;
        }, `log line with ${traceId}`),
      ),
    );
  }

  const auth: Record<string, string> = t.grafanaAuth ? { authorization: `Basic ${Buffer.from(`${t.grafanaAuth.user}:${t.grafanaAuth.password}`).toString('base64')}` } : {};
  for (const uid of t.datasourceUids) {
    await run(
      step(`Grafana data source ${uid} health`, HINTS.grafana, async () => {
        const r = await request(t.grafana, `/api/datasources/uid/${encodeURIComponent(uid)}/health`, { headers: auth });
        expectStatus(r.status, (s) => s === 200, r.body);
        const status = (JSON.parse(r.body) as { status?: string; message?: string });
        if (status.status !== 'OK') throw new Error(`status ${status.status}: ${status.message ?? ''}`);
        return status.message ?? 'OK';
      }),
    );
  }
  return results;
}

/** One line per result, and the hint under a failure. */
export function formatResult(r: StepResult): string {
  const head = `${r.ok ? 'PASS' : 'FAIL'}  ${r.step}  (${r.ms} ms)  ${r.detail}`;
  return r.ok ? head : `${head}\n      next: ${r.hint}`;
}
