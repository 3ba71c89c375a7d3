/**
 * The contract with Grafana's rollout-operator (grafana/rollout-operator v0.38.1, Apache-2.0), read from its
 * source: what it reads on the StatefulSets of a zone group, and the ZoneAwarePodDisruptionBudget it enforces.
 * - pkg/config/config.go: the `rollout-group` label (StatefulSet metadata; the informer lists only StatefulSets
 *   carrying it) and the `rollout-max-unavailable` annotation (StatefulSet metadata; positive integer or "N%",
 *   pkg/controller/labels.go getMaxUnavailableForStatefulSet).
 * - pkg/controller/controller.go: a group is rolled only if every StatefulSet has `updateStrategy: OnDelete`; the
 *   pods of a StatefulSet are found by the pod label `name` = the template's `name` label; StatefulSets are
 *   taken in name order, a StatefulSet with not-Ready pods first, none while two have not-Ready pods, and the
 *   next one only after the previous one is fully updated and Ready. Before deleting a pod it asks the
 *   in-process eviction controller (pkg/zpdb), which applies the ZoneAwarePodDisruptionBudget.
 * - pkg/zpdb/config_observer.go: the operator waits for its ZoneAwarePodDisruptionBudget informer to sync
 *   before it becomes ready, so the CRD must exist even where no budget is declared.
 */

/** StatefulSet label naming the group of zone StatefulSets rolled one at a time (pkg/config RolloutGroupLabelKey). */
export const ROLLOUT_GROUP_LABEL = 'rollout-group';
/** StatefulSet annotation: pods of that StatefulSet restarted at once (pkg/config RolloutMaxUnavailableAnnotationKey). */
export const ROLLOUT_MAX_UNAVAILABLE_ANNOTATION = 'rollout-max-unavailable';
/** Pod label the operator lists a StatefulSet's pods by (pkg/controller listPodsByStatefulSet): unique per StatefulSet. */
export const ROLLOUT_POD_NAME_LABEL = 'name';

export const ZPDB_GROUP = 'rollout-operator.grafana.com';
export const ZPDB_VERSION = 'v1';
export const ZPDB_KIND = 'ZoneAwarePodDisruptionBudget';
const ZPDB_PLURAL = 'zoneawarepoddisruptionbudgets';
export const ZPDB_RESOURCE = ZPDB_PLURAL;

/**
 * The partition a pod serves, as the budget reads it: `^(?:<zone StatefulSet>|…)-([0-9]+)$` (the operator
 * anchors the expression, pkg/zpdb/config.go valueAsRegex), capture group 1 = the ordinal, which is the Kafka
 * partition a Tempo live-store owns (pkg/ingest/util.go). Names are DNS labels; escaped anyway.
 */
export function partitionRegex(statefulSets: readonly string[]): string {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `(?:${statefulSets.map(escape).join('|')})-([0-9]+)`;
}

/**
 * The ZoneAwarePodDisruptionBudget CRD, as the pinned release ships it (operations/rollout-operator/crds/
 * zone-aware-pod-disruption-budget.yaml at v0.38.1). Rendered because the operator never becomes ready
 * without it (see above); the tests validate the budgets this project renders against this schema.
 */
export function zpdbCustomResourceDefinition(labels: Record<string, string>): Record<string, unknown> {
  const str = (description: string) => ({ type: 'string', description });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${ZPDB_PLURAL}.${ZPDB_GROUP}`, labels },
    spec: {
      group: ZPDB_GROUP,
      scope: 'Namespaced',
      names: { kind: ZPDB_KIND, plural: ZPDB_PLURAL, singular: 'zoneawarepoddisruptionbudget', shortNames: ['zpdb'] },
      versions: [
        {
          name: ZPDB_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['selector'],
                  properties: {
                    maxUnavailable: { type: 'integer', minimum: 0, description: 'The number of pods that can be unavailable within a zone or partition.' },
                    maxUnavailablePercentage: {
                      type: 'integer',
                      minimum: 0,
                      maximum: 100,
                      description: "Calculate the maxUnavailable value as a percentage of the StatefulSet's spec.Replica count. This option is not supported when using podNamePartitionRegex.",
                    },
                    selector: {
                      type: 'object',
                      description: 'A selector for finding pods and statefulsets that this ZoneAwarePodDisruptionBudget applies to.',
                      required: ['matchLabels'],
                      properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } },
                    },
                    podNamePartitionRegex: str('A regular expression for returning a partition name given a pod name. When set, maxUnavailable applies across all zones for a given partition.'),
                    podNameRegexGroup: { type: 'integer', minimum: 1, description: 'The regular expression capture group number that contains the partition name (1-based, default 1).' },
                    crossZoneEvictionDelay: str('Minimum time after a pod returns to ready before another pod of the same partition can be evicted (a Go duration). Only with podNamePartitionRegex.'),
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
