/**
 * What a change to rendered objects means for the cluster that runs them, in three classes (issue 25):
 *   1 in place     the API server accepts the update as it is and nothing is lost;
 *   2 needs a step Kubernetes refuses the update (an immutable field) until someone does the named step;
 *   3 risks data   the update applies, but data is lost or becomes unreadable unless the procedure is followed.
 * `npm run diff -- --exit-code` exits with the highest class (0 when nothing changes).
 */

/** A rendered Kubernetes object, as parsed from dist/ or from synth's output. */
export interface K8sObject {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

export enum ChangeClass {
  None = 0,
  InPlace = 1,
  NeedsStep = 2,
  RisksData = 3,
}

export const CLASS_NAMES: Record<ChangeClass, string> = {
  [ChangeClass.None]: 'no change',
  [ChangeClass.InPlace]: 'in place',
  [ChangeClass.NeedsStep]: 'needs a step',
  [ChangeClass.RisksData]: 'risks data',
};

/** Why one object's change is class 2 or 3, and what to do about it. */
export interface Finding {
  readonly class: ChangeClass.NeedsStep | ChangeClass.RisksData;
  /** `Kind/namespace/name` of the object the finding is about. */
  readonly object: string;
  /** The field path that decides it (`spec.volumeClaimTemplates[data].spec.resources.requests.storage`), or `(object)` when the object itself is added or removed. */
  readonly path: string;
  /** What Kubernetes or the engine does with it, and what is lost. */
  readonly reason: string;
  /** The exact steps, in order, each a command or an action. */
  readonly procedure: readonly string[];
}

/** One object that differs between before and after. */
export interface ObjectChange {
  readonly object: string;
  readonly op: 'added' | 'removed' | 'changed';
  /** Changed field paths (lists of named items keyed by name); empty for added and removed objects. */
  readonly paths: readonly string[];
  readonly class: ChangeClass;
}

export interface Classification {
  readonly changes: readonly ObjectChange[];
  readonly findings: readonly Finding[];
  readonly highest: ChangeClass;
}

/** `Kind/namespace/name` (`Kind/name` for cluster-scoped objects): what the diff calls an object. */
export function objectKey(o: K8sObject): string {
  return `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
}
