/**
 * GitOps delivery: the objects that make a cluster follow dist/<env>/ (rendered into dist/bootstrap/<env>/,
 * applied once by hand), and the sync-wave annotations that make Argo CD create namespaces and RBAC before the
 * workloads that need them. Flux's kustomize-controller already applies Namespaces and cluster-wide RBAC first.
 */
import { posix } from 'node:path';
import { Environment } from './config/schema';
import { toYaml } from './serialize';
import { version as PROJECT_VERSION } from '../package.json';

export const BOOTSTRAP_DIR = 'bootstrap';
const LABELS = {
  'app.kubernetes.io/name': 'grafana-stack',
  'app.kubernetes.io/component': 'gitops',
  'app.kubernetes.io/part-of': 'grafana-stack',
  'app.kubernetes.io/managed-by': 'cdk8s',
  'app.kubernetes.io/version': PROJECT_VERSION,
};

/** https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/ */
const SYNC_WAVES: Record<string, string> = {
  Namespace: '-2',
  // Before the custom resources of its kind (a ZoneAwarePodDisruptionBudget) and the operator that watches them.
  CustomResourceDefinition: '-2',
  ServiceAccount: '-1',
  ClusterRole: '-1',
  ClusterRoleBinding: '-1',
  Role: '-1',
  RoleBinding: '-1',
};

/**
 * Kinds the GitOps controller must never delete. Deleting the Argo CD Application (it carries the resources
 * finalizer) or the Flux Kustomization deletes every object it applied, and so would a sync after the object
 * left Git (prune): for a Namespace that is also every Secret made by hand in it (admin login, store keys,
 * OAuth client secret: README "Before the first sync"), and for a PersistentVolumeClaim its data (Grafana's
 * database). They stay; removing them is a deliberate `kubectl delete`.
 * - Argo CD: `Delete=false` keeps the object when the Application is deleted, `Prune=false` when it leaves Git
 *   (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/, "No Resource Deletion", "No Prune
 *   Resources"); several options go in one comma-separated value.
 * - Flux: `kustomize.toolkit.fluxcd.io/prune: disabled` excludes the object from garbage collection, both
 *   when it leaves the source and when the Kustomization is deleted
 *   (https://fluxcd.io/flux/components/kustomize/kustomizations/#garbage-collection).
 * StatefulSets' volume claims are not rendered objects: the StatefulSet controller keeps them (the default
 * persistentVolumeClaimRetentionPolicy is Retain).
 */
const KEEP_ON_DELETE = new Set(['Namespace', 'PersistentVolumeClaim']);
export const ARGOCD_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
export const FLUX_PRUNE = 'kustomize.toolkit.fluxcd.io/prune';
/**
 * Deleting the Application deletes what it synced, in the foreground. Argo CD declares the `/foreground` form beside
 * the plain name (argo-cd's application API constants `ForegroundPropagationPolicyFinalizer` and
 * `ResourcesFinalizerName`; docs "App Deletion": the plain name deletes in the foreground too); the
 * plain name, without a path, draws Kubernetes 1.34's "prefer a domain-qualified finalizer name" warning at apply
 * (a real API server said so, in e2e/cluster).
 */
export const ARGOCD_RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io/foreground';

/** Adds the GitOps annotations an object needs: the Argo CD sync wave of what others depend on, deletion protection. */
export function withGitopsAnnotations(obj: { kind: string; metadata: { annotations?: Record<string, string> } }): void {
  const wave = SYNC_WAVES[obj.kind];
  if (wave !== undefined) obj.metadata.annotations = { ...obj.metadata.annotations, 'argocd.argoproj.io/sync-wave': wave };
  if (KEEP_ON_DELETE.has(obj.kind)) obj.metadata.annotations = { ...obj.metadata.annotations, [ARGOCD_SYNC_OPTIONS]: 'Delete=false,Prune=false', [FLUX_PRUNE]: 'disabled' };
}

/**
 * The URL as Flux's GitRepository accepts it. Its CRD admits only `http://`, `https://` and `ssh://` URLs
 * (source.toolkit.fluxcd.io/v1 GitRepositorySpec.URL, pattern "^(http|https|ssh)://.*$"), so the scp-like form
 * `git@host:org/repo.git` that Argo CD and git accept is written as `ssh://git@host/org/repo.git`.
 */
export function fluxGitUrl(url: string): string {
  const scp = /^([^@/\s]+)@([^:/\s]+):(?!\/)(.+)$/.exec(url);
  return scp ? `ssh://${scp[1]}@${scp[2]}/${scp[3]}` : url;
}

/** The bootstrap file of an environment, or nothing when `gitops.repoURL` is not set. */
export function bootstrapFiles(env: Environment, distDir: string): Map<string, string> {
  const g = env.config.gitops;
  const files = new Map<string, string>();
  if (!g.repoURL) return files;
  const name = `grafana-stack-${env.name}`;
  // The folder as the repository holds it ("dist", "deploy/rendered", or "." at the repository root).
  const path = posix.join(distDir, env.name);
  const labels = { ...LABELS, 'app.kubernetes.io/instance': env.name };
  let objects: object[];
  if (g.tool === 'argocd') {
    objects = [
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: g.argocd.namespace, labels, finalizers: [ARGOCD_RESOURCES_FINALIZER] },
        spec: {
          project: g.argocd.project,
          source: { repoURL: g.repoURL, targetRevision: g.branch, path },
          // `server` or `name`, whichever the config gives (Argo CD takes exactly one).
          destination: { ...g.argocd.destination, namespace: env.config.namespace },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['PruneLast=true'] },
        },
      },
    ];
  } else {
    objects = [
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name, namespace: g.flux.namespace, labels },
        spec: { interval: g.flux.interval, url: fluxGitUrl(g.repoURL), ref: { branch: g.branch }, ...(g.flux.secretRef ? { secretRef: { name: g.flux.secretRef } } : {}) },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name, namespace: g.flux.namespace, labels },
        spec: { interval: g.flux.interval, sourceRef: { kind: 'GitRepository', name }, path: `./${path}`, prune: true, wait: true, timeout: '10m' },
      },
    ];
  }
  const file = `${g.tool}.k8s.yaml`;
  files.set(file, objects.map((o) => toYaml(o)).join('---\n'));
  files.set('kustomization.yaml', toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [file] }));
  return files;
}
