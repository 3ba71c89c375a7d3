/**
 * GitOps delivery: the objects that make a cluster follow dist/<env>/ (rendered into dist/bootstrap/<env>/,
 * applied once by hand), and the sync-wave annotations that make Argo CD create namespaces and RBAC before the
 * workloads that need them. Flux's kustomize-controller already applies Namespaces and cluster-wide RBAC first.
 */
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

/** Adds the Argo CD sync wave to an object that others depend on. */
export function withSyncWave(obj: { kind: string; metadata: { annotations?: Record<string, string> } }): void {
  const wave = SYNC_WAVES[obj.kind];
  if (wave !== undefined) obj.metadata.annotations = { ...obj.metadata.annotations, 'argocd.argoproj.io/sync-wave': wave };
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
  const path = `${distDir}/${env.name}`;
  const labels = { ...LABELS, 'app.kubernetes.io/instance': env.name };
  let objects: object[];
  if (g.tool === 'argocd') {
    objects = [
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: g.argocd.namespace, labels, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: {
          project: g.argocd.project,
          source: { repoURL: g.repoURL, targetRevision: g.branch, path },
          destination: { server: 'https://kubernetes.default.svc', namespace: env.config.namespace },
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
