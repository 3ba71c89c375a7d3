/**
 * Issue 26's minimal configs: each was accepted and refused at apply, or refused badly. Each now gives a clean
 * refusal by key path, or objects that pass the API server's rules (lib/api-rules.ts).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { apiProblems } from '../lib/api-rules';
import { envFrom, findObject, objects, problems, runMain, tempDir } from './helpers';

/** `yaml` with filesystem storage for the engines it leaves out (dev needs no bucket). */
const withFs = (yaml: string) => ['tempo', 'loki'].filter((c) => !new RegExp(`^${c}:`, 'm').test(yaml)).map((c) => `${c}: {backend: filesystem}\n`).join('') + yaml;
const FS = withFs('');
const dev = (yaml: string) => problems(withFs(yaml), 'dev');
const S3 = 'bucket: logs, s3: {credentials: {secret: loki-s3}}';

async function synthText(yaml: string): Promise<{ code: number; stderr: string }> {
  const dir = tempDir('refusal-');
  const file = path.join(dir, 'dev.yaml');
  writeFileSync(file, yaml);
  return runMain(['--config', file, '--outdir', path.join(dir, 'out')]);
}

describe('accepted before, refused at apply: now refused by key path', () => {
  test('fails when a replica count leaves int32 (1)', () => {
    expect(dev('collector: {gateway: {replicas: 2147483648}}')).toEqual(['collector.gateway.replicas: expected at most 150000 replicas (the most pods a Kubernetes cluster holds), got 2147483648']);
    expect(dev(`loki: {${S3}, deployment: {mode: distributed, components: {querier: {autoscaling: {minReplicas: 2, maxReplicas: 2147483648}}}}}`)).toEqual([
      'loki.deployment.components.querier.autoscaling.maxReplicas: expected at most 150000 replicas (the most pods a Kubernetes cluster holds), got 2147483648',
    ]);
    expect(dev('collector: {gateway: {replicas: 150000}}')).toEqual([]);
    // A volume size bounded too: a huge one would print as "1e+21Gi", which is no Kubernetes quantity.
    expect(dev('grafana: {storageGiB: 4294967296}')).toEqual(['grafana.storageGiB: expected at most 2147483647 GiB (a Kubernetes int32), got 4294967296']);
  });

  test('fails when a Secret key is not a config key (2)', () => {
    // The key is not echoed: a mistyped key can hold part of the secret.
    expect(dev('grafana: {adminSecret: {userKey: "admin user"}}')).toEqual(['grafana.adminSecret.userKey: expected a key of a Secret (1-253 of A-Z a-z 0-9 - _ .), like "password", got a string of 10 characters (not shown: it may be the secret itself)']);
    expect(dev('grafana: {secretKey: {name: s, key: "..x"}}')[0]).toMatch(/^grafana\.secretKey\.key: expected a key of a Secret other than "\." or "\.\." and not starting with "\.\."/);
    expect(dev('grafana: {adminSecret: {userKey: "admin_user.v2"}}')).toEqual([]);
  });

  test('fails when an endpoint looks like an IP and is not one, or its port is out of range (3, 4)', () => {
    const s3 = (endpoint: string) => problems(`tempo: {bucket: traces, s3: {endpoint: "${endpoint}", credentials: {secret: s}}}\nloki: {backend: filesystem}\n`, 'dev');
    expect(s3('999.1.1.1:9000')).toEqual(['tempo.s3.endpoint: expected host[:port] like "minio.storage.svc.cluster.local:9000" (no scheme); a host of digits and dots must be an IPv4 address (each part 0-255, no leading zeros), got "999.1.1.1:9000"']);
    expect(s3('minio.example.org:0')[0]).toContain('the port must be 1-65535, got "minio.example.org:0"');
    expect(s3('minio.example.org:65536')[0]).toContain('the port must be 1-65535');
    expect(s3('10.1.2.3:65535')).toEqual([]);
    const kafka = dev('tempo: {backend: filesystem, kafka: {address: "kafka.kafka.svc:99999", topic: t, partitions: 2}}');
    expect(kafka.join('\n')).toContain('tempo.kafka.address: expected host:port like "kafka-bootstrap.kafka.svc.cluster.local:9092" (no scheme); the port must be 1-65535');
  });

  test('fails when the ingress class is not a DNS subdomain (5)', () => {
    expect(dev('grafana: {exposure: {type: ingress, host: grafana.example.org, className: "nginx internal"}}')[0]).toMatch(/^grafana\.exposure\.className: expected a DNS subdomain .*got "nginx internal"$/);
  });

  test('an image tag that is no label value renders a version label that is one (6)', () => {
    const objs = objects(envFrom(`tempo: {backend: filesystem}\nloki: {backend: filesystem, image: "grafana/loki:_3.7.6"}`, 'dev'));
    const sts = findObject(objs, 'StatefulSet', 'loki');
    expect(sts.metadata.labels!['app.kubernetes.io/version']).toBe('3.7.6');
    expect(sts.spec.template.spec.containers[0].image).toBe('grafana/loki:_3.7.6');
    expect(objs.flatMap(apiProblems)).toEqual([]);
  });

  test('fails with the arithmetic when sampling.services would not fit in one object (7)', async () => {
    const services = Array.from({ length: 700 }, (_, i) => `    service-number-${i}: 0.5`).join('\n');
    const r = await synthText(`${FS}sampling:\n  services:\n${services}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dev\.yaml: sampling\.services: 700 entries render ConfigMap\/otel-sampler of \d+ bytes \(about \d+ each\), above what the cluster accepts \(the object is \d+ bytes; kubectl apply and Argo CD keep it in the last-applied annotation, which holds at most 262144\); at most about \d+ fit/);
    expect(r.stderr.length).toBeLessThan(4096);
  });

  test('fails when a map key is one JavaScript reserves, by key path, without a misleading message (8, 10)', () => {
    expect(dev('loki: {backend: filesystem, tenants: {__proto__: {retention: 48h}}}')).toEqual(['loki.tenants.__proto__: the key "__proto__" is not accepted (JavaScript reserves it on every object, so it cannot be carried as data); rename it']);
    expect(dev('security: {applicationNamespaceSelector: {__proto__: x}}')).toEqual(['security.applicationNamespaceSelector.__proto__: the key "__proto__" is not accepted (JavaScript reserves it on every object, so it cannot be carried as data); rename it']);
    expect(dev('monitoring: {labels: {constructor: x}}')[0]).toMatch(/^monitoring\.labels\.constructor: the key "constructor" is not accepted/);
    expect(dev('security: {dns: {podLabels: {constructor: x}}}')[0]).toMatch(/^security\.dns\.podLabels\.constructor: the key "constructor" is not accepted/);
  });
});

describe('refused badly before: now one clean line each', () => {
  test('fails when two teams would be the same RoleBinding (9)', () => {
    expect(dev('security: {teams: [{group: ops, role: view}, {group: ops, role: view}]}')).toEqual([
      'security.teams[1]: expected each group and role once, got the RoleBinding "team-ops-view" of security.teams[0] again (group "ops", role view)',
    ]);
    expect(dev('security: {teams: [{group: ops, role: view}, {group: OPS, role: view}]}')[0]).toContain('security.teams[1]: expected each group and role once');
    expect(dev('security: {teams: [{group: ops, role: view}, {group: ops, role: edit}]}')).toEqual([]);
  });

  test('fails with control characters escaped, one line per problem with its key path (11)', async () => {
    const r = await synthText(`${FS}grafana: {"a\\e[2J\\nb": 1, "c\\u009b31m": 2}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/dev\.yaml: grafana\.a\\u001b\[2J\\u000ab: unknown key, expected one of: image, /);
    expect(lines[1]).toMatch(/dev\.yaml: grafana\.c\\u009b31m: unknown key/);
  });

  test('fails with repeated problems grouped, so the report stays short (12)', async () => {
    const bad = Array.from({ length: 30 }, (_, i) => `Bad_${i}`).join(', ');
    const r = await synthText(`${FS}applications: {namespaces: [${bad}]}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dev.yaml: applications.namespaces[0-29]: 30 items: expected a DNS label (1-63 lowercase letters, digits or "-", starting and ending alphanumeric), got "Bad_0", "Bad_1", "Bad_2", … (27 more)');
    expect(r.stderr.length).toBeLessThan(1000);
    // A report at the cap of problems stays under 4 KB too.
    const many = Array.from({ length: 60 }, (_, i) => `  k${i}: {replicas: x${i}}`).join('\n');
    const capped = await synthText(`tempo: {backend: filesystem}\nloki:\n  backend: filesystem\n  tenants:\n${many}\n`);
    expect(capped.code).toBe(1);
    expect(capped.stderr.length).toBeLessThan(4096);
  });

  test('fails naming what is expected instead of "Invalid input" (13)', () => {
    const auto = (v: string) => dev(`loki: {${S3}, deployment: {mode: distributed, components: {querier: {autoscaling: ${v}}}}}`);
    expect(auto('{minReplicas: 1, maxReplicas: 3}')).toEqual(['loki.deployment.components.querier.autoscaling.minReplicas: expected at least 2 replicas (one pod is no availability while the autoscaler reacts), got 1']);
    expect(auto('true')).toEqual(['loki.deployment.components.querier.autoscaling: expected false or a value of type object, got true']);
    expect(dev(`loki: {${S3}, deployment: {mode: distributed, size: huge}}`)[0]).toMatch(/^loki\.deployment\.size: expected "small" or "medium" or "large" or a value of type object, got "huge"$/);
  });
});
