/**
 * Grafana datasource provisioning (https://grafana.com/docs/grafana/latest/administration/provisioning/#data-sources):
 * Prometheus, Tempo and Loki with fixed UIDs, linked both ways. URLs come from the Tempo and Loki Services
 * and from `prometheus.url`. Grafana expands `$VAR` and `${VAR}` from its environment in provisioning files,
 * so Grafana's own link variables are written `$${...}` to reach the datasource unexpanded.
 */
import { STREAM_LABELS, TRACE_ID_LABEL, TRACE_ID_REGEX } from '../log-format';

/** The datasource UIDs dashboards and cross-links refer to, defined once. */
export const DATASOURCE_UID = { prometheus: 'prometheus', tempo: 'tempo', loki: 'loki' } as const;

/** Escapes Grafana link variables (`${__value.raw}`) against provisioning's environment expansion. */
export const grafanaVar = (name: string): string => `$\${${name}}`;

export interface DatasourceInputs {
  readonly prometheusUrl: string;
  readonly tempoUrl: string;
  readonly lokiUrl: string;
  /** Loki tenant sent as X-Scope-OrgID when Loki runs multi-tenant. */
  readonly lokiTenantId?: string;
  /** Tempo tenant sent as X-Scope-OrgID when Tempo runs multi-tenant. */
  readonly tempoTenantId?: string;
  /** Service graphs and span metrics exist only when Tempo's metrics-generator writes them. */
  readonly spanMetrics: boolean;
  /** CA file that signs Tempo's and Loki's certificates, when they serve TLS. */
  readonly caFile?: string;
  /** Loki keeps `trace_id` as structured metadata (lib/loki/config.ts structuredMetadataAllowed). */
  readonly structuredMetadata: boolean;
  /**
   * Tempo hands out trace ids with all 32 hex digits (Tempo 3 with `overrides.defaults.read.left_pad_trace_ids`).
   * Tempo 2.10 drops leading zeros (about 1 id in 16), while the logs carry all 32 digits.
   */
  readonly paddedTraceIds: boolean;
}

/**
 * The Loki query behind a span's "Logs for this span" link (Tempo datasource `tracesToLogsV2.query`): the span's
 * service stream (`$__tags` is built from `tags`), then its trace id. With structured metadata the id is matched
 * as the label the agent stores; when Tempo may have dropped leading zeros the match allows them back (label
 * regex matchers are anchored in LogQL, so `0*` only pads). Without structured metadata, a substring line filter
 * finds the id in the JSON line whether or not zeros were dropped.
 */
export function traceToLogsQuery(inputs: Pick<DatasourceInputs, 'structuredMetadata' | 'paddedTraceIds'>): string {
  const stream = `{${grafanaVar('__tags')}}`;
  const id = grafanaVar('__span.traceId');
  if (!inputs.structuredMetadata) return `${stream} |= "${id}"`;
  return inputs.paddedTraceIds ? `${stream} | ${TRACE_ID_LABEL}="${id}"` : `${stream} | ${TRACE_ID_LABEL}=~"0*${id}"`;
}

/**
 * Log line → trace. With structured metadata, the `trace_id` label the agent stored, whatever the line's JSON
 * spacing (Grafana matches label keys with this regex: public/app/plugins/datasource/loki/getDerivedFields.ts,
 * hence the anchors); otherwise a regex on the line.
 */
function traceIdDerivedField(structuredMetadata: boolean) {
  const matcher = structuredMetadata ? { matcherType: 'label', matcherRegex: `^${TRACE_ID_LABEL}$` } : { matcherType: 'regex', matcherRegex: TRACE_ID_REGEX };
  return { name: 'TraceID', ...matcher, datasourceUid: DATASOURCE_UID.tempo, url: grafanaVar('__value.raw'), urlDisplayLabel: 'View trace' };
}

/**
 * The X-Scope-OrgID header a multi-tenant Loki or Tempo needs. A tenant id is a routing header, not a
 * credential; secureJsonData is simply where Grafana reads header values (httpHeaderValue<N>).
 */
export function tenantHeader(tenantId: string | undefined): { jsonData: Record<string, string>; secureJsonData?: Record<string, string> } {
  return tenantId ? { jsonData: { httpHeaderName1: 'X-Scope-OrgID' }, secureJsonData: { httpHeaderValue1: tenantId } } : { jsonData: {} };
}

export function datasources(inputs: DatasourceInputs): Record<string, unknown> {
  // Grafana reads the CA from the mounted file through provisioning's $__file{} expansion.
  const verify = inputs.caFile ? { jsonData: { tlsAuthWithCACert: true }, secureJsonData: { tlsCACert: `$__file{${inputs.caFile}}` } } : { jsonData: {} };
  const tenant = tenantHeader(inputs.lokiTenantId);
  const tempoTenant = tenantHeader(inputs.tempoTenantId);
  return {
    apiVersion: 1,
    // Datasources removed from this file are removed from Grafana too.
    prune: true,
    datasources: [
      {
        name: 'Prometheus',
        type: 'prometheus',
        uid: DATASOURCE_UID.prometheus,
        access: 'proxy',
        url: inputs.prometheusUrl,
        isDefault: true,
        editable: false,
        jsonData: {
          httpMethod: 'POST',
          // Exemplars carrying the trace id label Tempo's metrics-generator writes open the trace in Tempo.
          exemplarTraceIdDestinations: [{ name: TRACE_ID_LABEL, datasourceUid: DATASOURCE_UID.tempo }],
        },
      },
      {
        name: 'Tempo',
        type: 'tempo',
        uid: DATASOURCE_UID.tempo,
        access: 'proxy',
        url: inputs.tempoUrl,
        isDefault: false,
        editable: false,
        ...(tempoTenant.secureJsonData || verify.secureJsonData ? { secureJsonData: { ...tempoTenant.secureJsonData, ...verify.secureJsonData } } : {}),
        jsonData: {
          ...verify.jsonData,
          ...tempoTenant.jsonData,
          // Trace → logs: the lines of the trace's service around the span, filtered by the trace id.
          tracesToLogsV2: {
            datasourceUid: DATASOURCE_UID.loki,
            tags: [{ key: 'service.name', value: STREAM_LABELS.app }],
            customQuery: true,
            query: traceToLogsQuery(inputs),
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
          },
          ...(inputs.spanMetrics
            ? {
                serviceMap: { datasourceUid: DATASOURCE_UID.prometheus },
                tracesToMetrics: {
                  datasourceUid: DATASOURCE_UID.prometheus,
                  tags: [{ key: 'service.name', value: 'service' }],
                  spanStartTimeShift: '-5m',
                  spanEndTimeShift: '5m',
                  queries: [
                    { name: 'Request rate', query: `sum(rate(traces_spanmetrics_calls_total{${grafanaVar('__tags')}}[5m]))` },
                    { name: 'Error rate', query: `sum(rate(traces_spanmetrics_calls_total{${grafanaVar('__tags')},status_code="STATUS_CODE_ERROR"}[5m]))` },
                  ],
                },
              }
            : {}),
          nodeGraph: { enabled: true },
          search: { hide: false },
        },
      },
      {
        name: 'Loki',
        type: 'loki',
        uid: DATASOURCE_UID.loki,
        access: 'proxy',
        url: inputs.lokiUrl,
        isDefault: false,
        editable: false,
        jsonData: {
          maxLines: 1000,
          // Log line → trace: the regex reads the trace id the trace-aware logger writes (lib/log-format.ts).
          derivedFields: [traceIdDerivedField(inputs.structuredMetadata)],
          ...tenant.jsonData,
          ...verify.jsonData,
        },
        ...(tenant.secureJsonData || verify.secureJsonData ? { secureJsonData: { ...tenant.secureJsonData, ...verify.secureJsonData } } : {}),
      },
    ],
  };
}
