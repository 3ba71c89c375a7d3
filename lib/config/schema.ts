/**
 * The environment schema: the users' interface and the only place defaults live.
 * Defaults are the production values of the seed document; environment files override them.
 * Cross-field rules live here too, each reporting the key path it is about.
 */
import { z } from 'zod';
import { dnsLabel, durationMs, systemNamespace, withoutCredentials } from './primitives';
import { tempoSchema } from './tempo';
import { lokiSchema } from './loki';
import { promtailSchema } from './promtail';
import { alloySchema, logAgentSchema } from './alloy';
import { grafanaSchema } from './grafana';
import { samplingSchema } from './sampling';
import { collectorSchema } from './collector';
import { applicationsSchema } from './applications';
import { gitopsSchema } from './gitops';
import { tlsSchema } from './tls';
import { namespaceOfServiceUrl, securitySchema } from './security';
import { monitoringSchema } from './monitoring';
import { platformSchema } from './platform';
import { objectStorageRules } from './object-storage';

export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored by synth'),
    namespace: dnsLabel
      .refine((ns) => !systemNamespace(ns), {
        error: (i) => `expected a namespace of the stack's own, got ${JSON.stringify(i.input)} (a Kubernetes system namespace: the stack's NetworkPolicies, Pod Security labels and RBAC would apply to everything in it)`,
      })
      .default('observability')
      .describe('namespace the stack runs in (not default or kube-*)'),
    bucketLifecycle: z
      .strictObject({
        controller: z
          .enum(['none', 'ack', 'crossplane'])
          .default('none')
          .describe('controller that applies bucket lifecycle rules for the archive/cold tiers: none, ack (AWS Controllers for Kubernetes) or crossplane'),
      })
      .prefault({}),
    prometheus: z
      .strictObject({
        url: withoutCredentials(
          z.url({ protocol: /^https?$/, error: (i) => `expected an http(s) URL like "http://prometheus.monitoring.svc.cluster.local:9090", got ${JSON.stringify(i.input)}` }),
          'point it at an in-cluster Prometheus the NetworkPolicies allow (security.prometheusNamespace), or an authenticating proxy whose credentials live in a Secret',
        )
          .default('http://prometheus.monitoring.svc.cluster.local:9090')
          .describe('the Prometheus the stack reads metrics from (Grafana datasource) and remote-writes span metrics to (Tempo metrics-generator)'),
      })
      .prefault({}),
    tempo: tempoSchema,
    loki: lokiSchema,
    logAgent: logAgentSchema,
    promtail: promtailSchema,
    alloy: alloySchema,
    grafana: grafanaSchema,
    sampling: samplingSchema,
    collector: collectorSchema,
    applications: applicationsSchema,
    security: securitySchema,
    tls: tlsSchema,
    gitops: gitopsSchema,
    monitoring: monitoringSchema,
    platform: platformSchema,
  })
  .superRefine((c, ctx) => {
    const ordered = (tiers: [string, string][], base: (string | number)[]) => {
      for (let i = 1; i < tiers.length; i++) {
        const [prevName, prev] = tiers[i - 1];
        const [name, value] = tiers[i];
        if (durationMs(value) < durationMs(prev)) {
          ctx.addIssue({ code: 'custom', path: [...base, name], message: `expected at least ${prevName} (${prev}), got ${JSON.stringify(value)}` });
        }
      }
    };
    ordered(Object.entries(c.tempo.retention), ['tempo', 'retention']);
    ordered(Object.entries(c.loki.retention), ['loki', 'retention']);

    const distinctPorts = (ports: Record<string, number>, base: (string | number)[]) => {
      const seen = new Map<number, string>();
      for (const [name, p] of Object.entries(ports)) {
        const other = seen.get(p);
        if (other) ctx.addIssue({ code: 'custom', path: [...base, name], message: `port ${p} is already used by ${[...base, other].join('.')}, expected a distinct port` });
        else seen.set(p, name);
      }
    };
    distinctPorts(c.tempo.ports, ['tempo', 'ports']);
    distinctPorts(c.loki.ports, ['loki', 'ports']);
    distinctPorts(c.collector.ports, ['collector', 'ports']);

    // Promtail's namespace enforces Pod Security "privileged" (hostPath log volumes); the stack's must stay "restricted".
    if (c.logAgent === 'promtail' && systemNamespace(c.promtail.namespace)) {
      ctx.addIssue({ code: 'custom', path: ['promtail', 'namespace'], message: `expected a namespace of Promtail's own, got ${JSON.stringify(c.promtail.namespace)} (it gets Pod Security "privileged", which must not extend to Kubernetes' system pods)` });
    } else if (c.logAgent === 'promtail' && c.promtail.namespace === c.namespace) {
      ctx.addIssue({ code: 'custom', path: ['promtail', 'namespace'], message: `expected a namespace other than the stack's ${JSON.stringify(c.namespace)} (Promtail's needs Pod Security "privileged"), got ${JSON.stringify(c.promtail.namespace)}` });
    }
    // Alloy's namespace has its own Pod Security level and default-deny policy, so it is never the stack's.
    if (c.logAgent === 'alloy' && systemNamespace(c.alloy.namespace)) {
      ctx.addIssue({ code: 'custom', path: ['alloy', 'namespace'], message: `expected a namespace of Alloy's own, got ${JSON.stringify(c.alloy.namespace)} (its Pod Security level and default-deny policy must not extend to Kubernetes' system pods)` });
    } else if (c.logAgent === 'alloy' && c.alloy.namespace === c.namespace) {
      ctx.addIssue({ code: 'custom', path: ['alloy', 'namespace'], message: `expected a namespace other than the stack's ${JSON.stringify(c.namespace)} (the agent's namespace carries its own Pod Security level and policies), got ${JSON.stringify(c.alloy.namespace)}` });
    }

    const seen = new Set<string>();
    c.applications.namespaces.forEach(({ name }, i) => {
      const path = ['applications', 'namespaces', i];
      if (name === c.namespace) {
        ctx.addIssue({ code: 'custom', path, message: `expected a namespace other than the stack's ${JSON.stringify(c.namespace)} (it has its own otel-sdk ConfigMap), got ${JSON.stringify(name)}` });
      } else if (typeof name === 'string' && name.startsWith('kube-')) {
        // "default" is where many applications run; kube-* belongs to the cluster, and its objects to its operators.
        ctx.addIssue({ code: 'custom', path, message: `expected an application namespace, got ${JSON.stringify(name)} (kube-* namespaces are Kubernetes' own: synth would write a ConfigMap there and open the gateway to everything in it)` });
      } else if (seen.has(name)) {
        ctx.addIssue({ code: 'custom', path, message: `namespace ${JSON.stringify(name)} is listed twice, expected each once` });
      }
      seen.add(name);
    });

    if (!c.security.prometheusNamespace && !namespaceOfServiceUrl(c.prometheus.url)) {
      ctx.addIssue({ code: 'custom', path: ['security', 'prometheusNamespace'], message: `missing, expected the namespace of Prometheus (it cannot be derived from prometheus.url ${JSON.stringify(c.prometheus.url)})` });
    }

    // Settings that would reach no object are refused rather than ignored.
    if (c.security.ingressCidrs.length && c.grafana.exposure.type === 'none') {
      ctx.addIssue({ code: 'custom', path: ['security', 'ingressCidrs'], message: 'expected none while grafana.exposure.type is "none" (nothing is exposed to admit them to); set grafana.exposure or remove them' });
    }
    const idleAgent = c.logAgent === 'promtail' ? 'alloy' : 'promtail';
    if (c.platform.components[idleAgent]) {
      ctx.addIssue({ code: 'custom', path: ['platform', 'components', idleAgent], message: `expected no settings for ${idleAgent} while logAgent is ${JSON.stringify(c.logAgent)} (it is not rendered); move them to platform.components.${c.logAgent}` });
    }

    for (const name of ['tempo', 'loki'] as const) {
      for (const issue of objectStorageRules(c[name])) ctx.addIssue({ code: 'custom', path: [name, ...issue.path], message: issue.message });
      // ACK and the Crossplane AWS provider manage S3 buckets only; a GCS or Azure bucket would silently get no rule.
      const store = c[name].backend;
      if (c.bucketLifecycle.controller !== 'none' && (store === 'gcs' || store === 'azure')) {
        ctx.addIssue({
          code: 'custom',
          path: ['bucketLifecycle', 'controller'],
          message: `expected "none" when ${name}.backend is ${store} (${c.bucketLifecycle.controller} manages S3 buckets only; set the rule in README "Retention tiers" on the bucket), got ${JSON.stringify(c.bucketLifecycle.controller)}`,
        });
      }
    }
  });

/** The parsed, fully defaulted configuration every chart receives. */
export type StackConfig = z.infer<typeof configSchema>;

/** A team dashboard file (dashboards/shared or dashboards/<env>), validated by lib/grafana/team-dashboards.ts. */
export interface TeamDashboard {
  /** Where it was read, for messages. */
  readonly file: string;
  /** Its ConfigMap key (the file name). */
  readonly key: string;
  readonly uid: string;
  readonly title: string;
  /** The dashboard as provisioned: parsed and serialized once. */
  readonly json: string;
}

/** One environment: its name (the config file's base name), its configuration and the team's dashboard files. */
export interface Environment {
  readonly name: string;
  readonly config: StackConfig;
  readonly teamDashboards?: readonly TeamDashboard[];
}
