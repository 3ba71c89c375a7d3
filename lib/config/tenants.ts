/**
 * Per-tenant limits for Loki and Tempo, rendered into each engine's runtime overrides file. Only the limits
 * teams ask for first; anything left out keeps the engine-wide value (Loki merges a tenant entry over its
 * defaults; for Tempo, which replaces, lib/tempo/overrides.ts writes the defaults into every entry).
 */
import { z } from 'zod';
import { duration } from './primitives';

const positiveInt = (what: string) => z.number().int({ error: (i) => `expected a whole number of ${what}, got ${JSON.stringify(i.input)}` }).positive();

export const lokiTenantSchema = z.strictObject({
  retention: duration.optional().describe('how long this tenant\'s logs are kept and queryable (retention_period and max_query_lookback), at least 24h'),
  ingestionRateMB: z.number().positive().optional().describe('ingestion_rate_mb: sustained push rate per tenant'),
  ingestionBurstSizeMB: z.number().positive().optional().describe('ingestion_burst_size_mb: largest burst above the rate'),
  maxStreams: positiveInt('streams').optional().describe('max_global_streams_per_user: active streams across the cluster'),
  maxQueryLength: duration.optional().describe('max_query_length: longest time range one query may cover'),
  maxQuerySeries: positiveInt('series').optional().describe('max_query_series: most series a metric query may return'),
  maxEntriesPerQuery: positiveInt('lines').optional().describe('max_entries_limit_per_query: most log lines a query may return'),
  datasource: z.boolean().default(false).describe('provision a Grafana datasource "Loki (<tenant>)" that sends this tenant as X-Scope-OrgID'),
});
export type LokiTenant = z.infer<typeof lokiTenantSchema>;

export const tempoTenantSchema = z.strictObject({
  retention: duration.optional().describe('compaction.block_retention: how long this tenant\'s traces are kept'),
  ingestionRateBytes: positiveInt('bytes').optional().describe('ingestion.rate_limit_bytes: sustained bytes per second'),
  ingestionBurstBytes: positiveInt('bytes').optional().describe('ingestion.burst_size_bytes: largest burst'),
  maxTracesPerUser: positiveInt('traces').optional().describe('ingestion.max_traces_per_user: live traces'),
  maxBytesPerTrace: positiveInt('bytes').optional().describe('global.max_bytes_per_trace'),
  maxSearchDuration: duration.optional().describe('read.max_search_duration: longest time range one search may cover'),
  datasource: z.boolean().default(false).describe('provision a Grafana datasource "Tempo (<tenant>)" that sends this tenant as X-Scope-OrgID'),
});
export type TempoTenant = z.infer<typeof tempoTenantSchema>;
