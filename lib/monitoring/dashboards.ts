/**
 * Operational dashboards for the stack itself (Loki, Tempo, the collector tiers and sampling, the log agent),
 * as typed objects serialized like the application dashboards (lib/grafana/dashboards.ts). Every query is built
 * with the PromQL builder from the same `namespace`/`job` matchers the rules use, so panels show what the
 * monitors scrape; queries use fixed 5m windows so they parse with the official grammar in tests.
 */
import { DASHBOARD_SCHEMA_VERSION, Dashboard, Panel } from '../grafana/dashboards';
import { DATASOURCE_UID } from '../grafana/datasources';
import { div, Expr, histogramQuantile, Matcher, max, metric, minus, rate, re, sum, time } from './promql';
import { LOKI_P99, SERVER_ERRORS } from './rules/loki';
import { Targets } from './rules/model';
import { LogAgentMetrics } from './rules/log-agent';
import { serviceMatchers, StackRulesProps, targetMatchers } from './rules';

const prometheus = { type: 'prometheus', uid: DATASOURCE_UID.prometheus } as const;

export const OPERATIONAL_UIDS = { loki: 'stack-loki', tempo: 'stack-tempo', collector: 'stack-collector', agent: 'stack-log-agent' } as const;

interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly queries: readonly (readonly [Expr, string])[];
  readonly description?: string;
}

const q = (e: Expr, legend: string) => [e, legend] as const;
const r5 = (name: string, sel: Matcher[], ...more: Matcher[]) => rate(metric(name, ...sel, ...more).over('5m'));
const p99 = (bucket: string, sel: Matcher[], by: string[]) => histogramQuantile(0.99, sum([...by, 'le'], r5(bucket, sel)));

function panels(specs: readonly PanelSpec[]): Panel[] {
  return specs.map((p, i) => ({
    id: i + 1,
    type: 'timeseries',
    title: p.title,
    ...(p.description ? { description: p.description } : {}),
    datasource: prometheus,
    gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
    targets: p.queries.map(([expr, legend], j) => ({ refId: String.fromCharCode(65 + j), datasource: prometheus, expr: expr.text, legendFormat: legend })),
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
  }));
}

function dashboard(uid: string, title: string, specs: readonly PanelSpec[]): Dashboard {
  return {
    uid,
    title,
    tags: ['observability-stack'],
    editable: false,
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    timezone: 'browser',
    // Every operational dashboard links to the others.
    links: Object.entries(TITLES)
      .filter(([u]) => u !== uid)
      .map(([u, t]) => ({ title: t, type: 'link' as const, url: `/d/${u}`, icon: 'dashboard' as const, targetBlank: false as const })),
    templating: { list: [] },
    annotations: { list: [] },
    panels: panels(specs),
  };
}

const TITLES: Record<string, string> = {
  [OPERATIONAL_UIDS.loki]: 'Stack / Loki',
  [OPERATIONAL_UIDS.tempo]: 'Stack / Tempo',
  [OPERATIONAL_UIDS.collector]: 'Stack / Collector and sampling',
  [OPERATIONAL_UIDS.agent]: 'Stack / Log agent',
};

export function lokiDashboard(t: Targets): Dashboard {
  const { sel } = t;
  const requests = 'loki_request_duration_seconds_count';
  return dashboard(OPERATIONAL_UIDS.loki, TITLES[OPERATIONAL_UIDS.loki], [
    { title: 'Ingest: lines received', unit: 'short', queries: [q(sum(['tenant'], r5('loki_distributor_lines_received_total', sel)), '{{tenant}}')] },
    { title: 'Ingest: bytes received', unit: 'Bps', queries: [q(sum(['tenant'], r5('loki_distributor_bytes_received_total', sel)), '{{tenant}}')] },
    { title: 'Discarded lines by reason', unit: 'short', queries: [q(sum(['reason'], r5('loki_discarded_samples_total', sel)), '{{reason}}')] },
    { title: 'Requests by route and status', unit: 'reqps', queries: [q(sum(['route', 'status_code'], r5(requests, sel)), '{{route}} {{status_code}}')] },
    { title: 'Server error ratio by route', unit: 'percentunit', queries: [q(div(sum(['route'], r5(requests, sel, re('status_code', SERVER_ERRORS))), sum(['route'], r5(requests, sel))), '{{route}}')] },
    { title: 'p99 latency by route', unit: 's', description: 'Recorded by loki-rules.', queries: [q(metric(LOKI_P99, ...sel), '{{route}}')] },
    { title: 'Query latency p99 by type', unit: 's', queries: [q(p99('loki_logql_querystats_latency_seconds_bucket', sel, ['type']), '{{type}}')] },
    { title: 'Ingester: streams in memory', unit: 'short', queries: [q(sum(['tenant'], metric('loki_ingester_memory_streams', ...sel)), '{{tenant}}')] },
    {
      title: 'Ingester: chunk flushes',
      unit: 'short',
      queries: [q(sum(['reason'], r5('loki_ingester_chunks_flushed_total', sel)), 'flushed {{reason}}'), q(sum([], r5('loki_ingester_chunks_flush_failures_total', sel)), 'failed')],
    },
    { title: 'Ingester: flush queue', unit: 'short', queries: [q(sum([], metric('loki_ingester_flush_queue_length', ...sel)), 'queued')] },
    {
      title: 'Time since last compaction and retention',
      unit: 's',
      queries: [
        q(minus(time(), max([], metric('loki_boltdb_shipper_compact_tables_operation_last_successful_run_timestamp_seconds', ...sel))), 'compaction'),
        q(minus(time(), max([], metric('loki_compactor_apply_retention_last_successful_run_timestamp_seconds', ...sel))), 'retention'),
      ],
    },
    { title: 'Object storage p99 by operation', unit: 's', queries: [q(p99('loki_s3_request_duration_seconds_bucket', sel, ['operation']), '{{operation}}')] },
  ]);
}

export function tempoDashboard(t: Targets, major: 2 | 3): Dashboard {
  const { sel } = t;
  const live = major === 3 ? 'tempo_live_store_live_traces' : 'tempo_ingester_live_traces';
  const backend = 'tempodb_backend_request_duration_seconds';
  return dashboard(OPERATIONAL_UIDS.tempo, TITLES[OPERATIONAL_UIDS.tempo], [
    { title: 'Ingest: spans received', unit: 'short', queries: [q(sum(['tenant'], r5('tempo_distributor_spans_received_total', sel)), '{{tenant}}')] },
    { title: 'Ingest: bytes received', unit: 'Bps', queries: [q(sum(['tenant'], r5('tempo_distributor_bytes_received_total', sel)), '{{tenant}}')] },
    { title: 'Refused spans by reason', unit: 'short', queries: [q(sum(['reason'], r5('tempo_discarded_spans_total', sel)), '{{reason}}')] },
    { title: 'Live traces', unit: 'short', queries: [q(sum(['tenant'], metric(live, ...sel)), '{{tenant}}')] },
    { title: 'Queries by operation and result', unit: 'reqps', queries: [q(sum(['op', 'result'], r5('tempo_query_frontend_queries_total', sel)), '{{op}} {{result}}')] },
    { title: 'Request p99 by route', unit: 's', queries: [q(p99('tempo_request_duration_seconds_bucket', sel, ['route']), '{{route}}')] },
    { title: 'Backend p99 by operation', unit: 's', queries: [q(p99(`${backend}_bucket`, sel, ['operation']), '{{operation}}')] },
    { title: 'Backend requests by status', unit: 'reqps', queries: [q(sum(['operation', 'status_code'], r5(`${backend}_count`, sel)), '{{operation}} {{status_code}}')] },
    { title: 'Blocks per tenant', unit: 'short', queries: [q(sum(['tenant'], metric('tempodb_blocklist_length', ...sel)), '{{tenant}}')] },
    { title: 'Outstanding compaction blocks', unit: 'short', queries: [q(sum(['tenant'], metric('tempodb_compaction_outstanding_blocks', ...sel)), '{{tenant}}')] },
    {
      title: 'Compaction and retention',
      unit: 'short',
      queries: [
        q(sum([], r5('tempodb_compaction_blocks_total', sel)), 'blocks compacted'),
        q(sum([], r5('tempodb_compaction_errors_total', sel)), 'compaction errors'),
        q(sum([], r5('tempodb_retention_deleted_total', sel)), 'blocks deleted'),
        q(sum([], r5('tempodb_retention_errors_total', sel)), 'retention errors'),
      ],
    },
    { title: 'Tenant index age', unit: 's', queries: [q(max(['tenant'], metric('tempodb_blocklist_tenant_index_age_seconds', ...sel)), '{{tenant}}')] },
  ]);
}

export interface CollectorDashboardProps {
  readonly targets: Targets;
  readonly sampler: Matcher[];
  readonly gateway: Matcher[];
  readonly numTraces: number;
}

export function collectorDashboard(p: CollectorDashboardProps): Dashboard {
  const { sel } = p.targets;
  const ts = 'otelcol_processor_tail_sampling';
  return dashboard(OPERATIONAL_UIDS.collector, TITLES[OPERATIONAL_UIDS.collector], [
    {
      title: 'Spans received per tier',
      unit: 'short',
      queries: [q(sum(['job'], r5('otelcol_receiver_accepted_spans', sel)), 'accepted {{job}}'), q(sum(['job'], r5('otelcol_receiver_refused_spans', sel)), 'refused {{job}}')],
    },
    {
      title: 'Sampling: received, kept, dropped',
      unit: 'short',
      // tail_sampling is not built on processorhelper, so contrib 0.159 reports no otelcol_processor_incoming/
      // outgoing_items for it (only memory_limiter does; seen on the running sampler in e2e/datapath): the
      // sampler tier's receiver and exporter span counters bracket it instead.
      description: 'Spans the sampler tier received and exported (after tail_sampling and batch): exported/received is the effective keep ratio.',
      queries: [
        q(sum([], r5('otelcol_receiver_accepted_spans', p.sampler)), 'received'),
        q(sum([], r5('otelcol_exporter_sent_spans', p.sampler)), 'kept'),
        q(minus(sum([], r5('otelcol_receiver_accepted_spans', p.sampler)), sum([], r5('otelcol_exporter_sent_spans', p.sampler))), 'dropped'),
      ],
    },
    { title: 'Traces by final decision', unit: 'short', queries: [q(sum(['decision'], r5(`${ts}_global_count_traces_sampled`, p.sampler)), '{{decision}}')] },
    { title: 'Votes per policy', unit: 'short', description: 'A trace counts once per policy; policies are OR-ed.', queries: [q(sum(['policy', 'decision'], r5(`${ts}_count_traces_sampled`, p.sampler)), '{{policy}} {{decision}}')] },
    { title: 'Decision tick p99', unit: 'ms', description: 'Must stay well under the 1s tick.', queries: [q(p99(`${ts}_sampling_decision_timer_latency_bucket`, p.sampler, []), 'p99')] },
    {
      title: 'Traces held waiting for a decision',
      unit: 'short',
      description: `Per sampler pod, against num_traces (${p.numTraces}).`,
      queries: [q(sum(['pod'], metric(`${ts}_sampling_traces_on_memory`, ...p.sampler)), '{{pod}}'), q(sum([], r5(`${ts}_sampling_trace_dropped_too_early`, p.sampler)), 'dropped too early /s')],
    },
    { title: 'Memory (RSS) per pod', unit: 'bytes', queries: [q(sum(['job', 'pod'], metric('otelcol_process_memory_rss', ...sel)), '{{pod}}')] },
    { title: 'Memory limiter refusals', unit: 'short', queries: [q(sum(['job'], r5('otelcol_processor_memory_limiter_refused_spans', sel)), '{{job}}')] },
    {
      title: 'Exported spans',
      unit: 'short',
      queries: [q(sum(['job', 'exporter'], r5('otelcol_exporter_sent_spans', sel)), 'sent {{exporter}}'), q(sum(['job', 'exporter'], r5('otelcol_exporter_send_failed_spans', sel)), 'failed {{exporter}}')],
    },
    { title: 'Exporter queue fill', unit: 'percentunit', queries: [q(max(['job', 'exporter'], div(metric('otelcol_exporter_queue_size', ...sel), metric('otelcol_exporter_queue_capacity', ...sel))), '{{job}} {{exporter}}')] },
    { title: 'Sampler backends seen by the gateway', unit: 'short', queries: [q(max(['pod'], metric('otelcol_loadbalancer_num_backends', ...p.gateway)), '{{pod}}')] },
  ]);
}

/** The log agent's dashboard, on the metric names of whichever agent runs (Promtail, or Alloy's loki.write/loki.source.file). */
export function logAgentDashboard(t: Targets, m: LogAgentMetrics): Dashboard {
  const { sel } = t;
  return dashboard(OPERATIONAL_UIDS.agent, TITLES[OPERATIONAL_UIDS.agent], [
    { title: 'Entries sent', unit: 'short', queries: [q(sum(['instance'], r5(m.sent, sel)), '{{instance}}')] },
    { title: 'Entries dropped by reason', unit: 'short', queries: [q(sum(['reason'], r5(m.dropped, sel)), '{{reason}}')] },
    { title: 'Pushes by status', unit: 'reqps', description: 'status_code -1: no answer from Loki.', queries: [q(sum(['status_code'], r5(`${m.requestDuration}_count`, sel)), '{{status_code}}')] },
    { title: 'Push latency p99', unit: 's', queries: [q(p99(`${m.requestDuration}_bucket`, sel, ['instance']), '{{instance}}')] },
    ...(m.files
      ? [
          { title: 'Bytes not yet read', unit: 'bytes', queries: [q(sum(['instance'], minus(metric(m.files.size, ...sel), metric(m.files.read, ...sel))), '{{instance}}')] },
          { title: 'Files tailed', unit: 'short', queries: [q(sum(['instance'], metric(m.files.active, ...sel)), '{{instance}}')] },
        ]
      : []),
    { title: 'Retries', unit: 'short', queries: [q(sum(['instance'], r5(m.retries, sel)), '{{instance}}')] },
    { title: 'Bytes sent', unit: 'Bps', queries: [q(sum(['instance'], r5(m.sentBytes, sel)), '{{instance}}')] },
  ]);
}

/** What the dashboards read: the same charts and facts the rules do (lib/monitoring/rules/index.ts). */
export type OperationalDashboardsProps = Pick<StackRulesProps, 'loki' | 'tempo' | 'tempoMajor' | 'collector' | 'logAgent' | 'numTraces'>;

/** The operational dashboards of the components that declare metrics. */
export function operationalDashboards(p: OperationalDashboardsProps): Dashboard[] {
  const out: Dashboard[] = [];
  const loki = targetMatchers(p.loki);
  const tempo = targetMatchers(p.tempo);
  const collector = targetMatchers(p.collector);
  const agent = targetMatchers(p.logAgent.chart);
  if (loki) out.push(lokiDashboard(loki));
  if (tempo) out.push(tempoDashboard(tempo, p.tempoMajor));
  if (collector) out.push(collectorDashboard({ targets: collector, sampler: serviceMatchers(p.collector, p.collector.sampler), gateway: serviceMatchers(p.collector, p.collector.gateway), numTraces: p.numTraces }));
  if (agent) out.push(logAgentDashboard(agent, p.logAgent.metrics));
  return out;
}
