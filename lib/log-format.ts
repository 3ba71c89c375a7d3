/**
 * The log line contract between the application logger (tools/log-trace-correlation), Promtail's
 * pipeline (which keeps trace_id as structured metadata) and Grafana's Loki derived field (which links
 * a line to its trace in Tempo). Defined once here; every side imports it.
 *
 * A line is one JSON object per line on stdout, e.g.
 *   {"time":"2026-11-24T10:00:00.000Z","level":"info","message":"Fetching job","service":"ybuilt-api","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","job_id":"42"}
 */
export const LOG_FIELDS = {
  time: 'time',
  level: 'level',
  message: 'message',
  service: 'service',
  traceId: 'trace_id',
  spanId: 'span_id',
} as const;

/**
 * Regex for Grafana's derived field when Loki holds no structured metadata: captures the trace id from a JSON
 * line (32 lowercase hex characters, the W3C trace-id form that @opentelemetry/api gives), written compactly as
 * the trace-aware logger does or with spaces around the colon as most other JSON loggers do.
 */
export const TRACE_ID_REGEX = `"${LOG_FIELDS.traceId}"\\s*:\\s*"([0-9a-f]{32})"`;

/**
 * The one name of the trace id wherever it is a label: Loki structured metadata (the log agent copies it from
 * the line), and the exemplar label Tempo's metrics-generator writes (`trace_id_label_name`, default `traceID`)
 * which Grafana's Prometheus datasource reads (`exemplarTraceIdDestinations[].name`).
 */
export const TRACE_ID_LABEL = LOG_FIELDS.traceId;

/**
 * Fields of the line the log agent (Promtail or Alloy) copies into Loki structured metadata: the trace and span
 * ids, so a line can be found by either without parsing it, and never as stream labels (one stream per trace would
 * explode Loki's index).
 */
export const STRUCTURED_METADATA_FIELDS = [LOG_FIELDS.traceId, LOG_FIELDS.spanId] as const;

/**
 * Loki stream labels Promtail sets for every application container, which Grafana's links query by:
 * `app` (the pod's app.kubernetes.io/name) and `job` (the same value, so `{job="ybuilt-api"}` works).
 */
export const STREAM_LABELS = { app: 'app', job: 'job' } as const;
