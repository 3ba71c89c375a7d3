/**
 * Loki schema periods: which period reads a day is Loki's own rule (grafana/loki v3.7.6
 * pkg/storage/config/schema_config.go, SchemaForTime: the period with `from <= t < next.from`). A change is safe
 * only where it changes the period of days that have no data yet: from today's UTC midnight on there is data, and
 * back to the longest retention (forever when retention is off).
 */
import { durationMs } from '../config/primitives';
import { LOKI_CONFIG_KEY } from '../loki/config';
import { Doc, risk } from './engine-files';
import { Finding, K8sObject, objectKey } from './types';

const DAY_MS = 86_400_000;
const utcDay = (d: Date) => Math.floor(d.getTime() / DAY_MS) * DAY_MS;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayOf = (from: string) => Date.parse(`${from}T00:00:00Z`);

interface Period {
  from: number;
  identity: string;
  raw: Doc;
}

function periods(doc: Doc | undefined): Period[] {
  const configs: Doc[] = Array.isArray(doc?.schema_config?.configs) ? doc!.schema_config.configs : [];
  return configs
    .map((c) => {
      const { from, ...rest } = c;
      return { from: dayOf(String(from)), identity: canonical(rest), raw: c };
    })
    .filter((p) => !Number.isNaN(p.from));
}

/** JSON with keys sorted at every level: two periods are the same when every field is. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Doc)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** SchemaForTime: the period whose `from <= t` and whose successor starts after t; undefined before the first. */
function periodAt(list: Period[], t: number): Period | undefined {
  let found: Period | undefined;
  for (const p of list) if (p.from <= t) found = p;
  return found;
}

/** The longest time Loki keeps data: the default and every tenant's retention_period; Infinity when retention is off. */
export function lokiRetentionMs(doc: Doc | undefined, runtime: Doc | undefined): number {
  if (!doc?.compactor?.retention_enabled) return Infinity;
  const values = [doc.limits_config?.retention_period, ...Object.values((runtime?.overrides ?? {}) as Record<string, Doc>).map((t) => t?.retention_period)]
    .filter((v) => typeof v === 'string')
    .map((v) => durationMs(v as string));
  // 0 means "keep forever" in Loki's limits.
  return values.some((v) => v === 0 || Number.isNaN(v)) ? Infinity : Math.max(0, ...values);
}

export function lokiSchemaFindings(before: Doc, after: Doc, cm: K8sObject, retentionMs: number, today: Date): Finding[] {
  const a = periods(before);
  const b = periods(after);
  const todayStart = utcDay(today);
  const oldest = retentionMs === Infinity ? -Infinity : todayStart - Math.ceil(retentionMs / DAY_MS) * DAY_MS;
  const bounds = [...new Set([...a, ...b].map((p) => p.from))].sort((x, y) => x - y);
  // Each stretch between two consecutive `from` dates is read by one period before and one after.
  const stretches = [-Infinity, ...bounds].map((start, i, all) => ({ start, end: all[i + 1] ?? Infinity }));
  const bad = stretches.filter(({ start, end }) => {
    const t = start === -Infinity ? end - 1 : start;
    if (periodAt(a, t)?.identity === periodAt(b, t)?.identity) return false;
    // Days with data: from the oldest retained day up to and including today.
    return start <= todayStart && end > oldest;
  });
  if (!bad.length) return [];
  const first = bad[0];
  const tomorrow = isoDay(todayStart + DAY_MS);
  const what = first.start === -Infinity ? `the days before ${isoDay(first.end)}` : `${isoDay(first.start)}${first.end === Infinity ? ' onwards' : ` to ${isoDay(first.end - DAY_MS)}`}`;
  const kept = retentionMs === Infinity ? 'retention is off, so every day is kept' : `retention keeps ${Math.ceil(retentionMs / DAY_MS)} days, back to ${isoDay(Math.max(oldest, first.start))}`;
  return [
    risk(
      objectKey(cm),
      `data[${LOKI_CONFIG_KEY}].schema_config.configs`,
      `schema periods change for days that already hold logs (${what}; today is ${isoDay(todayStart)} UTC and ${kept}): Loki reads each day with the period whose "from" is the latest one on or before it (schema_config.go SchemaForTime), so those days would be read with another schema, index prefix or store. The logs stay in the bucket, but no query finds them`,
      [
        `keep every existing period exactly as it is (date, store, schema, prefix)`,
        `add the new period after the last one, dated ${tomorrow} or later (a day that has not started in UTC), and synth again`,
        `sync before ${tomorrow} 00:00 UTC so every Loki pod runs the new config when the period starts`,
        `remove an old period only once retention has deleted its last day`,
      ],
    ),
  ];
}
