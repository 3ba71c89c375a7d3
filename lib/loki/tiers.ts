/**
 * The seed's three log tiers (hot 7d, warm 30d, cold 90d in Glacier) mapped onto what Loki 3 and S3 really
 * do. Loki has no tier keys: it has one retention per tenant (operations/storage/retention.md), so each tier
 * drives a different mechanism:
 * - hot: how long TSDB index files fetched for a query stay on the PVC (`storage_config.tsdb_shipper.cache_ttl`),
 *   so recent queries are answered from local disk instead of re-downloading the index from the bucket;
 * - warm: how long logs can be queried. The compactor deletes them then (`compactor.retention_enabled` +
 *   `limits_config.retention_period`), and `limits_config.max_query_lookback` cuts queries at the same age
 *   exactly, instead of whenever the next compactor run (every 10m, plus a 2h delete delay) gets to them;
 * - cold: with bucket versioning, Loki's deletes only make objects noncurrent. A lifecycle rule
 *   (lib/k8s/bucket-lifecycle.ts, the same as Tempo's archive tier) moves those noncurrent versions to
 *   Glacier a day later and expires them at the cold age. Loki never reads a noncurrent version, so no
 *   query can touch an object in Glacier, which Loki could not read.
 */
import { LokiConfig } from '../config/loki';
import { durationMs } from '../config/primitives';
import { daysCovering, NoncurrentRules } from '../lifecycle';

export interface LokiTiers {
  /** storage_config.tsdb_shipper.cache_ttl */
  readonly indexCacheTtl: string;
  /** limits_config.max_query_lookback */
  readonly maxQueryLookback: string;
  /** limits_config.retention_period */
  readonly retentionPeriod: string;
  /** The cold tier's lifecycle rule, or undefined when cold is not longer than warm (no archive to keep). */
  readonly archive: NoncurrentRules | undefined;
}

/** Days after deletion before noncurrent versions go to Glacier (S3 counts noncurrent days from 1). */
const GLACIER_AFTER_DAYS = 1;

export function lokiTiers(retention: LokiConfig['retention']): LokiTiers {
  const archiveMs = durationMs(retention.cold) - durationMs(retention.warm);
  const expireAfterDays = daysCovering(archiveMs);
  return {
    indexCacheTtl: retention.hot,
    maxQueryLookback: retention.warm,
    retentionPeriod: retention.warm,
    archive:
      archiveMs > 0
        ? {
            expireAfterDays,
            // S3 refuses a transition that is not before the expiration.
            ...(expireAfterDays > GLACIER_AFTER_DAYS ? { glacierAfterDays: GLACIER_AFTER_DAYS } : {}),
          }
        : undefined,
  };
}
