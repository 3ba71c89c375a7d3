/**
 * The knobs a cluster's platform needs on every object of the stack: the storage class of volume claims,
 * Service annotations, node placement (nodeSelector, tolerations, priority class, extra affinity) and an image
 * registry mirror. Each is one setting for all components, and `platform.components.<component>` overrides it
 * for one. Applied in one place per kind of object (lib/k8s/platform.ts), so no chart can forget one.
 */
import { z } from 'zod';
import { dnsLabel, isLabelKey, isLabelValue } from './primitives';

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** The components a setting can be overridden for: the stack's charts that run pods. */
export const PLATFORM_COMPONENTS = ['tempo', 'loki', 'grafana', 'collector', 'promtail', 'alloy'] as const;
export type PlatformComponent = (typeof PLATFORM_COMPONENTS)[number];

const labelKey = z.string().refine(isLabelKey, { error: (i) => `expected a Kubernetes label key (optional DNS prefix and "/", then up to 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric), got ${show(i.input)}` });
const labelValue = z.string({ error: (i) => `expected a label value (a string), got ${show(i.input)}` }).refine(isLabelValue, { error: (i) => `expected a Kubernetes label value (up to 63 of A-Z a-z 0-9 - _ .), got ${show(i.input)}` });

/** Annotation keys follow the label key rule; values are free text (Kubernetes caps all annotations at 256 KiB). */
export const annotations = z
  .record(z.string(), z.string({ error: (i) => `expected an annotation value (a string; quote numbers and booleans), got ${show(i.input)}` }))
  .superRefine((a, ctx) => {
    for (const key of Object.keys(a)) {
      if (!isLabelKey(key)) ctx.addIssue({ code: 'custom', path: [key], message: `expected an annotation key (optional DNS prefix and "/", then up to 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric), got ${show(key)}` });
    }
    const bytes = Object.entries(a).reduce((n, [k, v]) => n + k.length + (typeof v === 'string' ? v.length : 0), 0);
    if (bytes > 256 * 1024) ctx.addIssue({ code: 'custom', message: `expected at most 262144 bytes of annotations (the API server's limit), got ${bytes}` });
  });

const requirement = (operators: readonly [string, ...string[]]) =>
  z
    .strictObject({ key: labelKey, operator: z.enum(operators), values: z.array(z.string()).optional() })
    .superRefine((r, ctx) => {
      const needsValues = r.operator === 'In' || r.operator === 'NotIn' || r.operator === 'Gt' || r.operator === 'Lt';
      if (needsValues && !r.values?.length) ctx.addIssue({ code: 'custom', path: ['values'], message: `missing, expected at least one value with operator ${r.operator}` });
      if (!needsValues && r.values?.length) ctx.addIssue({ code: 'custom', path: ['values'], message: `expected no values with operator ${r.operator}, got ${show(r.values)}` });
      if ((r.operator === 'Gt' || r.operator === 'Lt') && (r.values?.length !== 1 || !/^-?\d+$/.test(r.values[0]))) ctx.addIssue({ code: 'custom', path: ['values'], message: `expected one integer with operator ${r.operator}, got ${show(r.values)}` });
    });

const nodeSelectorTerm = z.strictObject({
  matchExpressions: z.array(requirement(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'])).optional(),
  matchFields: z.array(requirement(['In', 'NotIn'])).optional(),
});
const weight = z.number().int().min(1).max(100);
const labelSelector = z.strictObject({
  matchLabels: z.record(labelKey, labelValue).optional(),
  matchExpressions: z.array(requirement(['In', 'NotIn', 'Exists', 'DoesNotExist'])).optional(),
});
const podAffinityTerm = z.strictObject({
  labelSelector: labelSelector.optional(),
  namespaceSelector: labelSelector.optional(),
  namespaces: z.array(dnsLabel).optional(),
  topologyKey: labelKey.describe('node label whose value defines the domain, e.g. topology.kubernetes.io/zone'),
  matchLabelKeys: z.array(labelKey).optional(),
  mismatchLabelKeys: z.array(labelKey).optional(),
});
const podAffinity = z.strictObject({
  requiredDuringSchedulingIgnoredDuringExecution: z.array(podAffinityTerm).optional(),
  preferredDuringSchedulingIgnoredDuringExecution: z.array(z.strictObject({ weight, podAffinityTerm })).optional(),
});

/** Kubernetes' core/v1 Affinity, validated field by field (the API server would refuse the object otherwise). */
export const affinitySchema = z.strictObject({
  nodeAffinity: z
    .strictObject({
      requiredDuringSchedulingIgnoredDuringExecution: z.strictObject({ nodeSelectorTerms: z.array(nodeSelectorTerm).min(1) }).optional(),
      preferredDuringSchedulingIgnoredDuringExecution: z.array(z.strictObject({ weight, preference: nodeSelectorTerm })).optional(),
    })
    .optional(),
  podAffinity: podAffinity.optional(),
  podAntiAffinity: podAffinity.optional(),
});
export type AffinityConfig = z.infer<typeof affinitySchema>;

export const tolerationSchema = z
  .strictObject({
    key: labelKey.optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.number().int().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.operator === 'Exists' && t.value) ctx.addIssue({ code: 'custom', path: ['value'], message: `expected no value with operator Exists, got ${show(t.value)}` });
    if (!t.key && t.operator !== 'Exists') ctx.addIssue({ code: 'custom', path: ['operator'], message: 'expected "Exists" when key is empty (an empty key with Equal matches nothing)' });
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') ctx.addIssue({ code: 'custom', path: ['tolerationSeconds'], message: `expected effect NoExecute with tolerationSeconds, got ${show(t.effect)}` });
  });
export type TolerationConfig = z.infer<typeof tolerationSchema>;

/**
 * A registry (and optional path) that mirrors Docker Hub and other registries: `registry.example.com/mirror`.
 * No scheme, no tag: it is a prefix (lib/k8s/platform.ts mirrorImage).
 */
const registry = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/, {
    error: (i) => `expected a registry host with an optional port and path like "registry.example.com/dockerhub" (no scheme, no tag), got ${show(i.input)}`,
  });

/** Every knob, each optional: left out in a component, the global value applies; left out there too, none. */
const knobs = {
  storageClassName: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { error: (i) => `expected a StorageClass name (a DNS subdomain like "gp3"), got ${show(i.input)}` })
    .optional()
    .describe('StorageClass of every volume claim (unset: the cluster default class)'),
  serviceAnnotations: annotations.optional().describe('annotations on every Service (ours take precedence on a clash)'),
  nodeSelector: z.record(labelKey, labelValue).optional().describe('nodeSelector of every pod (not the log agents\' DaemonSets unless set for them: they must run on every node)'),
  tolerations: z.array(tolerationSchema).optional().describe('tolerations of every pod'),
  priorityClassName: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { error: (i) => `expected a PriorityClass name (a DNS subdomain), got ${show(i.input)}` })
    .optional()
    .describe('PriorityClass of every pod'),
  affinity: affinitySchema.optional().describe('extra affinity, merged with the stack\'s own (required node terms are ANDed with ours, other terms added; never replaced)'),
  imageRegistry: registry.optional().describe('registry mirror prefixed to every image, memcached and its exporter included ("grafana/loki:3.7.6" → "<mirror>/grafana/loki:3.7.6", "memcached:1.6" → "<mirror>/library/memcached:1.6")'),
};
const knobsSchema = z.strictObject(knobs);
export type PlatformKnobs = z.infer<typeof knobsSchema>;

export const platformSchema = z
  .strictObject({
    ...knobs,
    components: z
      .strictObject(Object.fromEntries(PLATFORM_COMPONENTS.map((c) => [c, knobsSchema.optional()])) as { [K in PlatformComponent]: z.ZodOptional<typeof knobsSchema> })
      .prefault({} as never)
      .describe('per-component overrides (tempo, loki, grafana, collector, promtail, alloy): a setting given here replaces the global one for that component'),
  })
  .prefault({});
export type PlatformConfig = z.infer<typeof platformSchema>;

/** The settings that apply to one component: its own where given, else the global ones. */
export function platformFor(p: PlatformConfig, component: PlatformComponent): PlatformKnobs {
  const own = p.components[component] ?? {};
  const pick = <K extends keyof PlatformKnobs>(k: K): PlatformKnobs[K] => (own[k] !== undefined ? own[k] : p[k]);
  // A DaemonSet's pods belong on every node: a global nodeSelector or affinity (meant for the stack's own pool)
  // would leave nodes whose logs nobody collects. Only settings given for the log agent itself apply.
  const agent = component === 'promtail' || component === 'alloy';
  return {
    storageClassName: pick('storageClassName'),
    serviceAnnotations: pick('serviceAnnotations'),
    nodeSelector: agent ? own.nodeSelector : pick('nodeSelector'),
    tolerations: pick('tolerations'),
    priorityClassName: pick('priorityClassName'),
    affinity: agent ? own.affinity : pick('affinity'),
    imageRegistry: pick('imageRegistry'),
  };
}
