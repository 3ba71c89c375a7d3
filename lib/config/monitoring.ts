import { z } from 'zod';
import { duration } from './primitives';

/** Kubernetes label keys (optional DNS prefix, name <= 63) and values, as the API server checks them. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
  error: (i) => `expected a Kubernetes label value (up to 63 letters, digits, "-", "_", "."), got ${JSON.stringify(i.input)}`,
});

/**
 * Self-monitoring with prometheus-operator objects (charts/monitoring.ts): ServiceMonitors/PodMonitors for every
 * workload's metrics port, PrometheusRules, and the operational dashboards. Needs the operator's CRDs
 * (monitoring.coreos.com/v1) in the cluster, so it is off in dev.
 */
export const monitoringSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('render ServiceMonitors, PodMonitors and PrometheusRules (needs prometheus-operator CRDs)'),
    labels: z
      .record(z.string(), labelValue)
      // Keys checked here rather than by the record's key schema, so the message names the key path and what was got.
      .superRefine((labels, ctx) => {
        for (const key of Object.keys(labels)) {
          if (!LABEL_KEY.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: `expected a Kubernetes label key like "release", got ${JSON.stringify(key)}` });
        }
      })
      .default({})
      .describe('labels put on every ServiceMonitor, PodMonitor and PrometheusRule so the platform Prometheus selects them (kube-prometheus-stack: release: <helm release>)'),
    scrapeInterval: duration.default('30s').describe('how often Prometheus scrapes each target'),
    metricsRetention: duration
      .default('360h')
      .describe("raw metrics retention the platform's Prometheus must have (the seed's 15 days); alerted on, not set: Prometheus is not part of this stack"),
    dashboardsFolder: z.string().min(1).default('Observability stack').describe('Grafana folder of the operational dashboards (Loki, Tempo, collector and sampling, log agent)'),
    runbookUrl: z
      .url({ protocol: /^https?$/, error: (i) => `expected an http(s) URL like "https://github.com/org/repo/blob/main/RUNBOOKS.md", got ${JSON.stringify(i.input)}` })
      .optional()
      .describe("this project's RUNBOOKS.md as your Git host shows it; each alert links to its section (unset: links are RUNBOOKS.md#<alert>, relative to the repository)"),
  })
  .prefault({});
export type MonitoringConfig = z.infer<typeof monitoringSchema>;
