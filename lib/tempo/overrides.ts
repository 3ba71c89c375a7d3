/**
 * Tempo's per-tenant runtime overrides file (`overrides.per_tenant_override_config`, reloaded every 10s;
 * scoped format, the only one 3.0 accepts and the one 2.10 reads first).
 *
 * A tenant entry REPLACES the defaults: Tempo looks up tenant → "*" → overrides.defaults and returns the
 * first entry found as is (modules/overrides/runtime_config_overrides.go getOverridesForUser), and an entry is
 * decoded onto a zero value (Overrides.UnmarshalYAML), so every field it leaves out is 0 or empty. For most
 * limits that means "unlimited", for the ingestion rate and burst it means a zero budget, and for
 * block_retention it falls back to the process default. So each tenant entry here is built from
 * 1. the values Tempo's own flags install in overrides.defaults for this release line (ENGINE_DEFAULTS,
 *    from modules/overrides/config.go RegisterFlagsAndApplyDefaults at v3.0.3 and v2.10.8, which differ:
 *    3.0 raised the ingestion rate and burst from 15/20 MB to 30/30 MB),
 * 2. the `overrides.defaults` this project renders (retention, trace limits, processors, ...),
 * 3. the tenant's own values,
 * in that order, so a tenant never silently loses a default.
 */
import { TempoConfig } from '../config/tempo';
import { TempoTenant } from '../config/tenants';

/** Where the overrides ConfigMap is mounted (a directory, no subPath: kubelet updates reach the pod). */
export const TEMPO_OVERRIDES_DIR = '/runtime-config';
export const TEMPO_OVERRIDES_FILE = 'overrides.yaml';

type Tree = { [key: string]: unknown };

const GENERATOR_DEFAULTS: Tree = {
  generate_native_histograms: 'classic',
  native_histogram_bucket_factor: 1.1,
  native_histogram_max_bucket_number: 100,
  native_histogram_min_reset_duration: '15m',
};

export const ENGINE_DEFAULTS: Record<2 | 3, Tree> = {
  3: {
    ingestion: { rate_limit_bytes: 30_000_000, burst_size_bytes: 30_000_000, max_traces_per_user: 10_000, retry_info_enabled: true },
    global: { max_bytes_per_trace: 5_000_000 },
    read: { max_bytes_per_tag_values_query: 1_000_000, max_condition_groups_per_tag_query: 100 },
    metrics_generator: GENERATOR_DEFAULTS,
  },
  2: {
    ingestion: { rate_limit_bytes: 15_000_000, burst_size_bytes: 20_000_000, max_traces_per_user: 10_000, retry_info_enabled: true },
    global: { max_bytes_per_trace: 5_000_000 },
    read: { max_bytes_per_tag_values_query: 1_000_000 },
    metrics_generator: GENERATOR_DEFAULTS,
  },
};

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Later layers win; mappings merge, lists and scalars replace. */
function layer(...trees: Tree[]): Tree {
  const out: Tree = {};
  for (const t of trees) {
    for (const [k, v] of Object.entries(t)) out[k] = isTree(v) && isTree(out[k]) ? layer(out[k] as Tree, v) : v;
  }
  return out;
}

/** The tenant's own values under their scoped keys. */
function tenantValues(t: TempoTenant): Tree {
  const scope = (entries: [string, unknown][]) => Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  const tree: Tree = {
    ingestion: scope([
      ['rate_limit_bytes', t.ingestionRateBytes],
      ['burst_size_bytes', t.ingestionBurstBytes],
      ['max_traces_per_user', t.maxTracesPerUser],
    ]),
    global: scope([['max_bytes_per_trace', t.maxBytesPerTrace]]),
    read: scope([['max_search_duration', t.maxSearchDuration]]),
    compaction: scope([['block_retention', t.retention]]),
  };
  return Object.fromEntries(Object.entries(tree).filter(([, v]) => Object.keys(v as Tree).length));
}

/**
 * @param defaults the `overrides.defaults` block rendered into tempo.yaml.
 * @returns the overrides file, or undefined when no tenant is configured.
 */
export function tempoOverridesFile(tempo: TempoConfig, major: 2 | 3, defaults: Tree): { overrides: Record<string, Tree> } | undefined {
  const tenants = Object.entries(tempo.tenants);
  if (!tenants.length) return undefined;
  const engine = { ...ENGINE_DEFAULTS[major] };
  // Generator settings only matter where the generator runs (and its processors come from `defaults`).
  if (!tempo.metricsGenerator.enabled) delete engine.metrics_generator;
  // rate_strategy is read from overrides.defaults only, never per tenant (runtime_config_overrides.go).
  const base = layer(engine, defaults);
  if (isTree(base.ingestion)) delete (base.ingestion as Tree).rate_strategy;
  return { overrides: Object.fromEntries(tenants.map(([id, t]) => [id, layer(base, tenantValues(t))])) };
}
