/**
 * The whole log ↔ trace loop, on the rendered output of every environment: the application logger writes a
 * line inside a span → the container runtime wraps it in CRI format → the log agent's rendered relabelling and
 * pipeline (Promtail's, or Alloy's reading files or the API) give the stream labels and structured metadata →
 * Grafana's rendered derived field pulls the trace id out of the stored line, and the Log Correlation
 * dashboard's query selects the stream. All must agree with the span.
 */
import { context } from '@opentelemetry/api';
import { createTraceAwareLogger } from '../tools/log-trace-correlation';
import { ENVIRONMENTS, configMapYaml, env, findObject, objects } from './helpers';
import { inSpan, installContextManager, SPAN_CONTEXT } from './support/otel-context';
import { runPipeline } from './support/promtail-pipeline';
import { derivedValue, interpolate, selects } from './support/grafana-links';
import { provisioningExpand } from './support/grafana-vars';
import { alloyEnv } from './support/agents';
import { runAlloyPipeline } from './support/alloy-pipeline';

// Installed before the describe blocks run, since they render and log while collecting.
installContextManager();
afterAll(() => context.disable());

const SERVICE = 'ybuilt-api';


function appLine(): string {
  const lines: string[] = [];
  const logger = createTraceAwareLogger(SERVICE, { write: (l) => lines.push(l) });
  inSpan(() => logger.info('Fetching job', { job_id: '42' }));
  return lines[0].trimEnd();
}

const AGENTS = ['promtail', 'alloy reading files', 'alloy reading api'] as const;
const DISCOVERED = {
  __meta_kubernetes_namespace: 'ybuilt',
  __meta_kubernetes_pod_name: 'ybuilt-api-7d9f8c6b5-x2k4q',
  __meta_kubernetes_pod_uid: '3f1c2a9e-8d1b-4c55-9a8e-2b7f0d6c1e42',
  __meta_kubernetes_pod_container_name: 'api',
  __meta_kubernetes_pod_node_name: 'node-a',
  __meta_kubernetes_pod_label_app_kubernetes_io_name: SERVICE,
};

describe.each(ENVIRONMENTS.flatMap((n) => AGENTS.map((a) => [n, a] as const)))('%s log ↔ trace loop through %s', (name, agent) => {
  const e = agent === 'promtail' ? env(name) : alloyEnv(name, agent === 'alloy reading files' ? 'files' : 'api');
  const m = objects(e);
  const grafana = configMapYaml(m, 'grafana-datasources', 'datasources.yaml');

  const criLine = `2026-11-24T10:00:00.123456789Z stdout F ${appLine()}`;
  const out =
    agent === 'promtail'
      ? runPipeline(configMapYaml(m, 'promtail', 'promtail.yaml'), criLine, DISCOVERED)
      : runAlloyPipeline(findObject(m, 'ConfigMap', 'alloy').data['config.alloy'], criLine, DISCOVERED, { node: 'node-a' })!;

  test("the stream carries the dashboard's job label and no per-trace label", () => {
    const job = e.config.grafana.dashboards.job;
    expect(out.labels.job).toBe(job);
    const logs = JSON.parse(findObject(m, 'ConfigMap', 'grafana-dashboards').data['ybuilt-log-correlation.json']);
    expect(logs.panels[0].targets[0].expr.startsWith(`{job="${out.labels.job}"}`)).toBe(true);
    expect(out.labels).not.toHaveProperty('trace_id');
  });

  test('structured metadata holds the trace and span ids of the span', () => {
    expect(out.structuredMetadata).toEqual({ trace_id: SPAN_CONTEXT.traceId, span_id: SPAN_CONTEXT.spanId });
  });

  test("Grafana's rendered derived field extracts the span's trace id from the stored line", () => {
    const field = grafana.datasources.find((d: any) => d.uid === 'loki').jsonData.derivedFields.find((f: any) => f.name === 'TraceID');
    expect(derivedValue(field, out)).toBe(SPAN_CONTEXT.traceId);
    expect(field.datasourceUid).toBe(grafana.datasources.find((d: any) => d.type === 'tempo').uid);
  });

  test("Tempo's trace-to-logs query, with the span's service and trace id, selects the stored line", () => {
    const links = grafana.datasources.find((d: any) => d.type === 'tempo').jsonData.tracesToLogsV2;
    const tag = links.tags.find((t: any) => t.key === 'service.name');
    const query = interpolate(provisioningExpand(links.query), { __tags: `${tag.value}="${SERVICE}"`, '__span.traceId': SPAN_CONTEXT.traceId });
    expect(selects(query, out)).toBe(true);
    expect(selects(query, { ...out, labels: { ...out.labels, [tag.value]: 'another-service' } })).toBe(false);
  });
});
