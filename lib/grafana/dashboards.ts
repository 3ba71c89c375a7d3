/**
 * The provisioned dashboards as typed objects, serialized once to JSON. schemaVersion 42 is the latest
 * dashboard schema the Grafana migrator knows at the 13.x line we pin (apps/dashboard/pkg/migration/schemaversion
 * LATEST_VERSION in grafana/grafana); older versions would be migrated on load, newer ones are not understood.
 */
import { DATASOURCE_UID } from './datasources';
import { LOG_FIELDS, STREAM_LABELS } from '../log-format';

export const DASHBOARD_SCHEMA_VERSION = 42;

interface DatasourceRef {
  type: 'prometheus' | 'tempo' | 'loki';
  uid: string;
}
interface Target {
  refId: string;
  datasource: DatasourceRef;
  [key: string]: unknown;
}
export interface Panel {
  id: number;
  type: 'timeseries' | 'table' | 'nodeGraph' | 'logs';
  title: string;
  description?: string;
  datasource: DatasourceRef;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Target[];
  options?: Record<string, unknown>;
  fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
}
interface Variable {
  type: 'textbox';
  name: string;
  label: string;
  query: string;
  current: { text: string; value: string };
  hide: 0;
}
export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  editable: boolean;
  schemaVersion: number;
  time: { from: string; to: string };
  refresh: string;
  timezone: 'browser' | 'utc';
  links: { title: string; type: 'link'; url: string; icon: 'dashboard'; targetBlank: false }[];
  templating: { list: Variable[] };
  annotations: { list: unknown[] };
  panels: Panel[];
}

const ds = { prometheus: { type: 'prometheus', uid: DATASOURCE_UID.prometheus }, tempo: { type: 'tempo', uid: DATASOURCE_UID.tempo }, loki: { type: 'loki', uid: DATASOURCE_UID.loki } } as const;

export const TRACING_UID = 'ybuilt-tracing';
export const LOG_CORRELATION_UID = 'ybuilt-log-correlation';
/** The variable the log dashboard filters by, set from links on trace ids. */
export const TRACE_ID_VARIABLE = LOG_FIELDS.traceId;

const logsForTrace = (value: string) => `/d/${LOG_CORRELATION_UID}?var-${TRACE_ID_VARIABLE}=${value}`;

function dashboard(uid: string, title: string, panels: Panel[], extra: Partial<Dashboard> = {}): Dashboard {
  return {
    uid,
    title,
    tags: ['observability'],
    editable: false,
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    time: { from: 'now-1h', to: 'now' },
    refresh: '30s',
    timezone: 'browser',
    links: [],
    templating: { list: [] },
    annotations: { list: [] },
    panels,
    ...extra,
  };
}

export function tracingDashboard(opts: { serviceGraph: boolean }): Dashboard {
  const panels: Panel[] = [
    {
      id: 1,
      type: 'timeseries',
      title: 'Request Rate',
      datasource: ds.prometheus,
      gridPos: { x: 0, y: 0, w: 24, h: 8 },
      targets: [{ refId: 'A', datasource: ds.prometheus, expr: 'rate(http_requests_total[5m])', legendFormat: '{{job}} {{route}}' }],
      fieldConfig: { defaults: { unit: 'reqps' }, overrides: [] },
    },
    {
      id: 2,
      type: 'table',
      title: 'Recent traces',
      description: 'Latest traces kept by the sampling gateway; the trace id opens the trace, the link opens its logs.',
      datasource: ds.tempo,
      gridPos: { x: 0, y: 8, w: opts.serviceGraph ? 12 : 24, h: 12 },
      targets: [{ refId: 'A', datasource: ds.tempo, queryType: 'traceql', query: '{}', limit: 20, tableType: 'traces' }],
      fieldConfig: {
        defaults: {},
        overrides: [{ matcher: { id: 'byName', options: 'Trace ID' }, properties: [{ id: 'links', value: [{ title: 'Logs of this trace', url: logsForTrace('${__value.raw}') }] }] }],
      },
    },
  ];
  if (opts.serviceGraph) {
    panels.push({
      id: 3,
      type: 'nodeGraph',
      title: 'Service graph',
      datasource: ds.tempo,
      gridPos: { x: 12, y: 8, w: 12, h: 12 },
      targets: [{ refId: 'A', datasource: ds.tempo, queryType: 'serviceMap' }],
      fieldConfig: { defaults: {}, overrides: [] },
    });
  }
  return dashboard(TRACING_UID, 'Distributed Tracing', panels, {
    links: [{ title: 'Log Correlation', type: 'link', url: `/d/${LOG_CORRELATION_UID}`, icon: 'dashboard', targetBlank: false }],
  });
}

export function logCorrelationDashboard(opts: { job?: string }): Dashboard {
  // Without a job, every stream that has one (`=~".+"`: LogQL needs a matcher that excludes the empty value).
  const selector = opts.job ? `${STREAM_LABELS.job}="${opts.job}"` : `${STREAM_LABELS.job}=~".+"`;
  const expr = `{${selector}} | json | ${LOG_FIELDS.traceId}="$${TRACE_ID_VARIABLE}"`;
  return dashboard(
    LOG_CORRELATION_UID,
    'Log Correlation',
    [
      {
        id: 1,
        type: 'logs',
        title: `Logs of trace $${TRACE_ID_VARIABLE}`,
        datasource: ds.loki,
        gridPos: { x: 0, y: 0, w: 24, h: 20 },
        targets: [{ refId: 'A', datasource: ds.loki, expr, queryType: 'range' }],
        options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true },
        fieldConfig: { defaults: {}, overrides: [] },
      },
    ],
    {
      time: { from: 'now-24h', to: 'now' },
      templating: { list: [{ type: 'textbox', name: TRACE_ID_VARIABLE, label: 'Trace ID', query: '', current: { text: '', value: '' }, hide: 0 }] },
      links: [{ title: 'Distributed Tracing', type: 'link', url: `/d/${TRACING_UID}`, icon: 'dashboard', targetBlank: false }],
    },
  );
}

/** Dashboard JSON as Grafana stores it (stable key order, two-space indent). */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
