/**
 * Applies `platform` (lib/config/platform.ts) where each knob belongs: every pod template goes through
 * placePod (from podTemplate), every Service through StackService, every volume claim through claimSpec. One
 * function per kind of object, so a chart cannot render a pod or a claim that misses a setting.
 */
import * as k8s from '../../imports/k8s';
import { AffinityConfig, PlatformComponent, platformFor, PlatformKnobs } from '../config/platform';
import type { StackChart } from './chart';

/** The chart's component for per-component overrides; charts without pods or Services get the global settings. */
const CHART_COMPONENT: Record<string, PlatformComponent> = { tempo: 'tempo', loki: 'loki', grafana: 'grafana', 'otel-collector': 'collector', promtail: 'promtail', alloy: 'alloy' };

export function platformOf(chart: StackChart): PlatformKnobs {
  const component = CHART_COMPONENT[chart.appName];
  const p = chart.config.platform;
  return component ? platformFor(p, component) : { storageClassName: p.storageClassName, serviceAnnotations: p.serviceAnnotations, nodeSelector: p.nodeSelector, tolerations: p.tolerations, priorityClassName: p.priorityClassName, affinity: p.affinity, imageRegistry: p.imageRegistry };
}

/**
 * An image through a registry mirror. Docker Hub references are written in full first ("memcached:1.6" is
 * docker.io/library/memcached:1.6), since pull-through caches (ECR, Harbor, Artifactory) address Docker Hub's
 * official images under library/; an image that names its registry keeps that host as the first path segment.
 */
export function mirrorImage(ref: string, registry: string | undefined): string {
  // Already through the mirror (an image override written in full): unchanged.
  if (!registry || ref.startsWith(`${registry}/`)) return ref;
  const slash = ref.indexOf('/');
  const first = slash === -1 ? '' : ref.slice(0, slash);
  // A first segment with "." or ":" (or "localhost") is a registry host (distribution/reference's rule).
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const path = hasHost ? (first === 'docker.io' || first === 'index.docker.io' ? ref.slice(slash + 1) : ref) : ref;
  const dockerHub = !hasHost || first === 'docker.io' || first === 'index.docker.io';
  const full = dockerHub && !path.replace(/[:@].*$/, '').includes('/') ? `library/${path}` : path;
  return `${registry}/${full}`;
}

/**
 * Our affinity plus the user's, never replacing ours: required node terms are ANDed (every combination of one
 * of ours and one of theirs, since terms are ORed and expressions in a term ANDed); every other list is joined.
 */
export function mergeAffinity(ours: k8s.Affinity | undefined, extra: AffinityConfig | undefined): k8s.Affinity | undefined {
  if (!extra) return ours;
  if (!ours) return extra as k8s.Affinity;
  const join = <T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined => (a || b ? [...(a ?? []), ...(b ?? [])] : undefined);
  const oursReq = ours.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const extraReq = extra.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as k8s.NodeSelectorTerm[] | undefined;
  const required =
    oursReq && extraReq
      ? oursReq.flatMap((o) => extraReq.map((x) => ({ ...(join(o.matchExpressions, x.matchExpressions) ? { matchExpressions: join(o.matchExpressions, x.matchExpressions) } : {}), ...(join(o.matchFields, x.matchFields) ? { matchFields: join(o.matchFields, x.matchFields) } : {}) })))
      : (oursReq ?? extraReq);
  const pods = (a: k8s.PodAffinity | undefined, b: AffinityConfig['podAffinity']): k8s.PodAffinity | undefined => {
    if (!a && !b) return undefined;
    const req = join(a?.requiredDuringSchedulingIgnoredDuringExecution, b?.requiredDuringSchedulingIgnoredDuringExecution as k8s.PodAffinityTerm[] | undefined);
    const pref = join(a?.preferredDuringSchedulingIgnoredDuringExecution, b?.preferredDuringSchedulingIgnoredDuringExecution as k8s.WeightedPodAffinityTerm[] | undefined);
    return { ...(req ? { requiredDuringSchedulingIgnoredDuringExecution: req } : {}), ...(pref ? { preferredDuringSchedulingIgnoredDuringExecution: pref } : {}) };
  };
  const preferredNodes = join(ours.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution, extra.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution as k8s.PreferredSchedulingTerm[] | undefined);
  const nodeAffinity = required || preferredNodes ? { ...(required ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: required } } : {}), ...(preferredNodes ? { preferredDuringSchedulingIgnoredDuringExecution: preferredNodes } : {}) } : undefined;
  const podAffinity = pods(ours.podAffinity, extra.podAffinity);
  const podAntiAffinity = pods(ours.podAntiAffinity, extra.podAntiAffinity);
  return { ...(nodeAffinity ? { nodeAffinity } : {}), ...(podAffinity ? { podAffinity } : {}), ...(podAntiAffinity ? { podAntiAffinity } : {}) };
}

/** A pod spec with the platform's placement and mirrored images; what the chart set itself is kept. */
export function placePod(chart: StackChart, spec: k8s.PodSpec): k8s.PodSpec {
  const p = platformOf(chart);
  const image = (c: k8s.Container): k8s.Container => (c.image ? { ...c, image: mirrorImage(c.image, p.imageRegistry) } : c);
  // Ours first: a toleration we need (the log agents' Exists) is never dropped; an identical one is not repeated.
  const tolerations = [...(spec.tolerations ?? []), ...((p.tolerations ?? []) as k8s.Toleration[])].filter((t, i, all) => all.findIndex((o) => JSON.stringify(o) === JSON.stringify(t)) === i);
  const nodeSelector = p.nodeSelector || spec.nodeSelector ? { ...p.nodeSelector, ...spec.nodeSelector } : undefined;
  const affinity = mergeAffinity(spec.affinity, p.affinity);
  return {
    ...spec,
    containers: spec.containers.map(image),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(image) } : {}),
    ...(nodeSelector ? { nodeSelector } : {}),
    ...(tolerations.length ? { tolerations } : {}),
    ...(spec.priorityClassName || p.priorityClassName ? { priorityClassName: spec.priorityClassName ?? p.priorityClassName } : {}),
    ...(affinity ? { affinity } : {}),
  };
}

/** A ReadWriteOnce claim's spec of this size, in the platform's storage class when one is set. */
export function claimSpec(chart: StackChart, storageGiB: number): k8s.PersistentVolumeClaimSpec {
  const storageClassName = platformOf(chart).storageClassName;
  return { accessModes: ['ReadWriteOnce'], ...(storageClassName ? { storageClassName } : {}), resources: { requests: { storage: k8s.Quantity.fromString(`${storageGiB}Gi`) } } };
}
