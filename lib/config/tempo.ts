import { z } from 'zod';
import { azureSettings, backend, gcsSettings, s3Settings } from './object-storage';
import { duration, durationMs, image, imageVersion, port, resources, int32Count } from './primitives';
import { IMAGES } from '../images';
import { tenantId } from './loki';
import { tempoTenantSchema } from './tenants';
import { kafkaSchema, tempoDeploymentSchema } from './deployment';

/** Tempo release lines this project renders a config for (the key lists it was checked against: 3.0.3, 2.10.8). */
export function tempoMajor(imageRef: string): 2 | 3 | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(imageVersion(imageRef));
  if (!m) return undefined;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major === 3) return 3;
  if (major === 2 && minor >= 10) return 2;
  return undefined;
}

/** Bounds for `ingestion.maxBlockBytes`: below 16 MiB blocks are cut so often that the bucket fills with tiny objects (the seed's 1 MB was one per megabyte). */
const MIN_BLOCK_BYTES = 16 * 2 ** 20;
const MAX_BLOCK_BYTES = 2 ** 30;

export const tempoSchema = z
  .strictObject({
    image: image
      .default(IMAGES.tempo)
      .refine((ref) => tempoMajor(ref) !== undefined, { error: (i) => `expected a Tempo 3.x or 2.10+ image tag (the config form follows it), got ${JSON.stringify(i.input)}` })
      .describe('Tempo image; a 2.10.x tag renders the 2.x config form (ingester/compactor), 3.x the live-store/backend-worker form'),
    backend: backend.default('s3').describe('trace storage: s3 (AWS or S3-compatible), gcs, azure, or filesystem on the PVC (dev)'),
    bucket: z.string().optional().describe('bucket (s3, gcs) or container (azure) name; required with an object store backend'),
    s3: s3Settings.describe('S3 or S3-compatible endpoint, region and credentials'),
    gcs: gcsSettings.describe('Google Cloud Storage credentials: workload identity or a key file'),
    azure: azureSettings.describe('Azure Blob Storage account and credentials: workload identity or an account key'),
    retention: z
      .strictObject({
        hot: duration.default('72h').describe('hot tier: the longest time range one search may cover (query_frontend.search.max_duration)'),
        warm: duration.default('336h').describe('warm tier: how long blocks are kept and found by trace id (block_retention)'),
        archive: duration.default('720h').describe('archive tier: deleted blocks kept as noncurrent bucket versions until then (bucket lifecycle rule)'),
      })
      .prefault({})
      .superRefine((r, ctx) => {
        for (const [tier, value] of Object.entries(r)) {
          if (durationMs(value) === 0) ctx.addIssue({ code: 'custom', path: [tier], message: `expected a retention longer than 0s, got ${JSON.stringify(value)} (0 would mean "keep nothing" or "no limit" depending on the setting)` });
        }
      })
      .describe('retention tiers, hot <= warm <= archive'),
    ports: z
      .strictObject({
        http: port.default(3200).describe('HTTP API and query port'),
        grpc: port.default(9095).describe('internal gRPC port'),
        otlpGrpc: port.default(4317).describe('OTLP gRPC receiver'),
        otlpHttp: port.default(4318).describe('OTLP HTTP receiver'),
      })
      .prefault({}),
    ingestion: z
      .strictObject({
        traceIdlePeriod: duration.default('10s').describe('a trace with no new span for this long is cut (3.x live_store.max_trace_idle, 2.x ingester.trace_idle_period)'),
        traceLivePeriod: duration.default('30s').describe('a trace is cut at the latest after this long (3.x live_store.max_trace_live, 2.x ingester.trace_live_period)'),
        maxBlockBytes: z
          .number()
          .int()
          .min(MIN_BLOCK_BYTES, { error: (i) => `expected at least ${MIN_BLOCK_BYTES} bytes (16 MiB; smaller blocks flood the bucket with tiny objects), got ${JSON.stringify(i.input)}` })
          .max(MAX_BLOCK_BYTES, { error: (i) => `expected at most ${MAX_BLOCK_BYTES} bytes (1 GiB; a block is built in memory), got ${JSON.stringify(i.input)}` })
          .optional()
          .describe("cut a block at this size, 16 MiB to 1 GiB; unset keeps the release's default (3.x live_store 50 MiB, 2.x ingester 500 MiB)"),
        maxBlockDuration: duration.default('5m').describe('cut a block at this age'),
      })
      .prefault({}),
    pool: z
      .strictObject({
        maxWorkers: z.number().int().positive().default(100).describe('storage.trace.pool.max_workers'),
        queueDepth: z.number().int().positive().default(10_000).describe('storage.trace.pool.queue_depth'),
      })
      .prefault({}),
    limits: z
      .strictObject({
        maxBytesPerTrace: z.number().int().positive().default(5_000_000).describe('overrides.defaults.global.max_bytes_per_trace'),
        maxTracesPerUser: z.number().int().positive().default(10_000).describe('overrides.defaults.ingestion.max_traces_per_user (live traces per tenant)'),
      })
      .prefault({}),
    authEnabled: z
      .boolean()
      .default(false)
      .describe('multi-tenant mode (multitenancy_enabled): every request must carry X-Scope-OrgID; the collector and Grafana send tenantId'),
    tenantId: tenantId.optional().describe('tenant the collector writes traces to and Grafana reads from; required when authEnabled is true'),
    tenants: z
      .record(tenantId, tempoTenantSchema)
      .default({})
      .describe('per-tenant limits (runtime overrides file, reloaded without a restart); each entry carries every default too, since Tempo replaces rather than merges; needs authEnabled'),
    metricsGenerator: z
      .strictObject({
        enabled: z.boolean().default(true).describe("service graphs and span metrics remote-written to prometheus.url (Grafana's service map needs them)"),
      })
      .prefault({}),
    storageGiB: int32Count('GiB', 1).default(10).describe('PVC size for the WAL and local blocks'),
    resources: resources({ cpu: '500m', memory: '2Gi', memoryLimit: '4Gi' }),
    deployment: tempoDeploymentSchema.describe('single binary (one replica) or distributed on Kafka (Tempo 3); see README "Scaling"'),
    kafka: kafkaSchema.optional().describe('the Kafka topic distributed Tempo ingests through (required in distributed mode)'),
  })
  .superRefine((t, ctx) => {
    if (t.authEnabled && !t.tenantId) {
      ctx.addIssue({ code: 'custom', path: ['tenantId'], message: 'missing, expected a tenant id when authEnabled is true (the collector and Grafana send it as X-Scope-OrgID)' });
    }
    if (!t.authEnabled && t.tenantId) {
      ctx.addIssue({ code: 'custom', path: ['tenantId'], message: `expected no tenantId when authEnabled is false (single-tenant Tempo ignores it), got ${JSON.stringify(t.tenantId)}` });
    }
    const tenants = Object.keys(t.tenants);
    if (tenants.length && !t.authEnabled) {
      ctx.addIssue({ code: 'custom', path: ['tenants'], message: `expected authEnabled: true with tenants (single-tenant Tempo files everything under "single-tenant", so ${JSON.stringify(tenants[0])} would never match), got authEnabled false` });
    }
    if (durationMs(t.ingestion.traceIdlePeriod) > durationMs(t.ingestion.traceLivePeriod)) {
      ctx.addIssue({ code: 'custom', path: ['ingestion', 'traceIdlePeriod'], message: `expected at most traceLivePeriod (${t.ingestion.traceLivePeriod}), got ${JSON.stringify(t.ingestion.traceIdlePeriod)} (Tempo refuses to start otherwise)` });
    }
  })
  .prefault({});
export type TempoConfig = z.infer<typeof tempoSchema>;
