/**
 * Which schema validates each kind of object the project renders. Built-in kinds go to kubernetes-models
 * (k8s-schema.test.ts); custom resources to the @kubernetes-models/* package of their API group
 * (crd-schema.test.ts), whose models are generated from the projects' own CRDs (OpenAPI v3 schemas:
 * types, enums, patterns, required fields). A custom resource kind the project starts to emit must be
 * registered here, or the CRD test fails.
 */
import { K8sObject } from '../helpers';

export const BUILT_IN = /^(v1|(apps|batch|policy|autoscaling|networking\.k8s\.io|rbac\.authorization\.k8s\.io|storage\.k8s\.io|scheduling\.k8s\.io|coordination\.k8s\.io|discovery\.k8s\.io|apiextensions\.k8s\.io)\/v\w+)$/;

/** API group → the package holding its models as `<package>/<group>/<version>/<Kind>`. */
export const CRD_MODELS: Readonly<Record<string, string>> = {
  'argoproj.io': '@kubernetes-models/argo-cd',
  'source.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'kustomize.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'cert-manager.io': '@kubernetes-models/cert-manager',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
  // ServiceMonitor, PodMonitor, PrometheusRule, Prometheus, ...
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/**
 * Custom resources with no published model (no @kubernetes-models package covers the ACK S3 controller or
 * Upbound's provider-aws-s3). Their shape is asserted by the tests named here instead.
 */
export const WITHOUT_MODEL: Readonly<Record<string, string>> = {
  's3.services.k8s.aws/v1alpha1 Bucket': 'tempo.test.ts and loki.test.ts (bucket lifecycle, ack)',
  's3.aws.upbound.io/v1beta1 BucketVersioning': 'tempo.test.ts and loki.test.ts (bucket lifecycle, crossplane)',
  's3.aws.upbound.io/v1beta1 BucketLifecycleConfiguration': 'tempo.test.ts and loki.test.ts (bucket lifecycle, crossplane)',
};

export const isBuiltIn = (o: K8sObject): boolean => BUILT_IN.test(o.apiVersion);
const group = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/** The models package of a custom resource, or undefined when it has none registered. */
export const modelPackage = (o: K8sObject): string | undefined => CRD_MODELS[group(o.apiVersion)];

/**
 * The CustomResourceDefinition among `objs` that defines `o` (a kind whose CRD the project renders itself, e.g. the
 * rollout-operator's ZoneAwarePodDisruptionBudget), with the schema of o's version; crd-schema.test.ts validates
 * such resources against it (support/crd-openapi.ts).
 */
export function renderedCrdSchema(o: K8sObject, objs: K8sObject[]): object | undefined {
  const [g, version] = o.apiVersion.split('/');
  const crd = objs.find((c) => c.kind === 'CustomResourceDefinition' && c.spec.group === g && c.spec.names.kind === o.kind);
  return crd?.spec.versions.find((v: any) => v.name === version && v.served)?.schema.openAPIV3Schema;
}

/** Why a custom resource cannot be validated against a CRD schema: not registered, not rendered, not exempt. */
export function unregistered(objs: K8sObject[]): string[] {
  return objs
    .filter((o) => !isBuiltIn(o) && !modelPackage(o) && !renderedCrdSchema(o, objs) && !(`${o.apiVersion} ${o.kind}` in WITHOUT_MODEL))
    .map((o) => `${o.apiVersion} ${o.kind} (${o.metadata.name}): no CRD model registered in __tests__/support/crd-models.ts`);
}
