// Seeded trace traffic for the sampling scenario, as OTLP/JSON ExportTraceServiceRequests
// (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding: ids as hex, int64 and times as strings).
import { PRIORITY_ATTRIBUTE } from '../../lib/config/sampling';

/** mulberry32: a small seeded generator, so a failing run can be replayed exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Category = 'error' | 'slow' | 'priority' | 'ordinary';

export interface TestSpan {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly error: boolean;
  readonly priority?: number;
}

export interface TestTrace {
  readonly traceId: string;
  readonly service: string;
  readonly category: Category;
  /** Three spans: the first two are sent over gRPC, the last over HTTP, each to a different gateway pod. */
  readonly spans: readonly TestSpan[];
}

function hex(rand: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(rand() * 256).toString(16).padStart(2, '0');
  return s;
}

/**
 * Traces of one service and category each. Errors sit on the gRPC half, priority on the HTTP half and the slow
 * span is the root, so a sampler that sees only one half of a trace cannot keep it whole.
 */
export function makeTraces(rand: () => number, plan: Record<string, Partial<Record<Category, number>>>, slowMs: number, nowNs: bigint): TestTrace[] {
  const out: TestTrace[] = [];
  for (const [service, counts] of Object.entries(plan)) {
    for (const [category, n] of Object.entries(counts) as [Category, number][]) {
      for (let i = 0; i < n; i++) {
        const traceId = hex(rand, 16);
        const root = hex(rand, 8);
        const start = nowNs - 60_000_000_000n + BigInt(Math.floor(rand() * 1e9));
        // Ordinary traces last 30 ms; a slow one lasts 1.5 x the threshold (its root span carries the duration).
        const rootMs = category === 'slow' ? Math.ceil(slowMs * 1.5) : 30;
        const ms = (x: number) => BigInt(x) * 1_000_000n;
        out.push({
          traceId, service, category,
          spans: [
            { spanId: root, parentSpanId: '', name: `${service} request`, startNs: start, endNs: start + ms(rootMs), error: false },
            { spanId: hex(rand, 8), parentSpanId: root, name: `${service} db`, startNs: start + ms(2), endNs: start + ms(10), error: category === 'error' },
            { spanId: hex(rand, 8), parentSpanId: root, name: `${service} render`, startNs: start + ms(12), endNs: start + ms(20), error: false, priority: category === 'priority' ? 1 : undefined },
          ],
        });
      }
    }
  }
  // Interleave services and categories, as real traffic is.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** One OTLP/JSON request holding the chosen spans of these traces, grouped by service (one resource each). */
export function otlpJson(traces: readonly TestTrace[], pick: (s: TestSpan, index: number) => boolean): string {
  const byService = new Map<string, unknown[]>();
  for (const t of traces) {
    const spans = byService.get(t.service) ?? [];
    byService.set(t.service, spans);
    t.spans.forEach((s, i) => {
      if (!pick(s, i)) return;
      spans.push({
        traceId: t.traceId,
        spanId: s.spanId,
        ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
        name: s.name,
        kind: s.parentSpanId ? 3 : 2,
        startTimeUnixNano: String(s.startNs),
        endTimeUnixNano: String(s.endNs),
        attributes: s.priority !== undefined ? [{ key: PRIORITY_ATTRIBUTE, value: { intValue: String(s.priority) } }] : [],
        status: s.error ? { code: 2, message: 'e2e error' } : {},
      });
    });
  }
  return JSON.stringify({
    resourceSpans: [...byService.entries()].map(([service, spans]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'grafana-stack-e2e' }, spans }],
    })),
  });
}

/**
 * How far a binomial count may stray from its mean before the test calls the rate wrong: 4 standard deviations
 * (a false alarm about 1 run in 16,000 per service; the trace ids are seeded, so a given seed always passes or
 * always fails).
 */
export function binomialBounds(n: number, p: number, sigmas = 4): { low: number; high: number; mean: number } {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  return { low: Math.max(0, Math.floor(mean - sigmas * sd)), high: Math.min(n, Math.ceil(mean + sigmas * sd)), mean };
}
