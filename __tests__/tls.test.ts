import { configMapYaml, env, findObject, K8sObject, objects } from './helpers';

const pod = (m: K8sObject[], kind: string, name: string) => findObject(m, kind, name).spec.template.spec;
const mountsTls = (m: K8sObject[], kind: string, name: string, secret: string) => {
  const spec = pod(m, kind, name);
  const vol = spec.volumes.find((v: any) => v.secret?.secretName === secret);
  return Boolean(vol) && spec.containers[0].volumeMounts.some((x: any) => x.name === vol.name && x.mountPath === '/etc/tls' && x.readOnly);
};

describe('TLS for Tempo and Loki (production)', () => {
  const e = env('production');
  const m = objects(e);
  const secret = e.config.tls.secretName;

  test('Tempo and Loki serve HTTPS with the mounted certificate', () => {
    const tempo = configMapYaml(m, 'tempo', 'tempo.yaml');
    const loki = configMapYaml(m, 'loki', 'loki.yaml');
    for (const cfg of [tempo, loki]) expect(cfg.server.http_tls_config).toEqual({ cert_file: '/etc/tls/tls.crt', key_file: '/etc/tls/tls.key' });
    // configtls reads the files once unless reload_interval is set; renewal must be picked up without a restart.
    for (const protocol of ['grpc', 'http']) {
      expect(tempo.distributor.receivers.otlp.protocols[protocol].tls).toEqual({ cert_file: '/etc/tls/tls.crt', key_file: '/etc/tls/tls.key', reload_interval: '1h' });
    }
    expect(mountsTls(m, 'StatefulSet', 'tempo', secret)).toBe(true);
    expect(mountsTls(m, 'StatefulSet', 'loki', secret)).toBe(true);
    for (const name of ['tempo', 'loki']) expect(pod(m, 'StatefulSet', name).containers[0].readinessProbe.httpGet.scheme).toBe('HTTPS');
  });

  test('every client uses https and verifies against the CA', () => {
    const promtail = configMapYaml(m, 'promtail', 'promtail.yaml').clients[0];
    expect(promtail.url).toMatch(/^https:\/\/loki\./);
    expect(promtail.tls_config).toEqual({ ca_file: '/etc/tls/ca.crt' });
    expect(mountsTls(m, 'DaemonSet', 'promtail', secret)).toBe(true);
    expect(configMapYaml(m, 'otel-sampler', 'config.yaml').exporters.otlp_grpc.tls).toEqual({ ca_file: '/etc/tls/ca.crt' });
    expect(mountsTls(m, 'Deployment', 'otel-sampler', secret)).toBe(true);
    const ds = configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources;
    for (const uid of ['tempo', 'loki']) {
      const d = ds.find((x: any) => x.uid === uid);
      expect(d.url).toMatch(/^https:\/\//);
      expect(d.jsonData.tlsAuthWithCACert).toBe(true);
      expect(d.secureJsonData.tlsCACert).toBe('$__file{/etc/tls/ca.crt}');
    }
    expect(mountsTls(m, 'Deployment', 'grafana', secret)).toBe(true);
  });

  test('cert-manager issues the serving certificate for the Service names, and the CA into the agent namespace', () => {
    const certs = m.filter((o) => o.kind === 'Certificate');
    const serving = certs.find((c) => c.metadata.namespace === e.config.namespace)!;
    expect(serving.spec.secretName).toBe(secret);
    expect(serving.spec.issuerRef).toEqual({ name: 'observability-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    for (const svc of ['tempo', 'loki']) expect(serving.spec.dnsNames).toContain(`${svc}.${e.config.namespace}.svc.cluster.local`);
    expect(certs.map((c) => c.metadata.namespace).sort()).toEqual([e.config.namespace, e.config.promtail.namespace].sort());
  });

  test('dev stays on plain HTTP with no TLS objects', () => {
    const dev = objects(env('dev'));
    expect(dev.filter((o) => o.kind === 'Certificate')).toEqual([]);
    expect(configMapYaml(dev, 'promtail', 'promtail.yaml').clients[0].url).toMatch(/^http:\/\//);
    expect(configMapYaml(dev, 'otel-sampler', 'config.yaml').exporters.otlp_grpc.tls).toEqual({ insecure: true });
  });
});
