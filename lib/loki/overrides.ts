/**
 * Loki's runtime overrides file (`runtime_config.file`, reloaded every 10s by dskit's runtimeconfig manager;
 * parsed strictly, pkg/loki/runtime_config.go). A tenant entry starts from limits_config and overrides only
 * what it names (pkg/validation/limits.go: the defaults are installed before the file is decoded), so only
 * the tenant's own values are written.
 */
import { LokiConfig } from '../config/loki';
import { LokiTenant } from '../config/tenants';

/** Outside /etc/loki (a read-only ConfigMap mount that cannot hold another mount point). */
export const LOKI_RUNTIME_DIR = '/etc/loki-runtime';
export const LOKI_RUNTIME_FILE = 'overrides.yaml';

/** limits_config keys a tenant entry may set, with the value each takes from the tenant. */
function limits(t: LokiTenant): Record<string, string | number> {
  const entries: [string, string | number | undefined][] = [
    // Queries stop where retention ends, as for the defaults (lib/loki/tiers.ts), so the tenant's window is
    // both what is kept and what is queryable.
    ['retention_period', t.retention],
    ['max_query_lookback', t.retention],
    ['ingestion_rate_mb', t.ingestionRateMB],
    ['ingestion_burst_size_mb', t.ingestionBurstSizeMB],
    ['max_global_streams_per_user', t.maxStreams],
    ['max_query_length', t.maxQueryLength],
    ['max_query_series', t.maxQuerySeries],
    ['max_entries_limit_per_query', t.maxEntriesPerQuery],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string | number] => e[1] !== undefined));
}

/** The runtime file, or undefined when no tenant is configured. */
export function lokiRuntimeFile(loki: LokiConfig): { overrides: Record<string, Record<string, string | number>> } | undefined {
  const tenants = Object.entries(loki.tenants);
  if (!tenants.length) return undefined;
  return { overrides: Object.fromEntries(tenants.map(([id, t]) => [id, limits(t)])) };
}
