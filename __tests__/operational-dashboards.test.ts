/**
 * The stack's operational dashboards: provisioned into their own folder next to the application dashboards,
 * every query parses with the official PromQL grammar and selects jobs/namespaces the monitors produce.
 */
import { anyEnv, env, findObject, K8sObject, objects } from './helpers';
import { scrapeTargets } from './support/prometheus-operator';
import { labelMatchers, promqlErrors, selectsAny } from './support/promql';
import { load } from 'js-yaml';

const all = objects(env('production'));
const cm = findObject(all, 'ConfigMap', 'grafana-dashboards-stack');
const dashboards = Object.entries(cm.data as Record<string, string>).map(([file, text]) => ({ file, d: JSON.parse(text) }));
const queries = dashboards.flatMap(({ d }) => d.panels.flatMap((p: any) => p.targets.map((t: any) => ({ dashboard: d.title, panel: p.title, expr: t.expr as string }))));

describe('operational dashboards', () => {
  test('Loki, Tempo, collector and sampling, and the log agent each have one', () => {
    expect(dashboards.map((x) => x.d.title).sort()).toEqual(['Stack / Collector and sampling', 'Stack / Log agent', 'Stack / Loki', 'Stack / Tempo']);
    for (const { file, d } of dashboards) expect(file).toBe(`${d.uid}.json`);
  });

  test('they are provisioned from their own folder, mounted where the provider reads', () => {
    const providers = (load(findObject(all, 'ConfigMap', 'grafana-dashboard-providers').data['dashboards.yaml']) as any).providers;
    const stack = providers.find((p: any) => p.name === 'stack');
    expect(stack.folder).toBe(env('production').config.monitoring.dashboardsFolder);
    const pod = findObject(all, 'Deployment', 'grafana').spec.template.spec;
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.mountPath === stack.options.path);
    expect(pod.volumes.find((v: any) => v.name === mount.name).configMap.name).toBe(cm.metadata.name);
    // Both dashboard folders are distinct.
    expect(new Set(providers.map((p: any) => p.options.path)).size).toBe(providers.length);
  });

  test('each dashboard links to the others', () => {
    for (const { d } of dashboards) {
      expect(d.links.map((l: any) => l.url).sort()).toEqual(dashboards.filter((x) => x.d.uid !== d.uid).map((x) => `/d/${x.d.uid}`).sort());
    }
  });

  test.each(queries.map((q) => [`${q.dashboard} / ${q.panel}`, q.expr]))('%s parses with the PromQL grammar', (_name, expr) => {
    expect(promqlErrors(expr)).toEqual([]);
  });

  test('every job and namespace matcher selects a target the monitors produce', () => {
    const targets = scrapeTargets(all);
    let checked = 0;
    for (const q of queries) {
      for (const [label, op, value] of labelMatchers(q.expr)) {
        if (label !== 'job' && label !== 'namespace') continue;
        const hit = selectsAny(op, value, targets.map((t) => t.labels[label]));
        expect([q.panel, label, value, hit]).toEqual([q.panel, label, value, true]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(queries.length * 2);
  });

  test('the sampling panel reads counters the sampler tier reports: tail_sampling has no processor item counters', () => {
    // contrib 0.159's tail_sampling is not built on processorhelper, so otelcol_processor_incoming/outgoing_items
    // exist only for memory_limiter (seen on the running sampler, e2e/datapath); the panel used them and stayed empty.
    const panel = queries.filter((q) => q.panel === 'Sampling: received, kept, dropped').map((q) => q.expr);
    expect(panel).toHaveLength(3);
    for (const expr of panel) {
      expect(expr).not.toMatch(/otelcol_processor_(incoming|outgoing)_items/);
      expect(labelMatchers(expr)).toContainEqual(['job', '=', 'observability/otel-sampler']);
    }
    expect(panel[0]).toMatch(/^sum\(rate\(otelcol_receiver_accepted_spans\{/);
    expect(panel[1]).toMatch(/^sum\(rate\(otelcol_exporter_sent_spans\{/);
  });

  test('they cover ingest, queries, storage and compaction, sampling and the agent', () => {
    const text = (title: string) => queries.filter((q) => q.dashboard === title).map((q) => q.expr).join('\n');
    expect(text('Stack / Loki')).toMatch(/loki_distributor_lines_received_total[\s\S]*loki_logql_querystats_latency_seconds_bucket[\s\S]*compact_tables_operation_last_successful_run_timestamp_seconds/);
    expect(text('Stack / Tempo')).toMatch(/tempo_distributor_spans_received_total[\s\S]*tempo_query_frontend_queries_total[\s\S]*tempodb_backend_request_duration_seconds_bucket[\s\S]*tempodb_compaction_outstanding_blocks/);
    expect(text('Stack / Collector and sampling')).toMatch(/count_traces_sampled[\s\S]*sampling_decision_timer_latency_bucket[\s\S]*otelcol_process_memory_rss/);
    expect(text('Stack / Log agent')).toMatch(/promtail_dropped_entries_total[\s\S]*promtail_file_bytes_total/);
  });

  test.each(['files', 'api'] as const)("with Alloy reading %s the agent dashboard reads Alloy's metrics of the Alloy pods", (source) => {
    const objs = objects(anyEnv(`production-alloy-${source}`));
    const agent = Object.values<string>(findObject(objs, 'ConfigMap', 'grafana-dashboards-stack').data).map((t) => JSON.parse(t)).find((d) => d.title === 'Stack / Log agent');
    const exprs: string[] = agent.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
    const text = exprs.join('\n');
    expect(text).toMatch(/loki_write_dropped_entries_total[\s\S]*loki_write_request_duration_seconds_count/);
    expect(text).not.toMatch(/promtail_/);
    expect(/loki_source_file_file_bytes_total/.test(text)).toBe(source === 'files');
    const targets = scrapeTargets(objs).filter((t) => t.workload === 'DaemonSet/alloy');
    expect(targets.length).toBeGreaterThan(0);
    for (const expr of exprs) {
      expect(promqlErrors(expr)).toEqual([]);
      for (const [label, op, value] of labelMatchers(expr)) {
        if (label === 'job' || label === 'namespace') expect([expr, selectsAny(op, value, targets.map((t) => t.labels[label]))]).toEqual([expr, true]);
      }
    }
  });

  test('dev renders none (no monitors there to fill them)', () => {
    const dev: K8sObject[] = objects(env('dev'));
    expect(dev.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-dashboards-stack')).toBeUndefined();
  });
});
