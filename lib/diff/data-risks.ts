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
import { load } from 'js-yaml';
import { LOKI_RUNTIME_FILE } from '../loki/overrides';
import { LOKI_CONFIG_KEY, LOKI_SINGLE_TENANT } from '../loki/config';
import { TEMPO_CONFIG_KEY } from '../tempo/config';
import { TEMPO_OVERRIDES_FILE } from '../tempo/overrides';
import { durationMs } from '../config/primitives';
import { changedPaths, segment, valueAt } from './paths';
import { ChangeClass, Finding, K8sObject, objectKey } from './types';

type Doc = Record<string, any>;
const DAY_MS = 86_400_000;
/** The tenant Tempo files everything under when multitenancy_enabled is false (tempo pkg/util/auth.go). */
const TEMPO_SINGLE_TENANT = 'single-tenant';

function risk(object: string, path: string, reason: string, procedure: string[]): Finding {
  return { class: ChangeClass.RisksData, object, path, reason, procedure };
}

const appName = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/name'];
/** The engine an object belongs to: `loki` for `loki` and for distributed `loki-ingester`. */
const engine = (o: K8sObject) => appName(o)?.split('-')[0];
const ns = (o: K8sObject) => (o.metadata.namespace ? ` -n ${o.metadata.namespace}` : '');

/** A component config file in a ConfigMap of the engine (`app.kubernetes.io/name`), parsed. */
function engineFile(objs: K8sObject[], app: string, key: string): { cm: K8sObject; doc: Doc } | undefined {
  const cm = objs.find((o) => o.kind === 'ConfigMap' && engine(o) === app && typeof o.data?.[key] === 'string');
  if (!cm) return undefined;
  try {
    const doc = load(cm.data[key], { maxAliases: 0 });
    return doc && typeof doc === 'object' ? { cm, doc: doc as Doc } : undefined;
  } catch {
    return undefined;
  }
}

const utcDay = (d: Date) => Math.floor(d.getTime() / DAY_MS) * DAY_MS;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayOf = (from: string) => Date.parse(`${from}T00:00:00Z`);

// ---- Loki schema periods ---------------------------------------------------------------------------------------

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
function lokiRetentionMs(doc: Doc | undefined, runtime: Doc | undefined): number {
  if (!doc?.compactor?.retention_enabled) return Infinity;
  const values = [doc.limits_config?.retention_period, ...Object.values((runtime?.overrides ?? {}) as Record<string, Doc>).map((t) => t?.retention_period)]
    .filter((v) => typeof v === 'string')
    .map((v) => durationMs(v as string));
  // 0 means "keep forever" in Loki's limits.
  return values.some((v) => v === 0 || Number.isNaN(v)) ? Infinity : Math.max(0, ...values);
}

function lokiSchemaFindings(before: Doc, after: Doc, cm: K8sObject, retentionMs: number, today: Date): Finding[] {
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

// ---- stateful objects removed, namespaces, Grafana's database, Kafka -------------------------------------------

/** The container port named `http` of a workload (Services and probes use the same one). */
function httpPort(o: K8sObject): number | undefined {
  for (const c of o.spec?.template?.spec?.containers ?? []) {
    const p = (c.ports ?? []).find((x: { name?: string }) => x.name === 'http');
    if (p) return Number(p.containerPort);
  }
  return undefined;
}

/**
 * How to get what a stateful engine pod holds only locally into the object store before the pod goes. Through a
 * port-forward with curl on the operator's machine, so nothing depends on tools inside the image.
 * - Loki: `POST /flush` writes every ingester's in-memory chunks to the store (grafana/loki v3.7.6
 *   pkg/loki/modules.go initIngester registers it on the HTTP server, without the tenant middleware); the gauge
 *   loki_ingester_memory_chunks (pkg/ingester/metrics.go) reaches 0 when nothing is left in memory.
 * - Tempo 3 has no flush endpoint (cmd/tempo/app/modules.go v3.0.3 registers only /live-store/prepare-*); a
 *   live-store completes a block after max_block_duration and its lifecycle writes it to the backend, while on
 *   shutdown it only cuts traces to the WAL on its volume (modules/livestore/live_store.go stopping). So: stop
 *   the writers and wait out max_block_duration.
 */
function flushProcedure(o: K8sObject, replicas: number, objs: K8sObject[]): string[] {
  const app = engine(o);
  const pods = Array.from({ length: Math.max(1, replicas) }, (_, i) => `${o.metadata.name}-${i}`);
  if (app === 'loki') {
    const doc = engineFile(objs, 'loki', LOKI_CONFIG_KEY)?.doc;
    const port = httpPort(o) ?? doc?.server?.http_listen_port;
    const tls = Boolean(doc?.server?.http_tls_config);
    return [
      ...pods.map((p) => `kubectl${ns(o)} port-forward pod/${p} ${port}:${port}, and meanwhile: curl ${tls ? '-k ' : ''}-X POST ${tls ? 'https' : 'http'}://localhost:${port}/flush   (Loki writes its in-memory chunks to the object store${tls ? '; -k because the certificate names the Service, not localhost' : ''})`),
      `wait until loki_ingester_memory_chunks is 0 for ${pods.length > 1 ? 'each of these pods' : 'the pod'}, then sync`,
      ...(doc?.common?.storage?.filesystem ? [`backend: filesystem keeps the chunks themselves on these PVCs: copy /var/loki out first (kubectl cp ${pods[0]}:/var/loki ./loki-data${ns(o) ? ` -n ${o.metadata.namespace}` : ''}), or stay on the current mode`] : []),
    ];
  }
  if (app === 'tempo') {
    const doc = engineFile(objs, 'tempo', TEMPO_CONFIG_KEY)?.doc;
    const blockDuration = doc?.live_store?.max_block_duration ?? doc?.ingester?.max_block_duration ?? '5m';
    const gateway = objs.find((x) => x.kind === 'Deployment' && /gateway$/.test(x.metadata.name) && x.metadata.namespace === o.metadata.namespace);
    return [
      gateway
        ? `stop new traces: kubectl${ns(gateway)} scale deployment ${gateway.metadata.name} --replicas=0 (senders retry or drop meanwhile), or accept losing the last ${blockDuration} of traces`
        : `stop the writers, or accept losing the last ${blockDuration} of traces`,
      `wait ${blockDuration} plus a minute: Tempo completes its open blocks and writes them to the backend (on shutdown it only writes them to the WAL on its volume)`,
      ...(doc?.storage?.trace?.backend === 'local' ? [`backend: filesystem keeps the blocks themselves on these PVCs: copy /var/tempo out first (kubectl cp ${pods[0]}:/var/tempo ./tempo-data${ns(o) ? ` -n ${o.metadata.namespace}` : ''}), or stay on the current mode`] : []),
      `sync${gateway ? `, then scale ${gateway.metadata.name} back` : ''}`,
    ];
  }
  return [`copy what the pods keep on their volumes (kubectl cp) before syncing, or keep the workload`];
}

/** The `-target=` a Loki or Tempo container runs (`all` for the single binary). */
function targetOf(o: K8sObject): string | undefined {
  for (const c of o.spec?.template?.spec?.containers ?? []) {
    for (const arg of c.args ?? []) {
      const m = /^-target=(.+)$/.exec(String(arg));
      if (m) return m[1];
    }
  }
  return undefined;
}

/**
 * Whether a workload's volumes hold data found nowhere else. Loki: the single binary and ingesters (WAL, chunks
 * not yet flushed); an index gateway's or compactor's volume is cache and work space rebuilt from the store. Tempo:
 * the single binary (its live-store writes pushed traces only to its own WAL until a block completes); in
 * distributed mode every record is in Kafka until the block-builders flush it (lost only when Kafka partitions stop
 * being consumed: kafkaFindings), so a live-store's or block-builder's volume is not the only copy.
 * Anything else with volume claims is treated as holding data.
 */
function holdsOnlyCopy(o: K8sObject): boolean {
  const app = engine(o);
  const target = targetOf(o);
  if (app === 'loki') return target === undefined || target === 'all' || target.split(',').includes('ingester') || target === 'write';
  if (app === 'tempo') return target === undefined || target === 'all';
  return true;
}

function removedStateFindings(before: K8sObject[], after: K8sObject[], afterKeys: Set<string>): Finding[] {
  const out: Finding[] = [];
  for (const o of before) {
    if (afterKeys.has(objectKey(o))) continue;
    const movedTo = after.find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name && x.metadata.namespace !== o.metadata.namespace);
    if (o.kind === 'StatefulSet' && (o.spec?.volumeClaimTemplates ?? []).length && holdsOnlyCopy(o)) {
      const claims = (o.spec.volumeClaimTemplates as K8sObject[]).map((t) => `${t.metadata.name}-${o.metadata.name}-<n>`).join(', ');
      const successor = after.filter((x) => x.kind === 'StatefulSet' && engine(x) === engine(o) && x.metadata.name !== o.metadata.name && !before.some((y) => objectKey(y) === objectKey(x))).map((x) => x.metadata.name);
      out.push(
        risk(objectKey(o), '(object)', `${movedTo ? `moves to namespace ${movedTo.metadata.namespace}` : 'is removed'}${successor.length ? ` (${successor.join(', ')} take${successor.length === 1 ? 's' : ''} over)` : ''}: Argo CD or Flux delete it and its pods; its PVCs (${claims}) stay behind unread, so what is only on them (write-ahead log, blocks not yet flushed, local index${appName(o) === 'grafana' ? ', the database' : ''}) is lost to the new pods`, flushProcedure(o, Number(o.spec?.replicas ?? 1), before)),
      );
    } else if (o.kind === 'PersistentVolumeClaim') {
      out.push(
        risk(objectKey(o), '(object)', `the PVC ${movedTo ? `moves to namespace ${movedTo.metadata.namespace}` : 'is removed'}: pruning deletes it, and with the usual reclaim policy Delete its volume and everything on it${appName(o) === 'grafana' ? ' (Grafana\'s SQLite database: users, dashboards saved in the UI, alert rules, API keys)' : ''}`, [
          `kubectl get pv $(kubectl${ns(o)} get pvc ${o.metadata.name} -o jsonpath='{.spec.volumeName}') -o jsonpath='{.spec.persistentVolumeReclaimPolicy}'; if it says Delete: kubectl patch pv <that volume> -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`,
          `copy the data where it goes next (kubectl cp from a pod that mounts it), then sync`,
        ]),
      );
    }
  }
  return out;
}

function namespaceFindings(before: K8sObject[], afterKeys: Set<string>): Finding[] {
  const findings: Finding[] = [];
  for (const n of before.filter((o) => o.kind === 'Namespace' && !afterKeys.has(objectKey(o)))) {
    const name = n.metadata.name;
    const stateful = before.filter((o) => o.metadata.namespace === name && (o.kind === 'PersistentVolumeClaim' || (o.kind === 'StatefulSet' && (o.spec?.volumeClaimTemplates ?? []).length)));
    findings.push(
      risk(objectKey(n), '(object)', `namespace ${name} is removed (moved): pruning it deletes every object in it, PVCs included${stateful.length ? ` (${stateful.map(objectKey).join(', ')})` : ''}, and the Secrets you created there (object-store credentials, Grafana's admin password and secret key); the new namespace starts with empty volumes and without those Secrets`, [
        `create the Secrets the stack reads in the new namespace first (kubectl get secret <name> -n ${name} -o yaml, edit the namespace, apply)`,
        `for each PV bound in ${name}: kubectl patch pv <volume> -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`,
        `flush Loki and let Tempo complete its blocks, so nothing is only on their volumes (the commands are listed with their StatefulSets)`,
        `sync with pruning off (Argo CD: --prune=false; Flux: prune: false on the Kustomization) so ${name} survives, move or copy what the volumes hold, then delete ${name} by hand`,
      ]),
    );
  }
  return findings;
}

const GRAFANA_DB_ENV = ['GF_DATABASE_TYPE', 'GF_DATABASE_HOST', 'GF_DATABASE_NAME'];

function grafanaDatabase(objs: K8sObject[]): { deployment: K8sObject; db: string } | undefined {
  const d = objs.find((o) => o.kind === 'Deployment' && engine(o) === 'grafana');
  const c = (d?.spec?.template?.spec?.containers ?? []).find((x: { name: string }) => x.name === 'grafana');
  if (!d || !c) return undefined;
  const env = new Map<string, string>((c.env ?? []).filter((e: { value?: string }) => typeof e.value === 'string').map((e: { name: string; value: string }) => [e.name, e.value]));
  const type = env.get('GF_DATABASE_TYPE') ?? 'sqlite3';
  return { deployment: d, db: type === 'sqlite3' ? 'SQLite on its PVC' : `${type} ${env.get('GF_DATABASE_NAME') ?? 'grafana'} on ${env.get('GF_DATABASE_HOST') ?? '(default host)'}` };
}

function grafanaFindings(before: K8sObject[], after: K8sObject[]): Finding[] {
  const a = grafanaDatabase(before);
  const b = grafanaDatabase(after);
  if (!a || !b || a.db === b.db) return [];
  const d = b.deployment;
  return [
    risk(objectKey(d), `spec.template.spec.containers[grafana].env[${GRAFANA_DB_ENV.join('|')}]`, `Grafana's database changes from ${a.db} to ${b.db}: Grafana starts on an empty database and nothing is migrated: every user, team, dashboard saved in the UI, folder permission, alert rule, contact point and API key stays behind (provisioned datasources and dashboards come back from dist/)`, [
      `kubectl${ns(d)} scale deployment ${d.metadata.name} --replicas=0`,
      a.db.startsWith('SQLite')
        ? `copy /var/lib/grafana/grafana.db out of the PVC and load it into the new database (pgloader for PostgreSQL, or a SQLite-to-MySQL migration tool) before Grafana first starts on it`
        : `dump the old database and restore it into the new one (pg_dump | pg_restore, mysqldump | mysql)`,
      `then sync; keep the old database (and the grafana PVC) until users, dashboards and alert rules are checked`,
    ]),
  ];
}

/**
 * The Kafka partitions that hold Tempo's data: one per live-store ordinal (distributors write only to partitions a
 * live-store owns), and the ones the block-builders consume: ordinal k takes k·P … k·P+P-1
 * (tempo modules/blockbuilder/config.go, P = block_builder.partitions_per_instance).
 */
function partitions(objs: K8sObject[]): { written: number; consumed: number; builders?: K8sObject; liveStores: K8sObject[]; perInstance: number } | undefined {
  const tempo = engineFile(objs, 'tempo', TEMPO_CONFIG_KEY)?.doc;
  const perInstance = Number(tempo?.block_builder?.partitions_per_instance);
  const statefulSets = objs.filter((o) => o.kind === 'StatefulSet' && engine(o) === 'tempo');
  const builders = statefulSets.find((o) => o.metadata.name.endsWith('block-builder'));
  const liveStores = statefulSets.filter((o) => o.metadata.name.includes('live-store'));
  if (!builders || !perInstance || !liveStores.length) return undefined;
  return { written: Math.max(...liveStores.map((o) => Number(o.spec?.replicas ?? 1))), consumed: perInstance * Number(builders.spec?.replicas ?? 1), builders, liveStores, perInstance };
}

function kafkaFindings(before: K8sObject[], after: K8sObject[]): Finding[] {
  const a = partitions(before);
  const b = partitions(after);
  if (a && !b && a.builders && !after.some((o) => objectKey(o) === objectKey(a.builders!))) {
    return [
      risk(objectKey(a.builders), '(object)', `Tempo leaves Kafka: the block-builders go, so records in partitions 0-${a.written - 1} that are not yet in blocks are never written to the backend`, [
        `stop the distributors writing (scale them to 0) and wait until the block-builders have consumed every partition to the end (their consumer-group lag is 0)`,
        `then sync`,
      ]),
    ];
  }
  if (!a || !b) return [];
  const out: Finding[] = [];
  const lag = 'until the block-builders have consumed those partitions to the end (their consumer-group lag on them is 0)';
  if (b.written < a.written) {
    const gone = `${b.written}-${a.written - 1}`;
    out.push(
      risk(objectKey(b.liveStores[0]), 'spec.replicas', `Tempo writes to fewer Kafka partitions: live-stores own partitions 0-${b.written - 1} per zone instead of 0-${a.written - 1}. Removing the live-stores of partitions ${gone} without marking them INACTIVE first leaves them in the partition ring with no owner (recent-data queries fail) and their recent traces unreadable until flushed`, [
        ...a.liveStores.map((s) => `for each pod ${s.metadata.name}-<p>, p in ${gone}: kubectl${ns(s)} exec ${s.metadata.name}-<p> -- wget -qO- --post-data='' http://localhost:3200/live-store/prepare-partition-downscale`),
        `wait ${lag}`,
        `then sync; Kafka keeps the partitions (a topic never loses partitions), they just stay unused`,
      ]),
    );
  }
  if (b.consumed < a.written) {
    out.push(
      risk(objectKey(b.builders!), 'spec.replicas × block_builder.partitions_per_instance', `Tempo's block-builders consume partitions 0-${b.consumed - 1} instead of 0-${Math.max(a.consumed, a.written) - 1} (${b.builders!.spec?.replicas ?? 1} × ${b.perInstance}): records in partitions ${b.consumed}-${a.written - 1} that are not yet in blocks never reach the backend and are gone when Kafka's retention drops them`, [
        `keep the block-builders covering every partition a live-store owns (replicas × partitions_per_instance ≥ live-stores per zone)`,
        `to retire partitions: mark them INACTIVE first (POST /live-store/prepare-partition-downscale on their live-stores) and wait ${lag}, then sync`,
      ]),
    );
  }
  return out;
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
