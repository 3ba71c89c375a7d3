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

describe.each(Object.entries(RELEASES))('Kubernetes %s schemas', (_release, pkg) => {
  // One validator process for every fixture, variant and user environment (each process loads the models once);
  // object names carry the environment so a problem says where it is. A user environment that is still a copy
  // of a fixture is the same Environment, validated once.
  const names = CHECKED;
  const label = (n: string) => names.find((m) => anyEnv(m) === anyEnv(n))!;
  let results: { object: string; problems: string[] }[] = [];
  beforeAll(() => {
    const unique = [...new Set(names.map(label))];
    const objs = unique.flatMap((n) => builtIn(objects(anyEnv(n))).map((o) => ({ ...o, metadata: { ...o.metadata, name: `${n}#${o.metadata.name}` } })));
    results = validate(pkg, objs);
  });
  test.each(names)('every built-in object of %s is valid, with no unknown field', (name) => {
    const objs = objects(anyEnv(name));
    // Anything not checked here must be a registered custom resource, not a built-in kind the pattern missed.
    expect(unregistered(objs)).toEqual([]);
    expect(results.filter((r) => r.object.split('/')[1].startsWith(`${label(name)}#`))).toEqual([]);
  });

  test('the optional objects are valid too (Ingress, multi-tenant Loki, IRSA)', () => {
    const objs = objects(
      envFrom(
        'tempo: {bucket: traces-b, s3: {credentials: {roleArn: "arn:aws:iam::123456789012:role/tempo"}}}\n' +
          'loki: {bucket: logs-b, authEnabled: true, tenantId: ybuilt, s3: {credentials: {secret: loki-s3}}}\n' +
          'grafana: {exposure: {type: ingress, host: grafana.example.org, tlsSecret: grafana-tls}}',
      ),
    );
    expect(validate(pkg, builtIn(objs))).toEqual([]);
  });

  test('fails when an object has an unknown field or a wrong type', () => {
    const deployment = objects(env('dev')).find((o) => o.kind === 'Deployment')!;
    const broken = JSON.parse(JSON.stringify(deployment));
    broken.spec.replica = 2;
    broken.spec.template.spec.securityContext.runAsUserr = 1;
    broken.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    const [result] = validate(pkg, [broken]);
    expect(result.object).toBe(`Deployment/${deployment.metadata.name}`);
    expect(result.problems).toContain(`Deployment/${deployment.metadata.name}.spec.replica: unknown field`);
    expect(result.problems).toContain(`Deployment/${deployment.metadata.name}.spec.template.spec.securityContext.runAsUserr: unknown field`);
    expect(result.problems.join('\n')).toMatch(/containerPort must be integer/);
  });
});
