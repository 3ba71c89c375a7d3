// The trace data path for real. Sampling, as configured: production's collector tiers, started from the rendered Deployments (two gateway
// pods, two sampler pods), with per-service rates added to production's sampling config. A few thousand seeded
// traces go in over OTLP gRPC (to one gateway pod) and OTLP HTTP (to the other), each trace split across both;
// the Tempo stand-in records what the samplers export, over TLS verified with the test CA.
// Metric truth: Prometheus scrapes both tiers as the rendered ServiceMonitors say, with the rendered
// PrometheusRules loaded; every collector metric a shipped rule or dashboard reads must exist, and stopping the
// Tempo stand-in must take the exporter-failure alert to pending.
import { X509Certificate } from 'node:crypto';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as yaml from 'js-yaml';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { durationMs } from '../../lib/config/primitives';
import { verify } from '../../lib/verify/checks';
import { rateFor } from '../../lib/config/sampling';
import { Run, waitFor } from '../support/procs';
import { find, K8sObject } from './manifests';
import { Cluster, Pod } from './pods';
import { Prometheus } from './prometheus';
import { buildCollector, buildStandins } from './programs';
import { renderVariant } from './render';
import { RecordedSpan, servicePort, TempoStandIn } from './standins';
import { createCA, TestCA } from './tls';
import { binomialBounds, Category, makeTraces, otlpJson, prng, TestTrace } from './traces';

const SEED = 20261202;
/** Per-service rates added to production's config for this scenario; other services get sampling.defaultRate. */
const SERVICE_RATES = { checkout: 0.5, healthcheck: 0.02 };
const PLAN: Record<string, Partial<Record<Category, number>>> = {
  checkout: { ordinary: 600, error: 40, slow: 40, priority: 40 },
  healthcheck: { ordinary: 1000, error: 20, slow: 20, priority: 20 },
  frontend: { ordinary: 1000, error: 40, slow: 40, priority: 40 },
  inventory: { ordinary: 600 },
};
/**
 * Collector counters that have no series until their first event, and events this scenario does not cause:
 * refusals by the memory limiter and a full sending queue. (The exporter's failed sends are caused: the
 * Tempo stand-in is stopped before this check.)
 */
const EVENT_BORN = new Set([
  'otelcol_processor_memory_limiter_refused_spans',
  'otelcol_exporter_enqueue_failed_spans',
]);
/** The contrib image's ENTRYPOINT (opentelemetry-collector-releases distributions/otelcol-contrib/Dockerfile). */
export const COLLECTOR_IMAGE = { 'otel/opentelemetry-collector-contrib': { entrypoint: '/otelcol-contrib' } };

describe('data path: sampling as configured (production tiers, from the rendered Deployments)', () => {
  const run = new Run('sampling');
  let cluster: Cluster;
  let tempo: TempoStandIn;
  let samplers: Pod[];
  let gateways: Pod[];
  let ca: TestCA;
  let traces: TestTrace[];
  let received: RecordedSpan[];
  let decisionWaitMs: number;
  let config: { sampling: { defaultRate: number; services: Record<string, number>; slowRequestThreshold: string } };
  let bin: { collector: string; tempo: string; send: string };
  let tempoCert: { cert: string; key: string };
  let served: { cert: string; key: string };
  let objects: K8sObject[];
  let prometheus: Prometheus;

  beforeAll(async () => {
    bin = { collector: buildCollector(), ...(({ tempo, send }) => ({ tempo, send }))(buildStandins()) };
    ({ objects } = renderVariant(run.mkdir('config'), 'production', 'e2e-sampling', (c) => {
      c.sampling = { ...c.sampling, services: SERVICE_RATES };
      config = c as typeof config;
    }));
    config.sampling.defaultRate ??= 0.1;
    const samplerDeploy = find(objects, 'Deployment', 'otel-sampler');
    const tlsSecret = (samplerDeploy.spec.template.spec.volumes as { secret?: { secretName: string } }[]).find((v) => v.secret)!.secret!.secretName;
    const certificate = objects.find((o) => o.kind === 'Certificate' && o.spec.secretName === tlsSecret && (o.spec.dnsNames as string[]).some((d) => d.startsWith('tempo.')));
    if (!certificate) throw new Error(`e2e: no rendered Certificate for Tempo in Secret ${tlsSecret}`);

    ca = createCA(run.mkdir('ca'));
    tempoCert = ca.issue('tempo', certificate.spec.dnsNames);
    // The stand-in serves the files in served/, which the certificate-replacement test overwrites.
    const servedDir = run.mkdir('tempo-served');
    served = { cert: path.join(servedDir, 'tls.crt'), key: path.join(servedDir, 'tls.key') };
    replaceFiles(served, tempoCert);

    cluster = new Cluster(run, objects, {
      [tlsSecret]: { 'ca.crt': fs.readFileSync(ca.caCert), 'tls.crt': fs.readFileSync(tempoCert.cert), 'tls.key': fs.readFileSync(tempoCert.key) },
    }, { 'otel/opentelemetry-collector-contrib': { binary: bin.collector, ...COLLECTOR_IMAGE['otel/opentelemetry-collector-contrib'] } });

    const otlpPort = servicePort(objects, 'tempo', 'otlp-grpc');
    const httpPort = servicePort(objects, 'tempo', 'http');
    tempo = new TempoStandIn(run, cluster, bin.tempo, await cluster.allocateIP([otlpPort, httpPort]), otlpPort, httpPort, served);
    await tempo.start();
    samplers = await cluster.start('Deployment', 'otel-sampler');
    gateways = await cluster.start('Deployment', 'otel-gateway');
    expect(samplers).toHaveLength(2);
    expect(gateways.length).toBeGreaterThanOrEqual(2);
    prometheus = new Prometheus(run, cluster);
    await prometheus.start(objects, [...samplers, ...gateways]);

    const samplerConfig = yaml.load(fs.readFileSync(path.join(samplers[0].volumes.config, 'config.yaml'), 'utf8')) as { processors: { tail_sampling: { decision_wait: string } } };
    decisionWaitMs = durationMs(samplerConfig.processors.tail_sampling.decision_wait);

    traces = makeTraces(prng(SEED), PLAN, durationMs(config.sampling.slowRequestThreshold), BigInt(Date.now()) * 1_000_000n);
    await sendSplit(traces);
    received = await settled();
  }, 45 * 60 * 1000);

  afterAll(() => run.stop());

  /** Spans 0-1 of each trace over gRPC to gateway 0, span 2 over HTTP (JSON) to gateway 1, chunk by chunk. */
  async function sendSplit(batch: readonly TestTrace[]): Promise<void> {
    const dir = run.mkdir('send');
    for (let i = 0; i < batch.length; i += 250) {
      const chunk = batch.slice(i, i + 250);
      const file = path.join(dir, `chunk-${Date.now()}-${i}.json`);
      fs.writeFileSync(file, otlpJson(chunk, (_s, n) => n < 2));
      await Promise.all([
        sendGrpc(gateways[0].port('otlp-grpc'), file),
        postHttp(`http://${gateways[1].port('otlp-http')}/v1/traces`, otlpJson(chunk, (_s, n) => n === 2)),
      ]);
    }
  }

  function sendGrpc(endpoint: string, file: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const p = spawn(bin.send, ['-endpoint', endpoint, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.stderr.on('data', (d) => { out += d; });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`e2e: OTLP gRPC send to ${endpoint} failed: ${out}`))));
    });
  }

  async function postHttp(url: string, body: string): Promise<void> {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (!res.ok) throw new Error(`e2e: OTLP HTTP POST ${url} answered ${res.status}: ${await res.text()}`);
  }

  /** What the stand-in holds once the samplers decided everything sent: past decision_wait and no longer growing. */
  async function settled(): Promise<RecordedSpan[]> {
    const sentAt = Date.now();
    let last = -1;
    return waitFor('the samplers to decide every trace and the stand-in count to settle', async () => {
      const spans = await tempo.spans();
      const stable = spans.length === last;
      last = spans.length;
      return Date.now() - sentAt > decisionWaitMs + 2000 && stable ? spans : undefined;
    }, { timeoutMs: decisionWaitMs + 120_000, intervalMs: 3000, watch: [...samplers.map((p) => p.proc), ...gateways.map((p) => p.proc), tempo.proc] });
  }

  /** Every collector pod scraped at least once (the monitors' interval is 30s). */
  async function scrapedAll(): Promise<void> {
    await waitFor('Prometheus to scrape every collector pod (up == 1)', async () => {
      const targets = (await prometheus.api('/api/v1/targets')).activeTargets as { health: string; lastScrape: string }[];
      return targets.length === samplers.length + gateways.length && targets.every((t) => t.health === 'up') ? targets : undefined;
    }, { timeoutMs: 120_000, intervalMs: 2000, watch: [prometheus.proc] });
  }

  function byTrace(spans: readonly RecordedSpan[]): Map<string, RecordedSpan[]> {
    const m = new Map<string, RecordedSpan[]>();
    for (const s of spans) m.set(s.trace_id, [...(m.get(s.trace_id) ?? []), s]);
    return m;
  }

  it('keeps every error, slow and sample.priority trace, whole', () => {
    const got = byTrace(received);
    const missing = traces.filter((t) => t.category !== 'ordinary').filter((t) => {
      const spans = new Set((got.get(t.traceId) ?? []).map((s) => s.span_id));
      return !t.spans.every((s) => spans.has(s.spanId));
    });
    expect(missing.map((t) => `${t.category} ${t.service} ${t.traceId}`)).toEqual([]);
  });

  it('never delivers part of a trace, nor a span twice', () => {
    const sent = new Map(traces.map((t) => [t.traceId, t]));
    const partial: string[] = [];
    for (const [id, spans] of byTrace(received)) {
      const t = sent.get(id);
      if (!t) { partial.push(`${id}: not a trace the test sent`); continue; }
      const ids = spans.map((s) => s.span_id);
      if (new Set(ids).size !== ids.length) partial.push(`${id}: a span arrived twice`);
      if (new Set(ids).size !== t.spans.length) partial.push(`${id}: ${new Set(ids).size} of ${t.spans.length} spans`);
    }
    expect(partial).toEqual([]);
  });

  it.each(Object.keys(PLAN))('keeps ordinary traces of %s at its configured rate (binomial, 4 sigma, seeded)', (service) => {
    const rate = rateFor(config.sampling, service);
    const sent = traces.filter((t) => t.service === service && t.category === 'ordinary');
    const got = byTrace(received);
    const kept = sent.filter((t) => got.has(t.traceId)).length;
    const b = binomialBounds(sent.length, rate);
    const report = `${service}: kept ${kept} of ${sent.length} ordinary traces; rate ${rate} expects ${b.mean.toFixed(1)}, allowed ${b.low}..${b.high}`;
    expect({ report, within: kept >= b.low && kept <= b.high }).toEqual({ report, within: true });
  });

  it('routes every span of a trace to one sampler (by trace id), and both samplers receive traces', () => {
    // Each sampler pod holds one gRPC connection to Tempo, so the connection's remote address names the sampler.
    const split = [...byTrace(received)].filter(([, spans]) => new Set(spans.map((s) => s.peer)).size > 1).map(([id]) => id);
    expect(split).toEqual([]);
    const perSampler = new Map<string, number>();
    for (const [, spans] of byTrace(received)) perSampler.set(spans[0].peer, (perSampler.get(spans[0].peer) ?? 0) + 1);
    expect(perSampler.size).toBe(samplers.length);
  });

  it('passes the npm run verify steps that apply here: Tempo ready, a trace through the gateway found in Tempo by id', async () => {
    // Loki and Grafana have no stand-in in this scenario: their steps are not asserted (they fail fast on a
    // closed port). The Tempo endpoint is reached as verify reaches it through a port-forward: TLS verified
    // with the CA and the Service's DNS name.
    const closed = `http://${tempo.ip}:1`;
    const results = await verify({
      loki: { url: closed }, tempo: { url: `https://${tempo.ip}:${tempo.httpPort}`, ca: fs.readFileSync(ca.caCert, 'utf8'), servername: 'tempo.observability.svc.cluster.local' },
      gateway: { url: `http://${gateways[0].port('otlp-http')}` }, grafana: { url: closed }, datasourceUids: [],
      // As the CLI sets it (lib/verify/cli.ts: the threshold plus a second).
      keepSlowMs: durationMs(config.sampling.slowRequestThreshold) + 1000, traceTimeoutMs: decisionWaitMs + 60_000, logTimeoutMs: 1000, pollMs: 1000,
    });
    const applicable = results.filter((r) => /Tempo|gateway/.test(r.step)).map((r) => `${r.ok ? 'PASS' : 'FAIL'} ${r.step}: ${r.detail}`);
    expect(applicable).toHaveLength(3);
    expect(applicable.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  }, 5 * 60 * 1000);

  it('verifies the Tempo certificate from the CA, keeps exporting after it is replaced, and refuses one from another CA', async () => {
    const sampler = samplers[0];
    const probe = (n: number) => makeTraces(prng(SEED + n), { 'tls-probe': { error: 10 } }, 1000, BigInt(Date.now()) * 1_000_000n);
    const arrives = async (what: string, batch: TestTrace[]) => {
      await sendSplit(batch);
      const ids = new Set(batch.map((t) => t.traceId));
      await waitFor(what, async () => {
        const have = new Set((await tempo.spans()).filter((s) => ids.has(s.trace_id)).map((s) => s.span_id));
        return batch.every((t) => t.spans.every((s) => have.has(s.spanId)));
      }, { timeoutMs: decisionWaitMs + 90_000, intervalMs: 1000, watch: [...samplers.map((p) => p.proc), tempo.proc] });
    };

    // Renewal as cert-manager does it: a new key and certificate from the same CA, the files replaced on disk.
    const renewed = ca.issue('tempo-renewed', (new X509Certificate(fs.readFileSync(tempoCert.cert)).subjectAltName ?? '').split(', ').map((s) => s.replace(/^DNS:/, '')));
    replaceFiles(served, renewed);
    await arrives('traces over the connection opened before the renewal', probe(1));
    // A restart of the backend makes every sampler handshake again, now against the renewed certificate.
    await tempo.stop();
    await tempo.start();
    expect(await servedFingerprint(tempo.ip, tempo.otlpGrpcPort, ca.caCert)).toBe(new X509Certificate(fs.readFileSync(renewed.cert)).fingerprint256);
    await arrives('traces after the samplers reconnected to the renewed certificate', probe(2));

    // A certificate from a CA the samplers do not trust: nothing arrives and the sampler says why.
    const rogue = createCA(run.mkdir('rogue-ca'), 'not the observability CA').issue('tempo', ['tempo.observability.svc.cluster.local']);
    replaceFiles(served, rogue);
    await tempo.stop();
    await tempo.start();
    const before = (await tempo.spans()).length;
    await sendSplit(probe(3));
    await waitFor('the sampler to refuse the untrusted certificate', () => /x509|certificate signed by unknown authority|authentication handshake failed/.test(samplers.map((p) => p.proc.log()).join('\n')), { timeoutMs: decisionWaitMs + 90_000, intervalMs: 1000, watch: [sampler.proc] });
    expect((await tempo.spans()).length).toBe(before);
  }, 10 * 60 * 1000);

  it('takes the exporter-failure alert to pending when the Tempo stand-in stops', async () => {
    // The alert that reads the exporter's failed sends, found by what it reads rather than by its name.
    const alertRules = (await prometheus.api('/api/v1/rules?type=alert')).groups.flatMap((g: { rules: { name: string; query: string }[] }) => g.rules);
    const exporterAlert = alertRules.find((r: { query: string }) => r.query.includes('otelcol_exporter_send_failed_spans'));
    expect(exporterAlert).toBeDefined();
    await scrapedAll();

    await tempo.stop();
    // Traffic keeps coming while Tempo is down; the samplers retry each batch (retry_on_failure, default
    // max_elapsed_time 300s: exporterhelper/internal/retry_sender.go) before counting its spans as failed.
    let n = 100;
    await waitFor(`alert ${exporterAlert.name} to go pending after Tempo stopped`, async () => {
      await sendSplit(makeTraces(prng(SEED + n++), { outage: { error: 5 } }, 1000, BigInt(Date.now()) * 1_000_000n));
      const alerts = (await prometheus.api('/api/v1/alerts')).alerts as { labels: Record<string, string>; state: string }[];
      return alerts.find((a) => a.labels.alertname === exporterAlert.name && (a.state === 'pending' || a.state === 'firing'));
    }, { timeoutMs: 10 * 60_000, intervalMs: 15_000, watch: [prometheus.proc, ...samplers.map((p) => p.proc)] });
  }, 15 * 60 * 1000);

  it('serves every collector metric a shipped rule or dashboard reads, with the labels it selects on', async () => {
    const exprs: string[] = [];
    for (const r of objects.filter((o) => o.kind === 'PrometheusRule')) for (const g of r.spec.groups) for (const rule of g.rules) exprs.push(rule.expr);
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
      for (const [k, text] of Object.entries(cm.data ?? {})) {
        if (!k.endsWith('.json')) continue;
        const walk = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === 'object') for (const [key, x] of Object.entries(v)) (key === 'expr' && typeof x === 'string' ? exprs.push(x) : walk(x));
        };
        walk(JSON.parse(text));
      }
    }
    const selectors = new Set<string>();
    for (const e of exprs) {
      promql.parse(e).iterate({ enter: (node) => {
        if (node.name !== 'VectorSelector') return;
        const sel = e.slice(node.from, node.to);
        if (sel.startsWith('otelcol_')) selectors.add(sel);
      } });
    }
    expect(selectors.size).toBeGreaterThan(10);
    await scrapedAll();
    // A counter the collector creates at its first event (memory_limiter refusals, a full queue) has no series
    // until then, and this run does not overload the tiers. Such a name must still be one the binary
    // registers; any other selector must return series with the labels it selects on.
    const binary = fs.readFileSync(bin.collector).toString('latin1');
    const missing: string[] = [];
    for (const sel of [...selectors].sort()) {
      if ((await prometheus.query(`count(${sel})`)).length > 0) continue;
      const name = sel.replace(/\{.*$/, '').replace(/_(bucket|sum|count)$/, '');
      if (!(EVENT_BORN.has(name) && binary.includes(name))) missing.push(sel);
    }
    expect(missing).toEqual([]);
  }, 5 * 60 * 1000);
});

/** Atomic replacement of a certificate pair (write aside, rename over), like the kubelet's Secret volume update. */
function replaceFiles(target: { cert: string; key: string }, from: { cert: string; key: string }): void {
  for (const [to, src] of [[target.key, from.key], [target.cert, from.cert]] as const) {
    fs.copyFileSync(src, `${to}.new`);
    fs.renameSync(`${to}.new`, to);
  }
}

/** The SHA-256 fingerprint of the certificate a TLS server presents (verified with the CA). */
function servedFingerprint(host: string, port: number, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, ca: fs.readFileSync(caFile), servername: 'tempo.observability.svc.cluster.local', ALPNProtocols: ['h2'] }, () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256;
      s.end();
      fp ? resolve(fp) : reject(new Error('e2e: no peer certificate'));
    });
    s.once('error', reject);
  });
}
