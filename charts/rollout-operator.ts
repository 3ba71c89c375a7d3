import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { OPERATOR_IMAGES } from '../lib/images';
import { PART_OF, StackChart } from '../lib/k8s/chart';
import { ZPDB_GROUP, ZPDB_RESOURCE, zpdbCustomResourceDefinition } from '../lib/k8s/rollout-operator';
import { METRICS_PATH, NamedPort } from '../lib/k8s/service';
import { hardenedContainer, hardenedPodSpec, podTemplate, serviceAccount } from '../lib/k8s/workload';

/**
 * A cluster-scoped object every environment in the cluster renders identically (the ZPDB CRD): without the
 * environment's `app.kubernetes.io/instance` (it carries the stack's name instead), so two environments do not rewrite each other's copy, and
 * never pruned by Argo CD or Flux, since deleting a CRD deletes every budget of that kind in the cluster
 * (another environment's too) and the operator cannot start without it.
 */
class ClusterShared extends ApiObject {
  override toJson(): any {
    const json = super.toJson();
    // The cluster's instance, not one environment's (every label the stack puts on objects stays present).
    json.metadata.labels = { ...json.metadata.labels, 'app.kubernetes.io/instance': PART_OF };
    json.metadata.annotations = { ...json.metadata.annotations, 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };
    return json;
  }
}

export interface RolloutOperatorChartProps {
  readonly env: Environment;
}

/** The image's own user (gcr.io/distroless/static-debian13:nonroot, the operator's Dockerfile). */
const DISTROLESS_NONROOT_UID = 65532;

/**
 * Grafana's rollout-operator (Apache-2.0), which rolls zone StatefulSets (`rollout-group`, `updateStrategy:
 * OnDelete`) one zone at a time, in the stack's namespace only (`-kubernetes.namespace`). Rendered when a
 * topology has such a group (distributed Tempo's live-store zones). Read from grafana/rollout-operator v0.38.1:
 * cmd/rollout-operator/main.go (flags), README "RBAC", pkg/controller and pkg/zpdb (what it calls).
 *
 * Not rendered: its admission webhooks (no-downscale, prepare-downscale, pod eviction, ZPDB validation). They
 * need the HTTPS server, a serving certificate injected into cluster-wide webhook configurations, a Secret to
 * keep it and a ClusterRole to patch webhook configurations, and their failure policy would put the operator
 * in the path of every eviction in the cluster. Without them the operator still applies the zone-aware budget
 * to its own rollout deletions (in process); node drains are held by the plain PodDisruptionBudget.
 */
export class RolloutOperatorChart extends StackChart {
  readonly ports: NamedPort[];
  /** Labels of the operator's pod (its NetworkPolicy selects them). */
  readonly podLabels: Record<string, string>;

  constructor(scope: Construct, id: string, props: RolloutOperatorChartProps) {
    const image = OPERATOR_IMAGES.rolloutOperator;
    super(scope, id, { env: props.env, name: 'rollout-operator', component: 'rollouts', version: imageVersion(image) });
    const ns = this.targetNamespace;
    // -server.port (8001): /ready and /metrics (main.go).
    this.ports = [{ name: 'http-metrics', port: 8001, metricsPath: METRICS_PATH }];
    this.podLabels = this.selectorLabels;
    this.podMetrics('rollout-operator', this.podLabels, this.ports);

    new ClusterShared(this, 'crd-zpdb', zpdbCustomResourceDefinition(this.commonLabels) as never);

    const account = serviceAccount(this, 'rollout-operator');
    // Least privilege for what the controller and the in-process eviction controller call, nothing for the
    // webhooks, the zone tracker (-use-zone-tracker, off) or replica scaling (no leader/mirror annotations):
    // - pods get/list/watch/delete: the informers, and the rollout itself (pkg/controller);
    // - pods patch: the grafana.com/ready-time annotation on pods a budget covers (pkg/zpdb/pod_readiness_tracker.go);
    // - statefulsets get/list/watch: the group informer and the budget's zone lookup (pkg/zpdb/pod_eviction_k8s_clients.go);
    // - statefulsets/status update: currentRevision once a StatefulSet is rolled (OnDelete never sets it);
    // - zoneawarepoddisruptionbudgets get/list/watch: the budget informer (pkg/zpdb/config_observer.go).
    const role = new k8s.KubeRole(this, 'role', {
      metadata: this.meta('rollout-operator'),
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete', 'patch'] },
        { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['statefulsets/status'], verbs: ['update'] },
        { apiGroups: [ZPDB_GROUP], resources: [ZPDB_RESOURCE], verbs: ['get', 'list', 'watch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: this.meta('rollout-operator'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: account.name, namespace: ns }],
    });

    const resources = { cpu: '100m', memory: '100Mi', memoryLimit: '200Mi' };
    const container = hardenedContainer({
      name: 'rollout-operator',
      image,
      args: [`-kubernetes.namespace=${ns}`, '-log.level=info'],
      ports: this.ports,
      readiness: { path: '/ready', port: 'http-metrics', initialDelaySeconds: 5 },
      liveness: { path: METRICS_PATH, port: 'http-metrics', initialDelaySeconds: 30, periodSeconds: 30 },
      resources,
      goRuntime: true,
    });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: this.meta('rollout-operator'),
      spec: {
        replicas: 1,
        // Never two operators at once (upstream: maxSurge 0): both would delete pods of the same group.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(0), maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        selector: { matchLabels: this.selectorLabels },
        template: podTemplate(
          this,
          hardenedPodSpec({
            containers: [container],
            serviceAccountName: account.name,
            // It watches pods and StatefulSets and deletes pods: the only stack pod here that talks to the API server.
            automountServiceAccountToken: true,
            runAsUser: DISTROLESS_NONROOT_UID,
          }),
        ),
      },
    });
  }
}
