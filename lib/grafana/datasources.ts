/**
 * Grafana datasource provisioning (https://grafana.com/docs/grafana/latest/administration/provisioning/#data-sources):
 * Prometheus, Tempo and Loki with fixed UIDs, linked both ways. URLs come from the Tempo and Loki Services
 * and from `prometheus.url`. Grafana expands `$VAR` and `${VAR}` from its environment in provisioning files,
 * so Grafana's own link variables are written `$${...}` to reach the datasource unexpanded.
 */
import { STREAM_LABELS, TRACE_ID_REGEX } from '../log-format';

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
  /** Service graphs and span metrics exist only when Tempo's metrics-generator writes them. */
  readonly spanMetrics: boolean;
  /** CA file that signs Tempo's and Loki's certificates, when they serve TLS. */
  readonly caFile?: string;
}

export function datasources(inputs: DatasourceInputs): Record<string, unknown> {
  // Grafana reads the CA from the mounted file through provisioning's $__file{} expansion.
  const verify = inputs.caFile ? { jsonData: { tlsAuthWithCACert: true }, secureJsonData: { tlsCACert: `$__file{${inputs.caFile}}` } } : { jsonData: {} };
  const tenant = inputs.lokiTenantId
    ? {
        // A tenant id is a routing header, not a credential; secureJsonData is simply where Grafana reads header values.
        jsonData: { httpHeaderName1: 'X-Scope-OrgID' },
        secureJsonData: { httpHeaderValue1: inputs.lokiTenantId },
      }
    : { jsonData: {} };
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
          // Exemplars carrying a trace_id open the trace in Tempo.
          exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: DATASOURCE_UID.tempo }],
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
        ...(verify.secureJsonData ? { secureJsonData: verify.secureJsonData } : {}),
        jsonData: {
          ...verify.jsonData,
          // Trace → logs: the lines of the trace's service around the span, filtered by the trace id.
          tracesToLogsV2: {
            datasourceUid: DATASOURCE_UID.loki,
            tags: [{ key: 'service.name', value: STREAM_LABELS.app }],
            filterByTraceID: true,
            filterBySpanID: false,
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
          derivedFields: [
            { name: 'TraceID', matcherType: 'regex', matcherRegex: TRACE_ID_REGEX, datasourceUid: DATASOURCE_UID.tempo, url: grafanaVar('__value.raw'), urlDisplayLabel: 'View trace' },
          ],
          ...tenant.jsonData,
          ...verify.jsonData,
        },
        ...(tenant.secureJsonData || verify.secureJsonData ? { secureJsonData: { ...tenant.secureJsonData, ...verify.secureJsonData } } : {}),
      },
    ],
  };
}
