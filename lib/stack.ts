/**
 * Builds one environment: every component chart, wired by passing constructs (not strings), rendered
 * to one YAML file per chart plus a kustomization.yaml listing them. Pure: nothing touches the disk.
 */
import { App, Chart } from 'cdk8s';
import { AccessChart } from '../charts/access';
import { CertificatesChart } from '../charts/certificates';
import { GrafanaChart } from '../charts/grafana';
import { LokiChart } from '../charts/loki';
import { NamespaceChart } from '../charts/namespace';
import { NetworkPoliciesChart } from '../charts/network-policies';
import { OtelCollectorChart } from '../charts/otel-collector';
import { OtelSdkChart } from '../charts/otel-sdk';
import { PromtailChart } from '../charts/promtail';
import { TempoChart } from '../charts/tempo';
import { Environment } from './config/schema';
import { StackChart } from './k8s/chart';
import { withSyncWave } from './gitops';
import { toYaml } from './serialize';

/** Output files of one environment, by file name, in a stable order. */
export type RenderedEnvironment = Map<string, string>;

export function buildCharts(env: Environment): StackChart[] {
  const app = new App({ outdir: '.unused' });
  const namespace = new NamespaceChart(app, 'namespace', { env });
  const tempo = new TempoChart(app, 'tempo', { env });
  const collector = new OtelCollectorChart(app, 'otel-collector', { env, tempo });
  const otelSdk = new OtelSdkChart(app, 'otel-sdk', { env, collector });
  const loki = new LokiChart(app, 'loki', { env });
  const promtail = new PromtailChart(app, 'promtail', { env, loki });
  const grafana = new GrafanaChart(app, 'grafana', { env, tempo, loki });
  const networkPolicies = new NetworkPoliciesChart(app, 'network-policies', { env, tempo, loki, promtail, grafana, collector });
  const access = new AccessChart(app, 'access', { env });
  const certificates = new CertificatesChart(app, 'certificates', { env, servers: [...tempo.servingServices, ...loki.servingServices], clientNamespaces: [promtail.targetNamespace] });
  return [namespace, access, certificates, tempo, collector, otelSdk, loki, promtail, grafana, networkPolicies];
}

export function renderChart(chart: Chart): string {
  return chart
    .toJson()
    .map((obj) => {
      withSyncWave(obj);
      return toYaml(obj);
    })
    .join('---\n');
}

export function renderEnvironment(env: Environment): RenderedEnvironment {
  const files: RenderedEnvironment = new Map();
  for (const chart of buildCharts(env)) {
    const file = `${chart.appName}.k8s.yaml`;
    if (files.has(file)) throw new Error(`two charts render ${file}`);
    const text = renderChart(chart);
    if (text) files.set(file, text);
  }
  files.set(
    'kustomization.yaml',
    toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...files.keys()] }),
  );
  return files;
}
