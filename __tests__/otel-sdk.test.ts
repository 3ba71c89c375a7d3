import { ConfigError } from '../lib/config/load';
import { envFrom, findObject, K8sObject, objects, problems, render } from './helpers';

const base = { tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' } };
const withNamespaces = (namespaces: unknown[], extra: object = {}) => envFrom({ ...base, ...extra, applications: { namespaces } });
const sdkMaps = (all: K8sObject[]) => all.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'otel-sdk');

describe('applications.namespaces', () => {
  const e = withNamespaces(['shop', { name: 'payments', serviceName: 'payments-api' }]);
  const all = objects(e);

  test('each namespace gets an otel-sdk ConfigMap with the SDK settings of the stack namespace', () => {
    const stack = sdkMaps(all).find((o) => o.metadata.namespace === e.config.namespace)!;
    const shop = sdkMaps(all).find((o) => o.metadata.namespace === 'shop')!;
    expect(shop.data).toEqual(stack.data);
    const svc = findObject(all, 'Service', 'otel-gateway');
    const grpc = svc.spec.ports.find((p: any) => p.name === 'otlp-grpc').port;
    // Across namespaces the short name would not resolve: the endpoint is the gateway's FQDN.
    expect(shop.data.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(`http://otel-gateway.${svc.metadata.namespace}.svc.cluster.local:${grpc}`);
    expect(shop.data).toMatchObject({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
    expect(shop.data).not.toHaveProperty('OTEL_SERVICE_NAME');
  });

  test('a per-namespace serviceName becomes OTEL_SERVICE_NAME there only', () => {
    const payments = sdkMaps(all).find((o) => o.metadata.namespace === 'payments')!;
    expect(payments.data.OTEL_SERVICE_NAME).toBe('payments-api');
    expect(sdkMaps(all).filter((o) => o.data.OTEL_SERVICE_NAME)).toHaveLength(1);
  });

  test("the ConfigMaps carry the stack's labels and land in the environment's output", () => {
    const files = render(e);
    expect(files.get('kustomization.yaml')![0].resources).toContain('otel-sdk.k8s.yaml');
    for (const cm of files.get('otel-sdk.k8s.yaml')!) {
      expect(cm.metadata.labels).toMatchObject({
        'app.kubernetes.io/part-of': 'grafana-stack',
        'app.kubernetes.io/managed-by': 'cdk8s',
        'app.kubernetes.io/instance': 'test',
        'app.kubernetes.io/component': 'trace-gateway',
      });
    }
    expect(files.get('otel-sdk.k8s.yaml')!.map((o) => o.metadata.namespace)).toEqual(['shop', 'payments']);
  });

  test('no namespaces, no file', () => {
    expect(render(envFrom(base)).has('otel-sdk.k8s.yaml')).toBe(false);
  });

  test("fails when a namespace is the stack's own", () => {
    expect(problems('applications: {namespaces: [shop, observability]}')).toContain(
      'applications.namespaces[1]: expected a namespace other than the stack\'s "observability" (it has its own otel-sdk ConfigMap), got "observability"',
    );
  });

  test("fails when an application namespace is one of Kubernetes' own, but admits default", () => {
    const fs = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';
    expect(problems(`${fs}applications: {namespaces: [kube-system]}`)).toEqual([
      'applications.namespaces[0]: expected an application namespace, got "kube-system" (kube-* namespaces are Kubernetes\' own: synth would write a ConfigMap there and open the gateway to everything in it)',
    ]);
    expect(problems(`${fs}applications: {namespaces: [default]}`)).toEqual([]);
  });

  test('fails when a namespace is listed twice', () => {
    expect(problems('applications: {namespaces: [shop, {name: shop, serviceName: x}]}')).toContain('applications.namespaces[1]: namespace "shop" is listed twice, expected each once');
  });

  test('fails when a name is not a namespace name', () => {
    expect(() => withNamespaces(['Shop_1'])).toThrow(ConfigError);
    expect(problems('applications: {namespaces: [Shop_1]}').join('\n')).toMatch(/applications\.namespaces\[0\]/);
  });
});
