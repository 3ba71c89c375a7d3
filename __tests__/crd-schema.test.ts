/**
 * Every custom resource the project renders, validated against its CRD's schema as the API server would
 * (types, enums, patterns, required fields; unknown fields as errors, since structural CRDs prune them and
 * kubectl's strict field validation refuses them), for the shipped environments and for configs that turn
 * each optional feature on. The models come from @kubernetes-models/* (generated from the upstream CRDs);
 * __tests__/support/crd-models.ts maps API groups to them. CEL rules (x-kubernetes-validations) are not in the
 * models and so not checked here.
 */
import { loadAll } from 'js-yaml';
import { bootstrapFiles } from '../lib/gitops';
import { Environment } from '../lib/config/schema';
import { anyEnv, CHECKED, env, envFrom, findObject, K8sObject, objects } from './helpers';
import { isBuiltIn, modelPackage, renderedCrdSchema, unregistered, WITHOUT_MODEL } from './support/crd-models';
import { openApiProblems } from './support/crd-openapi';
import { validateEach } from './support/validate-models';

const FS = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';
const S3 = 'tempo: {bucket: traces-b, s3: {credentials: {secret: tempo-s3}}}\nloki: {bucket: logs-b, s3: {credentials: {secret: loki-s3}}}\n';

/** What an environment applies: its dist/<env>/ objects and its dist/bootstrap/<env>/ objects. */
function rendered(e: Environment): K8sObject[] {
  const bootstrap = [...bootstrapFiles(e, 'dist')].filter(([file]) => file !== 'kustomization.yaml').flatMap(([, text]) => loadAll(text) as K8sObject[]);
  return [...objects(e), ...bootstrap];
}

const SCENARIOS: Record<string, () => Environment> = {
  // The fixtures, the scale-out and feature variants (their certificates name every serving Service), and every
  // config/*.yaml of the user's.
  ...Object.fromEntries(CHECKED.map((name) => [name, () => anyEnv(name)])),
  'gitops with Argo CD': () => envFrom(`${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git", branch: release, argocd: {project: observability}}`, 'staging'),
  'gitops with Flux': () => envFrom(`${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git", tool: flux, flux: {secretRef: git-deploy-key, interval: 10m}}`, 'production'),
  // The scp-like form people paste from GitHub: Argo CD takes it as is, Flux's CRD only after conversion to ssh://.
  'gitops with Flux and an scp-like Git URL': () => envFrom(`${FS}gitops: {repoURL: "git@github.com:ybuilt/observability.git", tool: flux, flux: {secretRef: git-deploy-key}}`, 'production'),
  'gitops with Argo CD and an scp-like Git URL': () => envFrom(`${FS}gitops: {repoURL: "git@github.com:ybuilt/observability.git"}`),
  'TLS from a namespaced cert-manager Issuer': () => envFrom(`${FS}tls: {enabled: true, certManager: {issuerName: stack-ca, issuerKind: Issuer}}`),
  'Grafana behind a Gateway API HTTPRoute': () => envFrom(`${FS}grafana: {exposure: {type: httproute, host: grafana.example.org, gateway: {name: public, namespace: gateways, sectionName: https}}}`),
  'bucket lifecycle with ACK': () => envFrom(`bucketLifecycle: {controller: ack}\n${S3}`),
  'bucket lifecycle with Crossplane': () => envFrom(`bucketLifecycle: {controller: crossplane}\n${S3}`),
};

const customResources = (objs: K8sObject[]) => objs.filter((o) => !isBuiltIn(o));
const withModel = (objs: K8sObject[]) => customResources(objs).flatMap((object) => (modelPackage(object) ? [{ package: modelPackage(object)!, object }] : []));

describe('custom resources against their CRD schemas', () => {
  // A user environment that is still a copy of a fixture is the same Environment: rendered and validated once.
  const envs = new Map<Environment, string>();
  for (const [name, make] of Object.entries(SCENARIOS)) {
    const e = make();
    if (!envs.has(e)) envs.set(e, name);
  }
  const all = [...envs].map(([e, name]) => [name, rendered(e)] as const);
  const validated = new Set<string>();

  test.each(all)('%s: every custom resource kind has a registered model (or is a listed exception)', (_name, objs) => {
    expect(unregistered(objs)).toEqual([]);
  });

  test('every custom resource of every scenario is valid, with no unknown field', () => {
    // One validator process for all scenarios keeps this fast; problems name the scenario.
    const entries = all.flatMap(([name, objs]) => withModel(objs).map((e) => ({ ...e, object: { ...e.object, metadata: { ...e.object.metadata, name: `${e.object.metadata.name} [${name}]` } } })));
    for (const e of entries) validated.add(`${e.object.apiVersion} ${e.object.kind}`);
    expect(validateEach(entries)).toEqual([]);
  });

  test('every custom resource whose CRD the project renders is valid against that CRD, with no unknown field', () => {
    for (const [name, objs] of all) {
      for (const o of customResources(objs).filter((x) => !modelPackage(x))) {
        const schema = renderedCrdSchema(o, objs);
        if (!schema) continue;
        validated.add(`${o.apiVersion} ${o.kind}`);
        expect(`${name} ${o.kind}/${o.metadata.name}: ${openApiProblems(o, { ...schema, properties: { ...(schema as any).properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } } }).join('; ')}`).toBe(`${name} ${o.kind}/${o.metadata.name}: `);
      }
    }
  });

  test('fails when a budget breaks the rendered CRD schema (wrong type, below minimum, unknown field, missing selector)', () => {
    const objs = rendered(anyEnv('production-distributed'));
    const zpdb = JSON.parse(JSON.stringify(objs.find((o) => o.kind === 'ZoneAwarePodDisruptionBudget')));
    const schema = renderedCrdSchema(zpdb, objs) as any;
    zpdb.spec.maxUnavailable = -1;
    zpdb.spec.podNameRegexGroup = '1';
    zpdb.spec.maxUnavailabel = 1;
    delete zpdb.spec.selector;
    expect(openApiProblems(zpdb.spec, schema.properties.spec, '.spec').sort()).toEqual([
      '.spec.maxUnavailabel: unknown field',
      '.spec.maxUnavailable: expected at least 0, got -1',
      '.spec.podNameRegexGroup: expected integer, got string',
      '.spec.selector: required',
    ]);
  });

  test('the scenarios exercise every custom resource kind the project can emit', () => {
    // Guards the test above against a scenario that silently stops rendering its feature.
    expect([...validated].sort()).toEqual([
      'argoproj.io/v1alpha1 Application',
      'cert-manager.io/v1 Certificate',
      'gateway.networking.k8s.io/v1 HTTPRoute',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization',
      'monitoring.coreos.com/v1 PodMonitor',
      'monitoring.coreos.com/v1 PrometheusRule',
      'monitoring.coreos.com/v1 ServiceMonitor',
      'rollout-operator.grafana.com/v1 ZoneAwarePodDisruptionBudget',
      'source.toolkit.fluxcd.io/v1 GitRepository',
    ]);
    const unvalidated = new Set(all.flatMap(([, objs]) => customResources(objs).filter((o) => !modelPackage(o) && !renderedCrdSchema(o, objs)).map((o) => `${o.apiVersion} ${o.kind}`)));
    expect([...unvalidated].sort()).toEqual(Object.keys(WITHOUT_MODEL).sort());
  });

  test('prometheus-operator objects are registered: a ServiceMonitor, PodMonitor, PrometheusRule and Prometheus validate', () => {
    const meta = { name: 'grafana-stack', namespace: 'observability' };
    const selector = { matchLabels: { 'app.kubernetes.io/part-of': 'grafana-stack' } };
    const objs: K8sObject[] = [
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: meta, spec: { selector, endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }] } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: meta, spec: { selector, podMetricsEndpoints: [{ port: 'metrics' }] } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: meta, spec: { groups: [{ name: 'loki', rules: [{ alert: 'LokiDown', expr: 'up{job="loki"} == 0', for: '5m', labels: { severity: 'critical' } }] }] } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: meta, spec: { serviceMonitorSelector: selector, ruleSelector: selector } },
    ];
    expect(unregistered(objs)).toEqual([]);
    expect(validateEach(withModel(objs))).toEqual([]);
  });

  test('fails when a custom resource has an unknown field, a wrong type, a bad enum value or breaks a CRD pattern', () => {
    const clone = (o: K8sObject): K8sObject => JSON.parse(JSON.stringify(o));
    const flux = rendered(SCENARIOS['gitops with Flux']());
    const repo = clone(findObject(flux, 'GitRepository', 'grafana-stack-production'));
    repo.spec.url = 'git@github.com:ybuilt/observability.git';
    repo.spec.ref.branchh = 'main';
    const cert = clone(objects(env('production')).find((o) => o.kind === 'Certificate')!);
    cert.spec.privateKey.algorithm = 'DSA';
    const route = clone(findObject(rendered(SCENARIOS['Grafana behind a Gateway API HTTPRoute']()), 'HTTPRoute', 'grafana'));
    route.spec.rules[0].backendRefs[0].port = 'http';
    const problems = validateEach(withModel([repo, cert, route]));
    const of = (kind: string) => problems.find((p) => p.object.startsWith(`${kind}/`))?.problems.join('\n') ?? '';
    expect(of('GitRepository')).toMatch(/spec\/url must match pattern "\^\(http\|https\|ssh\):\/\/\.\*\$"/);
    expect(of('GitRepository')).toContain('GitRepository/grafana-stack-production.spec.ref.branchh: unknown field');
    expect(of('Certificate')).toMatch(/algorithm must be equal to one of the allowed values/);
    expect(of('HTTPRoute')).toMatch(/port must be integer/);
  });

  test('fails when the project emits a custom resource kind with no registered model', () => {
    const widget: K8sObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(unregistered([widget])).toEqual(['example.com/v1 Widget (w): no CRD model registered in __tests__/support/crd-models.ts']);
    // A registered group with a kind or version its package does not have is refused by the validator.
    const unknownKind: K8sObject = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitorr', metadata: { name: 'm' } };
    expect(validateEach(withModel([unknownKind]))).toEqual([{ object: 'ServiceMonitorr/m', problems: ['monitoring.coreos.com/v1 ServiceMonitorr is not a type of @kubernetes-models/prometheus-operator'] }]);
  });
});
