/**
 * Changes the API server accepts but that lose data or make it unreadable (class 3), read from the rendered
 * objects alone (so `--against <ref>` works with nothing but the two dist/ folders):
 * - Loki schema periods: which period reads a day is Loki's own rule (grafana/loki v3.7.6
 *   pkg/storage/config/schema_config.go, SchemaForTime: the period with `from <= t < next.from`). A change is
 *   safe only where it changes the period of days that have no data yet: from today's UTC midnight on there is
 *   data, and back to the longest retention (forever when retention is off).
 * - the object store (backend, bucket, endpoint, account) of Loki or Tempo;
 * - retention shortened (Loki `retention_period`, Tempo `block_retention`, per tenant too, and the bucket's
 *   noncurrent-version expiry of the cold/archive tier);
 * - a Namespace removed, or a stateful workload moved to another namespace (its PVCs stay behind);
 * - Grafana's database changed (SQLite on the PVC, or another PostgreSQL/MySQL server or database);
 * - a StatefulSet with volume claims, or a PVC, removed: the single binary's WAL or local blocks when Loki or
 *   Tempo switch mode, Grafana's SQLite;
 * - fewer Kafka partitions consumed by Tempo's block-builders;
 * - a tenant removed from Loki's or Tempo's runtime overrides, or multi-tenancy switched on or off.
 */
import { LOKI_RUNTIME_FILE } from '../loki/overrides';
import { LOKI_CONFIG_KEY, LOKI_SINGLE_TENANT } from '../loki/config';
import { TEMPO_CONFIG_KEY } from '../tempo/config';
import { TEMPO_OVERRIDES_FILE } from '../tempo/overrides';
import { durationMs } from '../config/primitives';
import { Doc, engineFile, risk } from './engine-files';
import { lokiRetentionMs, lokiSchemaFindings } from './loki-periods';
import { changedPaths, segment, valueAt } from './paths';
import { Finding, K8sObject, objectKey } from './types';
import { grafanaFindings, kafkaFindings, namespaceFindings, removedStateFindings } from './workloads';

/** The tenant Tempo files everything under when multitenancy_enabled is false (tempo pkg/util/auth.go). */
const TEMPO_SINGLE_TENANT = 'single-tenant';

// ---- object stores ---------------------------------------------------------------------------------------------

/** What names the place the data lives: backend, bucket or container, endpoint, account, local path. */
function lokiStore(doc: Doc | undefined): Doc {
  const s = doc?.common?.storage ?? {};
  return {
    s3: s.s3 && { bucketnames: s.s3.bucketnames, endpoint: s.s3.endpoint, region: s.s3.region },
    gcs: s.gcs && { bucket_name: s.gcs.bucket_name },
    azure: s.azure && { account_name: s.azure.account_name, container_name: s.azure.container_name },
    filesystem: s.filesystem && { chunks_directory: s.filesystem.chunks_directory, rules_directory: s.filesystem.rules_directory },
  };
}

function tempoStore(doc: Doc | undefined): Doc {
  const t = doc?.storage?.trace ?? {};
  return {
    backend: t.backend,
    s3: t.s3 && { bucket: t.s3.bucket, endpoint: t.s3.endpoint, region: t.s3.region },
    gcs: t.gcs && { bucket_name: t.gcs.bucket_name },
    azure: t.azure && { storage_account_name: t.azure.storage_account_name, container_name: t.azure.container_name },
    local: t.local && { path: t.local.path },
  };
}

const describeStore = (s: Doc) => JSON.stringify(JSON.parse(JSON.stringify(s)));

function storeFindings(engine: 'Loki' | 'Tempo', key: string, cm: K8sObject, before: Doc, after: Doc): Finding[] {
  const [a, b] = engine === 'Loki' ? [lokiStore(before), lokiStore(after)] : [tempoStore(before), tempoStore(after)];
  const paths = changedPaths(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
  if (!paths.length) return [];
  const what = engine === 'Loki' ? 'logs and their index' : 'trace blocks';
  return [
    risk(objectKey(cm), `data[${key}].${engine === 'Loki' ? 'common.storage' : 'storage.trace'}`, `${engine}'s object store moves from ${describeStore(a)} to ${describeStore(b)}: ${engine} reads only the new one, so every ${what.replace(/s$/, '')} written so far disappears from queries (still in the old store, which nothing deletes or reads)`, [
      `copy the old store into the new one first (aws s3 sync s3://old s3://new, gcloud storage rsync -r gs://old gs://new, or azcopy sync), with writes stopped or followed by a second sync`,
      `then sync this change; keep the old store until queries over the retention window return the old ${what}`,
    ]),
  ];
}

// ---- retention ------------------------------------------------------------------------------------------------

/** Every duration under a key named like a retention, by path. */
function retentions(doc: unknown, at = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    for (const [k, v] of Object.entries(doc)) {
      const p = `${at}${segment(k)}`;
      if ((k === 'retention_period' || k === 'block_retention') && typeof v === 'string') out.set(p.replace(/^\./, ''), v);
      else for (const [kk, vv] of retentions(v, p)) out.set(kk, vv);
    }
  }
  return out;
}

function retentionFindings(cm: K8sObject, key: string, before: Doc, after: Doc, engine: string): Finding[] {
  const a = retentions(before);
  const b = retentions(after);
  const out: Finding[] = [];
  for (const [path, was] of a) {
    const now = b.get(path);
    if (now === undefined) continue; // a removed tenant is its own finding
    const [wasMs, nowMs] = [durationMs(was), durationMs(now)];
    // 0 is "forever" in both engines.
    if (wasMs === nowMs || (wasMs !== 0 && nowMs !== 0 && nowMs > wasMs) || (wasMs === 0 && nowMs === 0) || nowMs === 0) continue;
    out.push(
      risk(objectKey(cm), `data[${key}].${path}`, `${engine} retention shortens from ${was} to ${now}: at its next run the ${engine === 'Loki' ? 'compactor' : 'backend-worker'} deletes everything older than ${now}`, [
        `export or copy what must outlive the new retention first (a copy of the bucket, or logcli/tempo-cli queries), or keep ${was}`,
        `then sync; the deletion cannot be undone (only a versioned bucket's noncurrent versions keep it, for the cold/archive window)`,
      ]),
    );
  }
  return out;
}

/** Days a versioned bucket keeps deleted (noncurrent) objects: the cold and archive tiers. */
function lifecycleFindings(before: K8sObject, after: K8sObject): Finding[] {
  const out: Finding[] = [];
  for (const path of changedPaths(before, after)) {
    if (!/noncurrentDays$/i.test(path)) continue;
    const [was, now] = [Number(valueAt(before, path)), Number(valueAt(after, path))];
    if (!(now < was)) continue;
    out.push(
      risk(objectKey(after), path, `deleted objects are kept ${now} days instead of ${was} in the bucket's noncurrent versions (the cold/archive tier): versions between ${now} and ${was} days old expire at the store's next lifecycle run`, [
        `restore or copy any noncurrent version older than ${now} days that must be kept, then sync`,
      ]),
    );
  }
  return out;
}

// ---- tenants ---------------------------------------------------------------------------------------------------

function tenantFindings(engine: 'Loki' | 'Tempo', cm: K8sObject | undefined, before: Doc | undefined, after: Doc | undefined, fallback: string | undefined): Finding[] {
  const a = Object.keys(before?.overrides ?? {});
  const b = new Set(Object.keys(after?.overrides ?? {}));
  return a
    .filter((t) => !b.has(t))
    .map((t) =>
      risk(cm ? objectKey(cm) : `ConfigMap/${engine.toLowerCase()}`, `data[overrides.yaml].overrides[${t}]`, `tenant ${t} is removed from ${engine}'s runtime overrides: its limits fall back to the defaults, so its ${before!.overrides[t]?.retention_period ?? before!.overrides[t]?.compaction?.block_retention ?? 'own'} retention becomes ${fallback ?? 'the default'} (the ${engine === 'Loki' ? 'compactor' : 'backend-worker'} deletes its older data), and nothing the stack provisions reads its data any more (it stays in the bucket under "${t}")`, [
        `if the tenant's data must be kept: copy its folder in the bucket ("${t}/" prefix) or keep the tenant until its data has aged out`,
        `stop its writers first, then sync`,
      ]),
    );
}

/**
 * Multi-tenancy switched: Loki files everything under "fake" without auth_enabled (and Tempo under "single-tenant"
 * without multitenancy_enabled), under each X-Scope-OrgID with it, so a switch either way hides what was written.
 */
function tenancyFindings(engineName: 'Loki' | 'Tempo', key: string, cm: K8sObject, before: Doc, after: Doc): Finding[] {
  const field = engineName === 'Loki' ? 'auth_enabled' : 'multitenancy_enabled';
  const [a, b] = [Boolean(before[field]), Boolean(after[field])];
  if (a === b) return [];
  const single = engineName === 'Loki' ? LOKI_SINGLE_TENANT : TEMPO_SINGLE_TENANT;
  return [
    risk(objectKey(cm), `data[${key}].${field}`, `${engineName} ${b ? 'turns multi-tenancy on' : 'turns multi-tenancy off'}: data is filed per tenant id, and everything written so far is under ${a ? 'the tenants\' ids' : `"${single}"`}, which ${b ? 'no reader sends' : `single-tenant ${engineName} no longer reads (it reads "${single}" only)`}`, [
      b
        ? `keep reading the old data: add a tenant named "${single}" to the datasources that must see it (or copy the bucket's "${single}/" prefix to the new tenant's prefix) before syncing`
        : `copy the tenant prefixes that must stay readable into "${single}/" in the bucket first, or keep multi-tenancy on`,
      `then sync; retention applies to the old data as before`,
    ]),
  ];
}

/** Every class-3 finding between two sets of rendered objects. `today` decides which schema period days hold data. */
export function dataRiskFindings(before: K8sObject[], after: K8sObject[], today: Date): Finding[] {
  const afterKeys = new Set(after.map(objectKey));
  const out: Finding[] = [];
  const lokiA = engineFile(before, 'loki', LOKI_CONFIG_KEY);
  const lokiB = engineFile(after, 'loki', LOKI_CONFIG_KEY);
  const lokiRtA = engineFile(before, 'loki', LOKI_RUNTIME_FILE);
  const lokiRtB = engineFile(after, 'loki', LOKI_RUNTIME_FILE);
  if (lokiA && lokiB) {
    out.push(...lokiSchemaFindings(lokiA.doc, lokiB.doc, lokiB.cm, lokiRetentionMs(lokiA.doc, lokiRtA?.doc), today));
    out.push(...storeFindings('Loki', LOKI_CONFIG_KEY, lokiB.cm, lokiA.doc, lokiB.doc));
    out.push(...retentionFindings(lokiB.cm, LOKI_CONFIG_KEY, lokiA.doc, lokiB.doc, 'Loki'));
    out.push(...tenancyFindings('Loki', LOKI_CONFIG_KEY, lokiB.cm, lokiA.doc, lokiB.doc));
  }
  if (lokiRtA && lokiRtB) out.push(...retentionFindings(lokiRtB.cm, LOKI_RUNTIME_FILE, lokiRtA.doc, lokiRtB.doc, 'Loki'));
  out.push(...tenantFindings('Loki', lokiRtB?.cm ?? lokiRtA?.cm, lokiRtA?.doc, lokiRtB?.doc, lokiB?.doc.limits_config?.retention_period));

  const tempoA = engineFile(before, 'tempo', TEMPO_CONFIG_KEY);
  const tempoB = engineFile(after, 'tempo', TEMPO_CONFIG_KEY);
  const tempoRtA = engineFile(before, 'tempo', TEMPO_OVERRIDES_FILE);
  const tempoRtB = engineFile(after, 'tempo', TEMPO_OVERRIDES_FILE);
  if (tempoA && tempoB) {
    out.push(...storeFindings('Tempo', TEMPO_CONFIG_KEY, tempoB.cm, tempoA.doc, tempoB.doc));
    out.push(...retentionFindings(tempoB.cm, TEMPO_CONFIG_KEY, tempoA.doc, tempoB.doc, 'Tempo'));
    out.push(...tenancyFindings('Tempo', TEMPO_CONFIG_KEY, tempoB.cm, tempoA.doc, tempoB.doc));
  }
  if (tempoRtA && tempoRtB) out.push(...retentionFindings(tempoRtB.cm, TEMPO_OVERRIDES_FILE, tempoRtA.doc, tempoRtB.doc, 'Tempo'));
  const tempoDefault = valueAt(tempoB?.doc, 'overrides.defaults.compaction.block_retention');
  out.push(...tenantFindings('Tempo', tempoRtB?.cm ?? tempoRtA?.cm, tempoRtA?.doc, tempoRtB?.doc, typeof tempoDefault === 'string' ? tempoDefault : undefined));

  for (const o of after) {
    const old = before.find((x) => objectKey(x) === objectKey(o));
    if (old && /noncurrent/i.test(JSON.stringify(o.spec ?? {}))) out.push(...lifecycleFindings(old, o));
  }
  out.push(...namespaceFindings(before, afterKeys));
  out.push(...removedStateFindings(before, after, afterKeys));
  out.push(...grafanaFindings(before, after));
  out.push(...kafkaFindings(before, after));
  return out;
}
