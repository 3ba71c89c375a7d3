// The programs and files a simulated cluster is made of, all from Go modules through the module proxy:
// the Kubernetes v1.34.4 control plane and kubectl (wrapper e2e/programs/kube), etcd v3.6.14 (wrapper
// e2e/programs/etcd), kwok v0.8.0 (`go install`), and the CRDs of every custom resource we render, read from
// the module zips (`go mod download`, nothing built). Each build is cached by its inputs (e2e/support/build.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { goBuildWrapper, goEnv, goInstall, step } from '../support/build';

/** The Kubernetes release the control plane and kubectl are built at (our schema checks target 1.34). */
export const KUBERNETES_VERSION = 'v1.34.4';

/**
 * Version stamps: unset, the binaries report `v0.0.0-master+$Format:%H$` (kubernetes/component-base@v0.34.4
 * version/base.go:36-56; kubectl reads client-go's copy, client-go@v0.34.4 pkg/version/base.go).
 */
function versionLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const vars = { gitVersion: KUBERNETES_VERSION, gitMajor: major, gitMinor: minor, gitTreeState: 'clean' };
  const x = (pkg: string) => Object.entries(vars).map(([k, v]) => `-X ${pkg}.${k}=${v}`);
  return ['-s', '-w', ...x('k8s.io/component-base/version'), ...x('k8s.io/client-go/pkg/version')].join(' ');
}

export interface Programs {
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  /**
   * kubectl v1.34.4, built with the control plane: the machine's kubectl may be any version, and only one
   * minor of skew is supported (server-side apply and strict field validation are what we test).
   */
  kubectl: string;
  etcd: string;
  kwok: string;
}

let built: Programs | undefined;
/** Builds (or finds in the cache) every program; a failing build throws naming its step, with its log. */
export function programs(): Programs {
  if (built) return built;
  const kube = goBuildWrapper('kube', [
    'k8s.io/kubernetes/cmd/kube-apiserver',
    'k8s.io/kubernetes/cmd/kube-controller-manager',
    'k8s.io/kubernetes/cmd/kube-scheduler',
    'k8s.io/kubernetes/cmd/kubectl',
  ], { ldflags: versionLdflags() });
  // The server module's root package is etcd's main: go names the binary after the path element before the
  // major version suffix, `server`.
  const etcd = goBuildWrapper('etcd', ['go.etcd.io/etcd/server/v3'], { ldflags: '-s -w' });
  const kwok = goInstall('kwok', 'sigs.k8s.io/kwok/cmd/kwok', KWOK_VERSION, { ldflags: '-s -w' });
  built = {
    kubeApiserver: path.join(kube, 'kube-apiserver'),
    kubeControllerManager: path.join(kube, 'kube-controller-manager'),
    kubeScheduler: path.join(kube, 'kube-scheduler'),
    kubectl: path.join(kube, 'kubectl'),
    etcd: path.join(etcd, 'server'),
    kwok,
  };
  for (const [name, file] of Object.entries(built)) {
    if (!fs.existsSync(file)) throw new Error(`e2e: the build of ${name} finished but ${file} is missing`);
  }
  return built;
}

export const KWOK_VERSION = 'v0.8.0';

/** Where `go mod download` unpacked a module (read-only, in GOMODCACHE). */
export function moduleDir(module: string, version: string): string {
  const log = step(`${module}@${version}`, `go mod download -json ${module}@${version}`, 'go', ['mod', 'download', '-json', `${module}@${version}`], { env: goEnv({ GOFLAGS: '' }) });
  const json = JSON.parse(log.slice(log.indexOf('{'))) as { Dir?: string; Error?: string };
  if (!json.Dir) throw new Error(`e2e: go mod download ${module}@${version} gave no folder: ${json.Error ?? log}`);
  return json.Dir;
}

/**
 * The CRDs of every custom resource kind we render, by the module that publishes them. Versions follow
 * ../shared/reference/run-for-real/CLUSTER.md §6. Not available here: the ACK S3 controller and Grafana's
 * rollout-operator (the module proxy answers 403 for both modules; the project renders the
 * ZoneAwarePodDisruptionBudget CRD itself), and Crossplane's provider-aws (its module is hundreds of MB for one
 * CRD); bucket objects of those kinds are left out of what is applied (see render.ts).
 */
export const CRD_SOURCES: readonly { module: string; version: string; files: readonly string[] }[] = [
  { module: 'github.com/cert-manager/cert-manager', version: 'v1.21.1', files: ['deploy/crds/cert-manager.io_certificates.yaml', 'deploy/crds/cert-manager.io_clusterissuers.yaml', 'deploy/crds/cert-manager.io_issuers.yaml'] },
  {
    module: 'github.com/prometheus-operator/prometheus-operator', version: 'v0.93.0',
    files: ['servicemonitors', 'podmonitors', 'prometheusrules'].map((k) => `example/prometheus-operator-crd/monitoring.coreos.com_${k}.yaml`),
  },
  { module: 'github.com/argoproj/argo-cd/v3', version: 'v3.5.1', files: ['manifests/crds/application-crd.yaml', 'manifests/crds/appproject-crd.yaml'] },
  { module: 'github.com/fluxcd/source-controller', version: 'v1.9.4', files: ['config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml'] },
  { module: 'github.com/fluxcd/kustomize-controller', version: 'v1.9.4', files: ['config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml'] },
  {
    module: 'sigs.k8s.io/gateway-api', version: 'v1.6.1',
    files: ['gateways', 'httproutes', 'gatewayclasses'].map((k) => `config/crd/standard/gateway.networking.k8s.io_${k}.yaml`),
  },
];

/** Paths of every CRD file (the modules are downloaded once into GOMODCACHE). */
export function crdFiles(): string[] {
  return CRD_SOURCES.flatMap(({ module, version, files }) => {
    const dir = moduleDir(module, version);
    return files.map((f) => {
      const p = path.join(dir, f);
      if (!fs.existsSync(p)) throw new Error(`e2e: ${module}@${version} has no ${f}`);
      return p;
    });
  });
}

/** How long a deleted pod takes to go away (kwok's "fast" stage removes it at once). */
export const POD_TERMINATION_MS = 3000;

/**
 * kwok's Stages (it has none built in: kwok@v0.8.0 pkg/kwok/cmd/root.go:155-180): nodes become Ready and keep
 * their lease; a bound pod becomes Running and Ready at once (every readiness gate too; probes are never
 * evaluated); a Job pod completes; a deleted pod is removed after POD_TERMINATION_MS. The same files kwokctl
 * injects (pkg/kwokctl/runtime/cluster.go:297-339), except that delay: a pod removed at once can be replaced by
 * its StatefulSet (same name) before the disruption controller sees it terminating, and the controller then
 * counts the new pod as the one it let be evicted, unhealthy, for two minutes (kubernetes
 * pkg/controller/disruption buildDisruptedPodMap, DeletionTimeout), which no real pod with a grace period does.
 */
export function kwokStages(): string {
  const dir = moduleDir('sigs.k8s.io/kwok', KWOK_VERSION);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim();
  const podDelete = read('kustomize/stage/pod/fast/pod-delete.yaml');
  if (!podDelete.includes('\n  next:\n')) throw new Error('e2e: kwok pod-delete stage changed shape; update kwokStages()');
  return [
    ...['kustomize/stage/node/fast/node-initialize.yaml',
      'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
      'kustomize/stage/pod/fast/pod-ready.yaml',
      'kustomize/stage/pod/fast/pod-complete.yaml'].map(read),
    podDelete.replace('\n  next:\n', `\n  delay:\n    durationMilliseconds: ${POD_TERMINATION_MS}\n  next:\n`),
  ].join('\n---\n') + '\n';
}
