/**
 * What prometheus-operator (v0.93, pkg/prometheus/promcfg.go) and Prometheus' Kubernetes discovery make of the
 * rendered ServiceMonitors and PodMonitors: which Services and pods they select, which container port each
 * endpoint reaches, and the labels every scraped series then carries (`namespace`, `service`, `pod`,
 * `container`, `endpoint`, `job`, after the operator's rules and the endpoint's relabelings).
 */
import { K8sObject } from '../helpers';

export interface ScrapeTarget {
  monitor: string;
  /** `Kind/name` of the workload whose pods are scraped. */
  workload: string;
  namespace: string;
  container: string;
  containerPort: number;
  /** The Service port's name (ServiceMonitor) or the container port's name (PodMonitor). */
  portName: string;
  scheme: string;
  path: string;
  tlsConfig?: any;
  /** Labels on every series scraped from this target (no `instance`/`pod`: those vary per pod). */
  labels: Record<string, string>;
}

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet'];
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> = {}) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/** Prometheus relabeling: `replace` (default), `keep`, `drop`; anchored regexes, `$1` references. */
export function relabel(labels: Record<string, string>, rules: any[] = []): Record<string, string> | undefined {
  const out = { ...labels };
  for (const r of rules) {
    const action = (r.action ?? 'replace').toLowerCase();
    const value = (r.sourceLabels ?? []).map((l: string) => out[l] ?? '').join(r.separator ?? ';');
    const re = new RegExp(`^(?:${r.regex ?? '(.*)'})$`);
    const m = re.exec(value);
    if (action === 'keep' && !m) return undefined;
    if (action === 'drop' && m) return undefined;
    if (action === 'replace' && m) {
      const v = (r.replacement ?? '$1').replace(/\$(\d+)|\$\{(\d+)\}/g, (_: string, a: string, b: string) => m[Number(a ?? b)] ?? '');
      if (v === '') delete out[r.targetLabel];
      else out[r.targetLabel] = v;
    }
  }
  return out;
}

function podsOf(all: K8sObject[], namespace: string, selector: Record<string, string>): K8sObject[] {
  return all.filter((o) => WORKLOADS.includes(o.kind) && o.metadata.namespace === namespace && matches(selector, o.spec.template.metadata.labels));
}

function inNamespaces(monitor: K8sObject, namespace: string | undefined): boolean {
  const sel = monitor.spec.namespaceSelector;
  if (sel?.any) return true;
  return (sel?.matchNames ?? [monitor.metadata.namespace]).includes(namespace);
}

function containerWithPort(workload: K8sObject, name: string | number): { container: any; port: any } | undefined {
  for (const container of workload.spec.template.spec.containers) {
    const port = (container.ports ?? []).find((p: any) => p.name === name || p.containerPort === name);
    if (port) return { container, port };
  }
  return undefined;
}

/** Every target the monitors in `all` produce. */
export function scrapeTargets(all: K8sObject[]): ScrapeTarget[] {
  const out: ScrapeTarget[] = [];
  for (const m of all.filter((o) => o.kind === 'ServiceMonitor')) {
    const services = all.filter((o) => o.kind === 'Service' && inNamespaces(m, o.metadata.namespace) && matches(m.spec.selector.matchLabels, o.metadata.labels));
    for (const svc of services) {
      for (const ep of m.spec.endpoints) {
        // A headless governing Service may publish no port at all: it yields no target.
        const svcPort = (svc.spec.ports ?? []).find((p: any) => p.name === ep.port);
        if (!svcPort) continue; // the operator keeps only endpoints whose port name matches
        for (const w of podsOf(all, svc.metadata.namespace!, svc.spec.selector)) {
          const found = containerWithPort(w, svcPort.targetPort);
          if (!found) continue;
          const base = {
            __meta_kubernetes_service_name: svc.metadata.name,
            namespace: svc.metadata.namespace!,
            service: svc.metadata.name,
            container: found.container.name,
            job: svc.metadata.name,
            endpoint: ep.port,
          };
          const labels = relabel(base, ep.relabelings);
          if (!labels) continue;
          delete labels.__meta_kubernetes_service_name;
          out.push({ monitor: `ServiceMonitor/${m.metadata.name}`, workload: `${w.kind}/${w.metadata.name}`, namespace: labels.namespace, container: found.container.name, containerPort: found.port.containerPort, portName: ep.port, scheme: ep.scheme ?? 'http', path: ep.path ?? '/metrics', tlsConfig: ep.tlsConfig, labels });
        }
      }
    }
  }
  for (const m of all.filter((o) => o.kind === 'PodMonitor')) {
    for (const w of all.filter((o) => WORKLOADS.includes(o.kind) && inNamespaces(m, o.metadata.namespace) && matches(m.spec.selector.matchLabels, o.spec.template.metadata.labels))) {
      for (const ep of m.spec.podMetricsEndpoints) {
        const found = containerWithPort(w, ep.port ?? ep.portNumber);
        if (!found) continue;
        const base = { namespace: w.metadata.namespace!, container: found.container.name, job: `${m.metadata.namespace}/${m.metadata.name}`, endpoint: String(ep.port) };
        const labels = relabel(base, ep.relabelings);
        if (!labels) continue;
        out.push({ monitor: `PodMonitor/${m.metadata.name}`, workload: `${w.kind}/${w.metadata.name}`, namespace: labels.namespace, container: found.container.name, containerPort: found.port.containerPort, portName: ep.port, scheme: ep.scheme ?? 'http', path: ep.path ?? '/metrics', tlsConfig: ep.tlsConfig, labels });
      }
    }
  }
  return out;
}
