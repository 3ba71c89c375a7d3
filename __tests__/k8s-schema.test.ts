/**
 * Every rendered object against the Kubernetes API schemas of the oldest release we support (1.27, what
 * cdk8s-plus-27 targets: kubernetes-models 4.4.2) and a current one (kubernetes-models 5.1.0: 1.34 APIs),
 * with unknown fields as errors. Custom resources are not in these schemas: crd-schema.test.ts validates them.
 */
import { anyEnv, CHECKED, env, envFrom, K8sObject, objects } from './helpers';
import { isBuiltIn, unregistered } from './support/crd-models';
import { validateWith as validate } from './support/validate-models';

const RELEASES = { '1.27': 'kubernetes-models-1-27', '1.34': 'kubernetes-models' } as const;
const builtIn = (objs: K8sObject[]) => objs.filter(isBuiltIn);

const OPTIONAL =
  'tempo: {bucket: traces-b, s3: {credentials: {roleArn: "arn:aws:iam::123456789012:role/tempo"}}}\n' +
  'loki: {bucket: logs-b, authEnabled: true, tenantId: ybuilt, s3: {credentials: {secret: loki-s3}}}\n' +
  'grafana: {exposure: {type: ingress, host: grafana.example.org, tlsSecret: grafana-tls}}';

/** A copy of dev's first Deployment with an unknown field, a misspelt one, a bad enum value and a wrong type. */
function brokenDeployment(): K8sObject {
  const broken = JSON.parse(JSON.stringify(objects(env('dev')).find((o) => o.kind === 'Deployment')!));
  broken.spec.replica = 2;
  broken.spec.template.spec.securityContext.runAsUserr = 1;
  broken.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
  return broken;
}

describe.each(Object.entries(RELEASES))('Kubernetes %s schemas', (_release, pkg) => {
  // One validator process per release (each loads the models once) for every fixture, variant and user
  // environment, the optional objects and the broken Deployment; object names carry where each comes from
  // (`<source>#<name>`) so a problem says where it is. A user environment that is still a copy of a fixture is
  // the same Environment, validated once.
  const names = CHECKED;
  const label = (n: string) => names.find((m) => anyEnv(m) === anyEnv(n))!;
  const tagged = (source: string, objs: K8sObject[]) => objs.map((o) => ({ ...o, metadata: { ...o.metadata, name: `${source}#${o.metadata.name}` } }));
  const of = (source: string) => results.filter((r) => r.object.split('/')[1].startsWith(`${source}#`));
  let results: { object: string; problems: string[] }[] = [];
  beforeAll(() => {
    const unique = [...new Set(names.map(label))];
    results = validate(pkg, [
      ...unique.flatMap((n) => tagged(n, builtIn(objects(anyEnv(n))))),
      ...tagged('optional', builtIn(objects(envFrom(OPTIONAL)))),
      ...tagged('broken', [brokenDeployment()]),
    ]);
  });
  test.each(names)('every built-in object of %s is valid, with no unknown field', (name) => {
    const objs = objects(anyEnv(name));
    // Anything not checked here must be a registered custom resource, not a built-in kind the pattern missed.
    expect(unregistered(objs)).toEqual([]);
    expect(of(label(name))).toEqual([]);
  });

  test('the optional objects are valid too (Ingress, multi-tenant Loki, IRSA)', () => {
    expect(builtIn(objects(envFrom(OPTIONAL))).map((o) => o.kind)).toEqual(expect.arrayContaining(['Ingress', 'ServiceAccount']));
    expect(of('optional')).toEqual([]);
  });

  test('fails when an object has an unknown field or a wrong type', () => {
    const id = `Deployment/broken#${brokenDeployment().metadata.name}`;
    const [result] = of('broken');
    expect(result.object).toBe(id);
    expect(result.problems).toContain(`${id}.spec.replica: unknown field`);
    expect(result.problems).toContain(`${id}.spec.template.spec.securityContext.runAsUserr: unknown field`);
    expect(result.problems.join('\n')).toMatch(/containerPort must be integer/);
  });
});
