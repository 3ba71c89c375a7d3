// Prometheus (Debian's /usr/bin/prometheus, or $E2E_PROMETHEUS) scraping the running pods the way the
// prometheus-operator would from the rendered ServiceMonitors/PodMonitors, with the rendered PrometheusRules
// loaded. The operator's generated scrape config (prometheus-operator pkg/prometheus/promcfg.go) keeps targets
// by the monitor's selector and port, sets namespace/service/pod/container/endpoint and job (the Service name,
// or the pod's for a PodMonitor), then applies the monitor's own relabelings; here the pods are known, so each
// becomes a static target carrying the same __meta_kubernetes_* labels and the same relabelings run on it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { Run, Started, waitFor } from '../support/procs';
import { K8sObject } from './manifests';
import { Cluster, Pod, selects } from './pods';

export const PROMETHEUS = process.env.E2E_PROMETHEUS ?? '/usr/bin/prometheus';

type Relabel = { sourceLabels?: string[]; separator?: string; targetLabel?: string; regex?: string; modulus?: number; replacement?: string; action?: string };

function relabel(r: Relabel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.sourceLabels) out.source_labels = r.sourceLabels;
  if (r.separator !== undefined) out.separator = r.separator;
  if (r.targetLabel !== undefined) out.target_label = r.targetLabel;
  if (r.regex !== undefined) out.regex = r.regex;
  if (r.modulus !== undefined) out.modulus = r.modulus;
  if (r.replacement !== undefined) out.replacement = r.replacement;
  if (r.action !== undefined) out.action = r.action.toLowerCase();
  return out;
}

/** Scrape jobs for every ServiceMonitor/PodMonitor endpoint that selects one of the running pods. */
export function scrapeConfigs(objects: readonly K8sObject[], pods: readonly Pod[]): Record<string, unknown>[] {
  const jobs: Record<string, unknown>[] = [];
  for (const mon of objects.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor')) {
    const monNs = mon.metadata.namespace ?? 'default';
    const namespaces: string[] = mon.spec.namespaceSelector?.matchNames ?? [monNs];
    const endpoints = (mon.kind === 'ServiceMonitor' ? mon.spec.endpoints : mon.spec.podMetricsEndpoints) as (Record<string, any>)[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    endpoints.forEach((ep, i) => {
      const targets: { targets: string[]; labels: Record<string, string> }[] = [];
      for (const pod of pods) {
        const podNs = pod.namespace;
        if (!namespaces.includes(podNs)) continue;
        const port = (pod.container.ports ?? []).find((p: { name?: string }) => p.name === ep.port);
        if (mon.kind === 'PodMonitor') {
          if (!selects(mon.spec.selector.matchLabels, pod.labels) || !port) continue;
          targets.push({ targets: [`${pod.ip}:${port.containerPort}`], labels: meta(pod, podNs, { __meta_kubernetes_pod_container_port_name: ep.port }) });
          continue;
        }
        for (const svc of objects.filter((o) => o.kind === 'Service' && (o.metadata.namespace ?? 'default') === podNs && selects(o.spec.selector, pod.labels) && selects(mon.spec.selector.matchLabels, o.metadata.labels ?? {}))) {
          const sp = (svc.spec.ports as { name?: string; port: number; targetPort?: string | number }[]).find((p) => p.name === ep.port);
          if (!sp || !port) continue;
          targets.push({ targets: [`${pod.ip}:${port.containerPort}`], labels: meta(pod, podNs, { __meta_kubernetes_service_name: svc.metadata.name, __meta_kubernetes_endpoint_port_name: ep.port }) });
        }
      }
      if (targets.length === 0) return;
      const kind = mon.kind === 'ServiceMonitor' ? 'serviceMonitor' : 'podMonitor';
      const job: Record<string, unknown> = {
        job_name: `${kind}/${monNs}/${mon.metadata.name}/${i}`,
        honor_labels: ep.honorLabels ?? false,
        metrics_path: ep.path ?? '/metrics',
        scheme: ep.scheme ?? 'http',
        static_configs: targets,
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
          ...(mon.kind === 'ServiceMonitor' ? [{ source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' }] : []),
          { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
          { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
          { target_label: 'endpoint', replacement: String(ep.port) },
          // job: the Service name (ServiceMonitor) or <namespace>/<PodMonitor name>, unless jobLabel says otherwise.
          mon.kind === 'ServiceMonitor'
            ? { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job' }
            : { target_label: 'job', replacement: `${monNs}/${mon.metadata.name}` },
          ...((ep.relabelings ?? []) as Relabel[]).map(relabel),
        ],
        metric_relabel_configs: ((ep.metricRelabelings ?? []) as Relabel[]).map(relabel),
      };
      if (ep.interval) job.scrape_interval = ep.interval;
      if (ep.scrapeTimeout) job.scrape_timeout = ep.scrapeTimeout;
      if (ep.tlsConfig) throw new Error(`e2e: ${mon.kind} ${mon.metadata.name} scrapes a running pod over TLS; the runner has no secret mapping for monitors yet`);
      jobs.push(job);
    });
  }
  return jobs;
}

function meta(pod: Pod, ns: string, extra: Record<string, string>): Record<string, string> {
  return { __meta_kubernetes_namespace: ns, __meta_kubernetes_pod_name: pod.name, __meta_kubernetes_pod_container_name: pod.container.name, ...extra };
}

/** The rendered PrometheusRules as one rule file (their spec is Prometheus' own rule-file format). */
export function ruleFile(objects: readonly K8sObject[]): string {
  const groups = objects.filter((o) => o.kind === 'PrometheusRule').flatMap((o) => o.spec.groups);
  return yaml.dump({ groups }, { lineWidth: -1 });
}

export class Prometheus {
  proc!: Started;
  url = '';
  constructor(private readonly run: Run, private readonly cluster: Cluster) {}

  async start(objects: readonly K8sObject[], pods: readonly Pod[], evaluationInterval = '5s'): Promise<void> {
    if (!fs.existsSync(PROMETHEUS)) throw new Error(`e2e: ${PROMETHEUS} is missing: install Debian's prometheus package (.ci/run does) or set E2E_PROMETHEUS`);
    const dir = this.run.mkdir('prometheus');
    fs.writeFileSync(path.join(dir, 'rules.yaml'), ruleFile(objects));
    fs.writeFileSync(path.join(dir, 'prometheus.yaml'), yaml.dump({
      // The operator's default evaluation interval is 30s; 5s only shortens how soon a state change is seen.
      global: { scrape_interval: '30s', evaluation_interval: evaluationInterval },
      rule_files: [path.join(dir, 'rules.yaml')],
      scrape_configs: scrapeConfigs(objects, pods),
    }, { lineWidth: -1 }));
    const ip = await this.cluster.allocateIP([9090]);
    this.url = `http://${ip}:9090`;
    this.proc = this.run.start('prometheus', PROMETHEUS, [
      `--config.file=${path.join(dir, 'prometheus.yaml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=${ip}:9090`, '--storage.tsdb.retention.time=1h',
    ], { cwd: dir });
    await waitFor('Prometheus to be ready', async () => (await fetch(`${this.url}/-/ready`)).ok, { watch: [this.proc], timeoutMs: 60_000 });
    const rules = await this.api('/api/v1/rules');
    if ((rules.groups as unknown[]).length === 0) throw new Error(`e2e: Prometheus loaded no rule group\n${this.proc.log()}`);
  }

  async api(p: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${this.url}${p}`);
    const body = await res.json() as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`e2e: Prometheus ${p}: ${body.error}`);
    return body.data;
  }

  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    return (await this.api(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result;
  }
}
