import { z } from 'zod';
import { azureSettings, backend, gcsSettings, s3Settings } from './object-storage';
import { duration, durationMs, image, port, resources } from './primitives';
import { IMAGES } from '../images';
import { lokiTenantSchema } from './tenants';
import { lokiDeploymentSchema } from './deployment';

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** A calendar date as Loki's schema_config reads it (`from`, UTC day boundary). */
const isoDate = z
  .string({ error: (i) => `expected a date like "2024-01-01", got ${show(i.input)}` })
  .refine(
    (s) => {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
      if (!m) return false;
      const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
      return d.toISOString().slice(0, 10) === s;
    },
    { error: (i) => `expected a date like "2024-01-01" (YYYY-MM-DD), got ${show(i.input)}` },
  );

/**
 * One schema period. Only index stores Loki 3.7 still reads are offered: `tsdb` (current) and
 * `boltdb-shipper` (deprecated, kept so teams migrating from the seed's v11 setup keep reading old data).
 * The object store of every period is the one `loki.backend` configures: a period on a store that is not
 * configured could not be read. Index period is fixed at 24h, which compactor retention requires
 * (https://grafana.com/docs/loki/latest/operations/storage/retention/).
 */
const schemaPeriod = z.strictObject({
  from: isoDate.describe('first day (UTC) this period applies to, YYYY-MM-DD'),
  store: z.enum(['tsdb', 'boltdb-shipper']).default('tsdb').describe('index store'),
  schema: z.enum(['v11', 'v12', 'v13']).default('v13').describe('chunk and index schema version'),
  indexPrefix: z
    .string()
    .regex(/^[a-z0-9_]+$/, { error: (i) => `expected lowercase letters, digits and "_", got ${show(i.input)}` })
    .default('loki_index_')
    .describe('index table prefix (the seed used loki_index_; keep an existing period\'s prefix unchanged)'),
});
export type LokiSchemaPeriod = z.infer<typeof schemaPeriod>;

/**
 * Tenant ids Loki accepts (dskit tenant.ValidTenantID): up to 150 of [a-zA-Z0-9!-_.*'()], not "." or "..";
 * `|` is refused because Loki reads it as a multi-tenant query separator.
 */
export const tenantId = z
  .string({ error: (i) => `expected a tenant id, got ${show(i.input)}` })
  .regex(/^[a-zA-Z0-9!\-_.*'()]{1,150}$/, { error: (i) => `expected 1-150 characters of a-z, A-Z, 0-9, !-_.*'(), got ${show(i.input)}` })
  .refine((s) => s !== '.' && s !== '..', { error: (i) => `expected a tenant id other than "." or "..", got ${show(i.input)}` });

export const lokiSchema = z
  .strictObject({
    image: image.default(IMAGES.loki).describe('Loki image (3.x)'),
    authEnabled: z
      .boolean()
      .default(false)
      .describe('multi-tenant mode (auth_enabled): every request must carry X-Scope-OrgID; the log agent (Promtail or Alloy) and Grafana send tenantId'),
    tenantId: tenantId.optional().describe('tenant the log agent writes to and Grafana reads from; required when authEnabled is true'),
    tenants: z
      .record(tenantId, lokiTenantSchema)
      .default({})
      .describe('per-tenant limits (runtime overrides file, reloaded without a restart); needs authEnabled'),
    backend: backend.default('s3').describe('chunk and index storage: s3 (AWS or S3-compatible), gcs, azure, or filesystem on the PVC (dev)'),
    bucket: z.string().optional().describe('bucket (s3, gcs) or container (azure) name; required with an object store backend'),
    s3: s3Settings.describe('S3 or S3-compatible endpoint, region and credentials'),
    gcs: gcsSettings.describe('Google Cloud Storage credentials: workload identity or a key file'),
    azure: azureSettings.describe('Azure Blob Storage account and credentials: workload identity or an account key'),
    schemaPeriods: z
      .array(schemaPeriod)
      .min(1, { error: 'expected at least one schema period' })
      .default([{ from: '2024-01-01', store: 'tsdb', schema: 'v13', indexPrefix: 'loki_index_' }])
      .describe('schema_config periods in ascending date order; the last one must be tsdb + v13 (list older boltdb-shipper periods only while their data is retained)'),
    ingester: z
      .strictObject({
        chunkIdlePeriod: duration.default('3m').describe('flush a chunk that received nothing for this long'),
        chunkRetainPeriod: duration.default('1m').describe('keep a flushed chunk in memory this long'),
        maxChunkAge: duration.default('1h').describe('flush a chunk at this age even if it is still written to'),
        chunkEncoding: z
          .enum(['none', 'gzip', 'lz4-64k', 'snappy', 'lz4-256k', 'lz4-1M', 'lz4', 'flate', 'zstd'])
          .default('gzip')
          .describe('chunk compression (the seed asks for gzip: smallest objects, more CPU than snappy)'),
      })
      .prefault({}),
    rejectOldSamplesMaxAge: duration.default('168h').describe('refuse lines older than this (reject_old_samples is always on)'),
    queryTimeout: duration
      .default('1m')
      .describe("longest a query may run, 1s to 24h (limits_config.query_timeout; 1m is Loki's default); the HTTP servers' write timeout is set to twice this"),
    retention: z
      .strictObject({
        hot: duration.default('168h').describe('index files kept on the PVC after a query (tsdb_shipper.cache_ttl)'),
        warm: duration.default('720h').describe('logs are queryable this long, then the compactor deletes them (retention_period and max_query_lookback, at least 24h)'),
        cold: duration.default('2160h').describe('deleted logs kept in Glacier as noncurrent bucket versions until this age (bucket lifecycle rule; needs bucketLifecycle.controller)'),
      })
      .prefault({})
      .superRefine((r, ctx) => {
        for (const [tier, value] of Object.entries(r)) {
          if (durationMs(value) === 0) ctx.addIssue({ code: 'custom', path: [tier], message: `expected a retention longer than 0s, got ${JSON.stringify(value)} (0 would mean "keep nothing" or "no limit" depending on the setting)` });
        }
      })
      .describe('retention tiers, hot <= warm <= cold'),
    ports: z
      .strictObject({
        http: port.default(3100).describe('HTTP API (push and query)'),
        grpc: port.default(9095).describe('gRPC port'),
      })
      .prefault({}),
    storageGiB: z.number().int().positive().default(50).describe('PVC size for the WAL, index cache and compactor'),
    resources: resources({ cpu: '500m', memory: '1Gi', memoryLimit: '2Gi' }),
    deployment: lokiDeploymentSchema.describe('single binary (1 replica, or 3+ for HA) or distributed (one workload per target); see README "Scaling"'),
  })
  .superRefine((loki, ctx) => {
    if (loki.authEnabled && !loki.tenantId) {
      ctx.addIssue({ code: 'custom', path: ['tenantId'], message: 'missing, expected a tenant id when authEnabled is true (Promtail and Grafana send it as X-Scope-OrgID)' });
    }
    if (!loki.authEnabled && loki.tenantId) {
      ctx.addIssue({ code: 'custom', path: ['tenantId'], message: `expected no tenantId when authEnabled is false (single-tenant Loki ignores it), got ${show(loki.tenantId)}` });
    }
    const tenants = Object.entries(loki.tenants);
    if (tenants.length && !loki.authEnabled) {
      ctx.addIssue({ code: 'custom', path: ['tenants'], message: `expected authEnabled: true with tenants (single-tenant Loki files everything under "fake", so ${show(tenants[0][0])} would never match), got authEnabled false` });
    }
    for (const [id, t] of tenants) {
      if (t.retention && durationMs(t.retention) < 24 * 3_600_000) {
        ctx.addIssue({ code: 'custom', path: ['tenants', id, 'retention'], message: `expected at least 24h (Loki's minimum retention_period), got ${show(t.retention)}` });
      }
    }
    // A zero timeout expires every query at once (pkg/querier/http.go WrapQuerySpanAndTimeout). The upper bound
    // keeps the derived write timeout (twice this) a duration Go can hold, and a querier from being held for days.
    if (durationMs(loki.queryTimeout) < 1000 || durationMs(loki.queryTimeout) > 24 * 3_600_000) {
      ctx.addIssue({ code: 'custom', path: ['queryTimeout'], message: `expected 1s to 24h, got ${show(loki.queryTimeout)}` });
    }
    // Loki's documented minimum retention (operations/storage/retention.md): the compactor works in whole 24h tables.
    if (durationMs(loki.retention.warm) < 24 * 3_600_000) {
      ctx.addIssue({ code: 'custom', path: ['retention', 'warm'], message: `expected at least 24h (Loki's minimum retention_period), got ${show(loki.retention.warm)}` });
    }
    const periods = loki.schemaPeriods;
    for (let i = 1; i < periods.length; i++) {
      if (periods[i].from <= periods[i - 1].from) {
        ctx.addIssue({
          code: 'custom',
          path: ['schemaPeriods', i, 'from'],
          message: `expected a date after the previous period's ${show(periods[i - 1].from)} (periods in ascending order), got ${show(periods[i].from)}`,
        });
      }
    }
    const last = periods[periods.length - 1];
    if (last && (last.store !== 'tsdb' || last.schema !== 'v13')) {
      ctx.addIssue({
        code: 'custom',
        path: ['schemaPeriods', periods.length - 1],
        message: `expected the last period to be store tsdb with schema v13 (Loki 3 needs it), got store ${last.store} with schema ${last.schema}`,
      });
    }
  })
  .prefault({});
export type LokiConfig = z.infer<typeof lokiSchema>;
