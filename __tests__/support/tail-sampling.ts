/**
 * A small evaluator of the tail_sampling policy types this project emits, written from the contrib sources
 * (processor/tailsamplingprocessor/internal/sampling/{status_code,latency,numeric_tag_filter,string_tag_filter,
 * probabilistic,and,drop,util}.go) and the README's rule for combining top-level decisions:
 *   any Dropped → not sampled; any InvertNotSampled → not sampled; any Sampled → sampled;
 *   InvertSampled with no NotSampled → sampled; otherwise not sampled.
 * It is independent of lib/ on purpose: the rendered YAML goes in, a decision (or a keep probability) comes out.
 */
import { createHash } from 'node:crypto';

export type StatusCode = 'OK' | 'ERROR' | 'UNSET';
export type AttributeValue = string | number | boolean;
export interface Span {
  /** The resource's `service.name`. */
  readonly service: string;
  readonly status?: StatusCode;
  readonly startMs?: number;
  readonly endMs?: number;
  readonly attributes?: Record<string, AttributeValue>;
}
export interface Trace {
  /** 32 hex digits. */
  readonly traceId?: string;
  readonly spans: readonly Span[];
}

type Decision = 'Sampled' | 'NotSampled' | 'InvertSampled' | 'InvertNotSampled' | 'Dropped';
/** Whether a probabilistic policy with this salt and ratio keeps the trace. */
type ProbabilisticOutcome = (salt: string, ratio: number) => boolean;

const MAX_UINT64 = (1n << 64n) - 1n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

/** FNV-1a 64 over salt bytes then the 16 trace id bytes (probabilistic.go hashTraceID). */
export function hashTraceId(salt: string, traceId: string): bigint {
  let h = FNV_OFFSET;
  for (const b of [...Buffer.from(salt, 'utf8'), ...Buffer.from(traceId, 'hex')]) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MAX_UINT64;
  }
  return h;
}

/** calculateThreshold: MaxUint64 × ratio, truncated (ratio ≥ 1 keeps all). */
function threshold(ratio: number): bigint {
  if (ratio >= 1) return MAX_UINT64;
  if (ratio <= 0) return 0n;
  const scale = 2n ** 60n;
  return (MAX_UINT64 * BigInt(Math.round(ratio * Number(scale)))) / scale;
}

/** The real thing: hash the trace id with the policy's salt (an empty salt means "default-hash-seed"). */
const byHash = (traceId: string): ProbabilisticOutcome => {
  const hashes = new Map<string, bigint>();
  return (salt, ratio) => {
    const key = salt || 'default-hash-seed';
    if (!hashes.has(key)) hashes.set(key, hashTraceId(key, traceId));
    return hashes.get(key)! <= threshold(ratio);
  };
};

/** pcommon.Value.Int(): an int attribute's value, 0 for any other type. */
const asInt = (v: AttributeValue | undefined): number => (typeof v === 'number' && Number.isInteger(v) ? v : 0);
const asStr = (v: AttributeValue | undefined): string => (typeof v === 'string' ? v : '');

/** Spans grouped into resources by service.name, as ReceivedBatches holds them. */
function resources(trace: Trace): { attributes: Record<string, AttributeValue>; spans: Span[] }[] {
  const by = new Map<string, Span[]>();
  for (const s of trace.spans) by.set(s.service, [...(by.get(s.service) ?? []), s]);
  return [...by].map(([service, spans]) => ({ attributes: { 'service.name': service }, spans }));
}

function resourceOrSpan(trace: Trace, invert: boolean, matches: (attrs: Record<string, AttributeValue>, isResource: boolean) => boolean | undefined): Decision {
  if (!invert) {
    for (const r of resources(trace)) if (matches(r.attributes, true) || r.spans.some((s) => matches(s.attributes ?? {}, false))) return 'Sampled';
    return 'NotSampled';
  }
  // invertHasResourceOrSpanWithCondition: InvertNotSampled as soon as a resource or span matches.
  for (const r of resources(trace)) if (matches(r.attributes, true) || r.spans.some((s) => matches(s.attributes ?? {}, false))) return 'InvertNotSampled';
  return 'InvertSampled';
}

function evaluate(policy: any, trace: Trace, probabilistic: ProbabilisticOutcome): Decision {
  switch (policy.type) {
    case 'status_code':
      return trace.spans.some((s) => policy.status_code.status_codes.includes(s.status ?? 'UNSET')) ? 'Sampled' : 'NotSampled';
    case 'latency': {
      const start = Math.min(...trace.spans.map((s) => s.startMs ?? 0));
      const end = Math.max(...trace.spans.map((s) => s.endMs ?? s.startMs ?? 0));
      // duration.Milliseconds() truncates.
      return Math.floor(end - start) >= policy.latency.threshold_ms ? 'Sampled' : 'NotSampled';
    }
    case 'numeric_attribute': {
      const { key, min_value, max_value, invert_match } = policy.numeric_attribute;
      return resourceOrSpan(trace, !!invert_match, (attrs) => key in attrs && asInt(attrs[key]) >= min_value && asInt(attrs[key]) <= max_value);
    }
    case 'string_attribute': {
      const { key, values, invert_match } = policy.string_attribute;
      // Span attributes only count when non-empty (string_tag_filter.go).
      return resourceOrSpan(trace, !!invert_match, (attrs, isResource) => key in attrs && (isResource || asStr(attrs[key]) !== '') && values.includes(asStr(attrs[key])));
    }
    case 'probabilistic':
      return probabilistic(policy.probabilistic.hash_salt ?? '', Math.min(policy.probabilistic.sampling_percentage, 100) / 100) ? 'Sampled' : 'NotSampled';
    case 'and':
      for (const sub of policy.and.and_sub_policy) {
        const d = evaluate(sub, trace, probabilistic);
        if (d === 'NotSampled' || d === 'InvertNotSampled') return 'NotSampled';
      }
      return 'Sampled';
    case 'drop':
      for (const sub of policy.drop.drop_sub_policy) {
        const d = evaluate(sub, trace, probabilistic);
        if (d === 'NotSampled' || d === 'InvertNotSampled') return 'NotSampled';
      }
      return 'Dropped';
    default:
      throw new Error(`the evaluator does not know policy type ${JSON.stringify(policy.type)}`);
  }
}

function combine(decisions: Decision[]): boolean {
  if (decisions.includes('Dropped') || decisions.includes('InvertNotSampled')) return false;
  if (decisions.includes('Sampled')) return true;
  return decisions.includes('InvertSampled') && !decisions.includes('NotSampled');
}

function decideWith(policies: any[], trace: Trace, probabilistic: ProbabilisticOutcome): boolean {
  return combine(policies.map((p) => evaluate(p, trace, probabilistic)));
}

/** Whether the policies keep this trace, hashing its trace id as the collector does. */
export function decide(policies: any[], trace: Trace & { traceId: string }): boolean {
  return decideWith(policies, trace, byHash(trace.traceId));
}

function probabilisticLeaves(policy: any): any[] {
  if (policy.type === 'probabilistic') return [policy];
  const subs = policy.and?.and_sub_policy ?? policy.drop?.drop_sub_policy ?? [];
  return subs.flatMap(probabilisticLeaves);
}

/**
 * The probability, over trace ids, that the policies keep a trace with these spans. With one shared salt every
 * probabilistic policy reads the same hash h: policy i keeps iff h ≤ ratio_i × 2^64. So the outcome only changes
 * at the ratios; evaluating once inside each interval between them and summing the kept intervals' lengths is
 * exact. Different salts make the hashes independent and this evaluation impossible: it refuses them.
 */
export function keepProbability(policies: any[], trace: Trace): number {
  const leaves = policies.flatMap(probabilisticLeaves);
  const salts = new Set(leaves.map((l) => l.probabilistic.hash_salt ?? ''));
  if (salts.size > 1) throw new Error(`probabilistic policies use ${salts.size} different hash salts (${[...salts].join(', ')}); their rates do not compose`);
  const cuts = [...new Set([0, 1, ...leaves.map((l) => Math.min(l.probabilistic.sampling_percentage, 100) / 100)])].sort((a, b) => a - b);
  let p = 0;
  for (let i = 1; i < cuts.length; i++) {
    const u = (cuts[i - 1] + cuts[i]) / 2;
    if (decideWith(policies, trace, (_salt, ratio) => u <= ratio)) p += cuts[i] - cuts[i - 1];
  }
  return Math.round(p * 1e9) / 1e9;
}

/** Deterministic, well-spread trace ids for sampling-frequency checks. */
export function traceIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => createHash('sha256').update(`trace-${i}`).digest('hex').slice(0, 32));
}
