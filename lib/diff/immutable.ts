/**
 * Fields the Kubernetes API server refuses to update, per kind we render, with the step that gets the change
 * through. Each rule cites the validation that enforces it (kubernetes/kubernetes, master as read for this
 * project; the same rules hold from 1.27, the oldest API the tests validate against):
 *
 * - StatefulSet: pkg/apis/apps/validation/validation.go ValidateStatefulSetUpdate copies `replicas`,
 *   `ordinals`, `template`, `updateStrategy`, `minReadySeconds` and `persistentVolumeClaimRetentionPolicy` from
 *   the old object and refuses any other spec difference ("updates to statefulset spec for fields other than
 *   ... are forbidden"): `selector`, `serviceName`, `podManagementPolicy`, `volumeClaimTemplates` and
 *   `revisionHistoryLimit` (accepted only by releases newer than 1.27, so treated as immutable here).
 * - Deployment, DaemonSet: pkg/registry/apps/{deployment,daemonset}/strategy.go ValidateUpdate adds
 *   ValidateImmutableField(spec.selector) for apps/v1.
 * - Service: pkg/apis/core/validation/validation.go ValidateServiceUpdate: `spec.clusterIP` is immutable once
 *   set (every type but ExternalName), which includes switching to or from a headless Service (`None`).
 * - PersistentVolumeClaim: ValidatePersistentVolumeClaimUpdate refuses every spec change except
 *   `resources.requests.storage` (growth, and only when the StorageClass has allowVolumeExpansion, checked by the
 *   PersistentVolumeClaimResize admission plugin) and `volumeAttributesClassName`; a smaller size is refused
 *   ("field can not be less than status.capacity").
 * - RoleBinding, ClusterRoleBinding: pkg/apis/rbac/validation/validation.go ValidateRoleBindingUpdate
 *   ("cannot change roleRef").
 * - Job: pkg/apis/batch/validation/validation.go ValidateJobSpecUpdate: `selector` and `template` are
 *   immutable (we render no Job today; the rule is here so one added later is classified).
 * Every other kind we render (ConfigMap, ServiceAccount, Namespace, NetworkPolicy, PodDisruptionBudget (mutable
 * since policy/v1), HorizontalPodAutoscaler, Ingress, the custom resources) updates in place.
 */
import { quantityValue } from '../config/primitives';
import { changedPaths, valueAt } from './paths';
import { ChangeClass, Finding, K8sObject, objectKey } from './types';

const STATEFULSET_MUTABLE = new Set(['replicas', 'ordinals', 'template', 'updateStrategy', 'minReadySeconds', 'persistentVolumeClaimRetentionPolicy']);

const kubectl = (o: K8sObject) => `kubectl${o.metadata.namespace ? ` -n ${o.metadata.namespace}` : ''}`;
const SYNC = 'sync (Argo CD: sync the application; Flux: flux reconcile kustomization …; by hand: kubectl apply -k dist/<env>)';

function needsStep(o: K8sObject, path: string, reason: string, procedure: string[]): Finding {
  return { class: ChangeClass.NeedsStep, object: objectKey(o), path, reason, procedure };
}

const storage = (o: unknown): string | undefined => {
  const v = (o as { spec?: { resources?: { requests?: { storage?: unknown } } } })?.spec?.resources?.requests?.storage;
  return typeof v === 'string' ? v : undefined;
};

const storageClass = (o: unknown): string | undefined => {
  const v = (o as { spec?: { storageClassName?: unknown } })?.spec?.storageClassName;
  return typeof v === 'string' ? v : undefined;
};

function statefulSet(before: K8sObject, after: K8sObject): Finding[] {
  const name = after.metadata.name;
  const replicas = Number(after.spec?.replicas ?? 1);
  const out: Finding[] = [];
  const immutable = changedPaths(before.spec ?? {}, after.spec ?? {}).filter((p) => !STATEFULSET_MUTABLE.has(p.split(/[.[]/)[0]));
  const orphan = `${kubectl(after)} delete statefulset ${name} --cascade=orphan   (the pods and their PVCs keep running)`;
  const forbidden = 'the API server refuses it (ValidateStatefulSetUpdate: only replicas, ordinals, template, updateStrategy, minReadySeconds and persistentVolumeClaimRetentionPolicy may change), so Argo CD or Flux fail the sync until the StatefulSet is recreated';
  for (const field of [...new Set(immutable.map((p) => p.split(/[.[]/)[0]))]) {
    const paths = immutable.filter((p) => p.split(/[.[]/)[0] === field);
    if (field === 'volumeClaimTemplates') {
      for (const p of paths) {
        const vct = /^volumeClaimTemplates\[([^\]]+)\]/.exec(p)?.[1];
        const was = storage(valueAt(before.spec, `volumeClaimTemplates[${vct}]`));
        const now = storage(valueAt(after.spec, `volumeClaimTemplates[${vct}]`));
        const claims = Array.from({ length: replicas }, (_, i) => `${vct}-${name}-${i}`);
        if (p.endsWith('.spec.resources.requests.storage') && was && now && quantityValue(now) > quantityValue(was)) {
          out.push(
            needsStep(after, `spec.${p}`, `volume claim template ${vct} grows from ${was} to ${now}: volumeClaimTemplates are immutable, ${forbidden}; the existing PVCs are not resized by it`, [
              `check that the StorageClass allows it: kubectl get storageclass ${storageClass(valueAt(after.spec, `volumeClaimTemplates[${vct}]`)) ?? '<the default class, marked (default) in kubectl get storageclass>'} -o jsonpath='{.allowVolumeExpansion}' prints true (otherwise copy the data to new volumes instead)`,
              ...claims.map((c) => `${kubectl(after)} patch pvc ${c} -p '{"spec":{"resources":{"requests":{"storage":"${now}"}}}}'`),
              orphan,
              `${SYNC}: the new StatefulSet adopts the running pods`,
            ]),
          );
        } else if (p.endsWith('.spec.resources.requests.storage') && was && now) {
          out.push(
            needsStep(after, `spec.${p}`, `volume claim template ${vct} shrinks from ${was} to ${now}: volumeClaimTemplates are immutable (${forbidden}), and a PVC can never shrink (ValidatePersistentVolumeClaimUpdate), so only new claims get the smaller size`, [
              orphan,
              `${SYNC}: the running pods keep their ${was} claims`,
              `to really shrink: per pod, copy the volume to a new smaller PVC, delete the pod and its old claim (${claims[0]}), and let the StatefulSet create it again`,
            ]),
          );
        } else {
          out.push(needsStep(after, `spec.${p}`, `volumeClaimTemplates are immutable: ${forbidden}; existing PVCs keep their old settings`, [orphan, `${SYNC}: only PVCs created from now on use the new template`]));
        }
      }
    } else if (field === 'selector') {
      out.push(
        needsStep(after, 'spec.selector', `the selector is immutable: ${forbidden}; the recreated StatefulSet does not adopt pods its new selector does not match`, [
          orphan,
          SYNC,
          `${kubectl(after)} delete pod ${name}-<n>, one ordinal at a time from the highest, waiting for each to be Ready again (each pod comes back with the new labels on the same PVCs)`,
        ]),
      );
    } else {
      out.push(needsStep(after, `spec.${paths.length === 1 ? paths[0] : field}`, `spec.${field} is immutable: ${forbidden}`, [orphan, `${SYNC}: the new StatefulSet adopts the running pods`, ...(field === 'serviceName' ? [`${kubectl(after)} rollout restart statefulset ${name}   (pods take the new subdomain only when recreated)`] : [])]));
    }
  }
  return out;
}

function selector(before: K8sObject, after: K8sObject): Finding[] {
  if (!changedPaths(before.spec?.selector, after.spec?.selector).length) return [];
  const kind = after.kind.toLowerCase();
  const rule = after.kind === 'Deployment' ? 'pkg/registry/apps/deployment/strategy.go' : 'pkg/registry/apps/daemonset/strategy.go';
  const old = Object.entries(before.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  // The old objects are listed before anything changes: a new selector that adds a label still matches the old
  // one's labels, so selecting by the old labels afterwards would catch the new pods too.
  const owned = after.kind === 'Deployment' ? 'replicaset' : 'pod';
  const list = `old-${after.metadata.name}-${owned}s.txt`;
  return [
    needsStep(after, 'spec.selector', `a ${after.kind}'s selector is immutable in apps/v1 (${rule} ValidateUpdate), so the sync fails until it is recreated`, [
      `${kubectl(after)} get ${owned} -l ${old} -o name > ${list}`,
      `${kubectl(after)} delete ${kind} ${after.metadata.name} --cascade=orphan   (the old ${owned}s keep running)`,
      `${SYNC}${after.kind === 'DaemonSet' ? ' (for a while each node runs an old and a new pod)' : ''}`,
      `when the new pods are Ready: ${kubectl(after)} delete $(cat ${list})`,
    ]),
  ];
}

function service(before: K8sObject, after: K8sObject): Finding[] {
  const was = before.spec?.clusterIP;
  const now = after.spec?.clusterIP;
  // An unset clusterIP is allocated by the API server and then kept on apply; only an explicit value we render
  // differs from what the cluster holds.
  if (was === now || (was === undefined && now === undefined) || before.spec?.type === 'ExternalName' || after.spec?.type === 'ExternalName') return [];
  return [
    needsStep(after, 'spec.clusterIP', `spec.clusterIP changes from ${JSON.stringify(was ?? '(allocated)')} to ${JSON.stringify(now ?? '(allocated)')}: it is immutable once set (ValidateServiceUpdate), including a switch to or from a headless Service`, [
      `${kubectl(after)} delete service ${after.metadata.name}   (clients of this name fail until the next step)`,
      SYNC,
    ]),
  ];
}

function pvc(before: K8sObject, after: K8sObject): Finding[] {
  const out: Finding[] = [];
  const was = storage(before);
  const now = storage(after);
  if (was && now && quantityValue(now) < quantityValue(was)) {
    out.push(
      needsStep(after, 'spec.resources.requests.storage', `the claim shrinks from ${was} to ${now}: a PersistentVolumeClaim can only grow (ValidatePersistentVolumeClaimUpdate)`, [
        `keep ${was}, or move the data: scale the workload using the claim to 0, create a new ${now} claim, copy the files over with a pod mounting both, and point the workload at it`,
      ]),
    );
  }
  const other = changedPaths(before.spec ?? {}, after.spec ?? {}).filter((p) => p !== 'resources.requests.storage' && p !== 'volumeAttributesClassName');
  if (other.length) {
    out.push(
      needsStep(after, `spec.${other[0]}`, `${other.map((p) => `spec.${p}`).join(', ')} cannot change on an existing claim (ValidatePersistentVolumeClaimUpdate: only the storage request and volumeAttributesClassName may)`, [
        `scale the workload using ${after.metadata.name} to 0`,
        `copy the data out (a pod mounting the claim), then ${kubectl(after)} delete pvc ${after.metadata.name}`,
        `${SYNC}, then copy the data into the new claim and scale the workload back`,
      ]),
    );
  }
  return out;
}

function binding(before: K8sObject, after: K8sObject): Finding[] {
  if (!changedPaths(before.roleRef, after.roleRef).length) return [];
  return [
    needsStep(after, 'roleRef', `roleRef changes from ${before.roleRef?.kind}/${before.roleRef?.name} to ${after.roleRef?.kind}/${after.roleRef?.name}: the API server refuses it ("cannot change roleRef", ValidateRoleBindingUpdate)`, [
      `${kubectl(after)} delete ${after.kind.toLowerCase()} ${after.metadata.name}   (the subjects lose these permissions until the next step)`,
      SYNC,
    ]),
  ];
}

function job(before: K8sObject, after: K8sObject): Finding[] {
  const changed = changedPaths(before.spec ?? {}, after.spec ?? {}).filter((p) => /^(template|selector)\b/.test(p));
  if (!changed.length) return [];
  return [needsStep(after, `spec.${changed[0]}`, `a Job's template and selector are immutable (ValidateJobSpecUpdate)`, [`${kubectl(after)} delete job ${after.metadata.name}`, SYNC])];
}

const RULES: Record<string, (before: K8sObject, after: K8sObject) => Finding[]> = {
  StatefulSet: statefulSet,
  Deployment: selector,
  DaemonSet: selector,
  Service: service,
  PersistentVolumeClaim: pvc,
  RoleBinding: binding,
  ClusterRoleBinding: binding,
  Job: job,
};

/** Class-2 findings for one object present before and after (same kind, namespace and name). */
export function immutableFieldFindings(before: K8sObject, after: K8sObject): Finding[] {
  return RULES[after.kind]?.(before, after) ?? [];
}
