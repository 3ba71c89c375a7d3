/**
 * The API server's validation beyond OpenAPI (lib/api-rules.ts): each rule on a value just inside its limit and
 * one just outside, then every object of every environment and variant the suites render.
 */
import {
  apiProblems,
  isCidr,
  isConfigMapKey,
  isDns1035Label,
  isDnsLabel,
  isDnsSubdomain,
  isInt32,
  isIpAddress,
  isLabelKey,
  isLabelValue,
  isPortName,
  isPortNumber,
  isQuantity,
  LIMITS,
  toLabelValue,
} from '../lib/api-rules';
import { anyEnv, CHECKED, env, findObject, K8sObject, objects } from './helpers';

const a = (n: number, c = 'a') => c.repeat(n);

describe('each rule, just inside and just outside its limit', () => {
  test.each([
    ['IsValidPortName', isPortName, ['memcache', a(15), 'http-metrics', 'a1'], [a(16), 'memcached-client', '8080', '-http', 'http-', 'ht--tp', 'HTTP', '']],
    ['IsDNS1123Label', isDnsLabel, [a(63), 'a', '0a', 'a-0'], [a(64), '-a', 'a-', 'A', 'a.b', '']],
    ['IsDNS1035Label', isDns1035Label, [a(63), 'a', 'a-0'], [a(64), '0a', '-a', 'a-', 'A']],
    ['IsDNS1123Subdomain', isDnsSubdomain, [`${a(63)}.${a(63)}.${a(63)}.${a(61)}`, 'nginx', 'example.com'], [`${a(63)}.${a(63)}.${a(63)}.${a(62)}`, 'nginx internal', 'a..b', '.a', '']],
    ['IsLabelKey', isLabelKey, [a(63), `example.com/${a(63)}`, 'A_b.c-D', 'app.kubernetes.io/name'], [a(64), `example.com/${a(64)}`, '/a', 'a/b/c', '_a', 'Example.com/a', '']],
    ['IsLabelValue', isLabelValue, ['', a(63), '3.7.6', 'A_1'], [a(64), '_3.7.6', '3.7.6.', 'a b']],
    ['IsConfigMapKey', isConfigMapKey, [a(253), 'admin-user', 'tls.crt', 'A_B', '.a'], [a(254), 'admin user', '.', '..', '..a', 'a/b', '']],
    ['IP address', isIpAddress, ['255.255.255.255', '0.0.0.0', '::1', '10.0.0.1'], ['256.0.0.1', '999.1.1.1', '01.2.3.4', '1.2.3', 'fe80::1%eth0']],
    ['ValidateCIDR', isCidr, ['10.0.0.0/32', '0.0.0.0/0', '::/128', '10.0.0.0/8'], ['10.0.0.0/33', '::/129', '999.1.1.1/32', '10.0.0.0', '10.0.0.0/08']],
  ] as const)('%s', (_rule, check, inside, outside) => {
    expect((inside as readonly string[]).filter((v) => !check(v))).toEqual([]);
    expect((outside as readonly string[]).filter((v) => check(v))).toEqual([]);
  });

  test('port numbers: 1 and 65535 inside, 0 and 65536 outside', () => {
    expect([1, 65535].map(isPortNumber)).toEqual([true, true]);
    expect([0, 65536, 80.5, '80'].map(isPortNumber)).toEqual([false, false, false, false]);
  });

  test('quantities: ParseQuantity forms inside, JavaScript exponent forms outside', () => {
    expect(['10Gi', '500m', '1.5', '2E', '1e3', '0.5Ki'].map(isQuantity)).toEqual([true, true, true, true, true, true]);
    expect(['1e+21Gi', 'Infinity', '10 Gi', 'Gi', '1GiB'].map(isQuantity)).toEqual([false, false, false, false, false]);
  });

  test('int32: 2^31-1 inside, 2^31 outside', () => {
    expect(isInt32(LIMITS.int32)).toBe(true);
    expect(isInt32(LIMITS.int32 + 1)).toBe(false);
    expect(isInt32(0, 1)).toBe(false);
  });

  test('a tag that is not a label value is cut to one', () => {
    expect(toLabelValue('_3.7.6')).toBe('3.7.6');
    expect(toLabelValue(a(128))).toBe(a(63));
    expect(isLabelValue(toLabelValue(`-${a(70)}_`))).toBe(true);
  });
});

describe('object rules', () => {
  const dev = objects(env('dev'));
  const deployment = () => JSON.parse(JSON.stringify(dev.find((o) => o.kind === 'Deployment'))) as K8sObject;

  test('fails when a container port name is 16 characters, and the Service targetPort and probe naming it', () => {
    const d = deployment();
    const c = d.spec.template.spec.containers[0];
    c.ports[0].name = 'memcached-client';
    c.readinessProbe = { tcpSocket: { port: 'memcached-clien' } };
    const problems = apiProblems(d).join('\n');
    expect(problems).toContain('.ports[0].name: must be an IANA_SVC_NAME (at most 15 of a-z 0-9 -, with a letter), got "memcached-client"');
    expect(problems).toContain('readinessProbe.tcpSocket.port: names no port the container declares, got "memcached-clien"');
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ name: 'memcached-client', port: 11211, targetPort: 'memcached-client' }] } };
    expect(apiProblems(svc)).toEqual(['Service/x.spec.ports[0].targetPort: must be an IANA_SVC_NAME (at most 15 of a-z 0-9 -, with a letter), got "memcached-client"']);
  });

  test('fails when replicas leave int32, a secretKeyRef key has a space, or a label value starts with "_"', () => {
    const d = deployment();
    d.spec.replicas = 2 ** 31;
    d.metadata.labels!['app.kubernetes.io/version'] = '_3.7.6';
    d.spec.template.spec.containers[0].env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 'grafana-admin', key: 'admin user' } } }];
    const problems = apiProblems(d).join('\n');
    expect(problems).toContain('spec.replicas: must be an int32 of at least 0, got 2147483648');
    expect(problems).toContain('metadata.labels.app.kubernetes.io/version: must be a label value');
    expect(problems).toContain('env[0].valueFrom: key must be a config key (- . _ a-z A-Z 0-9), got "admin user"');
  });

  test('fails when a Service name starts with a digit, and names RBAC objects as path segments', () => {
    expect(apiProblems({ kind: 'Service', metadata: { name: '0tempo' }, spec: { ports: [] } })).toEqual(['Service/0tempo.metadata.name: must be a DNS-1035 label (a DNS label starting with a letter), got "0tempo"']);
    expect(apiProblems({ kind: 'ClusterRoleBinding', metadata: { name: 'system:team-ops' } })).toEqual([]);
    expect(apiProblems({ kind: 'RoleBinding', metadata: { name: 'a/b' } })).toEqual(['RoleBinding/a/b.metadata.name: must be a path segment name (not "." or "..", no "/" or "%"), got "a/b"']);
  });

  test('fails when a NetworkPolicy has a non-IP CIDR or port 0, or an Ingress class has a space', () => {
    const np = { kind: 'NetworkPolicy', metadata: { name: 'n' }, spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '999.1.1.1/32' } }], ports: [{ port: 0 }] }] } };
    expect(apiProblems(np)).toEqual(['NetworkPolicy/n.spec.egress[0].ports[0].port: must be between 1 and 65535, inclusive, got 0', 'NetworkPolicy/n.spec.egress[0].to[0].ipBlock.cidr: must be a valid CIDR, got "999.1.1.1/32"']);
    expect(apiProblems({ kind: 'Ingress', metadata: { name: 'i' }, spec: { ingressClassName: 'nginx internal' } })).toEqual(['Ingress/i.spec.ingressClassName: must be a DNS subdomain, got "nginx internal"']);
  });

  test('fails when a ConfigMap holds more than 1 MiB, or any object is above the last-applied limit', () => {
    const cm = (bytes: number) => ({ kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'x'.repeat(bytes) } });
    expect(apiProblems(cm(LIMITS.annotationBytes - 200))).toEqual([]);
    expect(apiProblems(cm(LIMITS.annotationBytes))[0]).toMatch(/^ConfigMap\/c\.: the object is \d+ bytes; kubectl apply and Argo CD keep it in the last-applied annotation, which holds at most 262144$/);
    expect(apiProblems(cm(LIMITS.dataBytes + 1))).toContain(`ConfigMap/c.data: holds ${LIMITS.dataBytes + 1} bytes; a ConfigMap holds at most ${LIMITS.dataBytes}`);
    expect(apiProblems({ kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'a b': '' } })).toEqual(['ConfigMap/c.data: key "a b" must be a config key (at most 253 of - . _ a-z A-Z 0-9, not "." or "..")']);
  });
});

describe('every rendered object passes the API server rules', () => {
  test.each(CHECKED)('%s', (name) => {
    expect(objects(anyEnv(name)).flatMap(apiProblems)).toEqual([]);
  });

  test('the memcached port is a valid port name, and the engines query the SRV record of that name', () => {
    const objs = objects(anyEnv('production-distributed'));
    const cache = findObject(objs, 'StatefulSet', 'loki-chunks-cache');
    const port = cache.spec.template.spec.containers[0].ports[0];
    expect(isPortName(port.name)).toBe(true);
    const svc = findObject(objs, 'Service', 'loki-chunks-cache');
    expect(svc.spec.ports.find((p: { port: number }) => p.port === port.containerPort).targetPort).toBe(port.name);
    const loki = findObject(objs, 'ConfigMap', 'loki').data['loki.yaml'] as string;
    expect(loki).toContain(`dnssrvnoa+_${port.name}._tcp.loki-chunks-cache.`);
  });
});
