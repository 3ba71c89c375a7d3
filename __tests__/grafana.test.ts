import { load } from 'js-yaml';
import { largeConfigMapAnnotations } from '../charts/grafana';
import { DASHBOARD_SCHEMA_VERSION, LOG_CORRELATION_UID, TRACING_UID } from '../lib/grafana/dashboards';
import { LOG_FIELDS, TRACE_ID_REGEX } from '../lib/log-format';
import { ENVIRONMENTS, configMapYaml, env, envFrom, findObject, K8sObject, objects } from './helpers';

const FS = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';
const ds = (m: K8sObject[], uid: string) => configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources.find((d: any) => d.uid === uid);
const dashboards = (m: K8sObject[]) => Object.fromEntries(Object.entries(findObject(m, 'ConfigMap', 'grafana-dashboards').data as Record<string, string>).map(([k, v]) => [k, JSON.parse(v)]));
const svcPort = (m: K8sObject[], svc: string, name: string) => findObject(m, 'Service', svc).spec.ports.find((p: any) => p.name === name).port;

describe.each(ENVIRONMENTS)('%s Grafana', (name) => {
  const e = env(name);
  const m = objects(e);

  test('datasources have fixed UIDs and URLs that name the Services and their ports', () => {
    const ns = e.config.namespace;
    const scheme = e.config.tls.enabled ? 'https' : 'http';
    expect(ds(m, 'tempo').url).toBe(`${scheme}://tempo.${ns}.svc.cluster.local:${svcPort(m, 'tempo', 'http')}`);
    expect(ds(m, 'loki').url).toBe(`${scheme}://loki.${ns}.svc.cluster.local:${svcPort(m, 'loki', 'http')}`);
    expect(ds(m, 'prometheus').url).toBe(e.config.prometheus.url);
    expect(ds(m, 'prometheus').isDefault).toBe(true);
  });

  test('cross-links: Tempo→Loki, Loki→Tempo, Prometheus→Tempo, Tempo→Prometheus', () => {
    const tempo = ds(m, 'tempo').jsonData;
    expect(tempo.tracesToLogsV2).toMatchObject({ datasourceUid: 'loki', customQuery: true });
    expect(tempo.tracesToLogsV2.query).toContain('$${__span.traceId}');
    expect(tempo.nodeGraph.enabled).toBe(true);
    expect(tempo.search.hide).toBe(false);
    expect(ds(m, 'loki').jsonData.derivedFields).toEqual([expect.objectContaining({ name: 'TraceID', datasourceUid: 'tempo', matcherType: 'label', matcherRegex: '^trace_id$', url: '$${__value.raw}' })]);
    expect(ds(m, 'prometheus').jsonData.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: 'tempo' }]);
    if (e.config.tempo.metricsGenerator.enabled) {
      expect(tempo.serviceMap.datasourceUid).toBe('prometheus');
      expect(tempo.tracesToMetrics.datasourceUid).toBe('prometheus');
    } else {
      expect(tempo.serviceMap).toBeUndefined();
    }
  });

  test('ports and probes: Service = container = GF_SERVER_HTTP_PORT, probes on /api/health', () => {
    const c = findObject(m, 'Deployment', 'grafana').spec.template.spec.containers[0];
    expect(c.ports[0].containerPort).toBe(svcPort(m, 'grafana', 'http'));
    expect(c.env.find((v: any) => v.name === 'GF_SERVER_HTTP_PORT').value).toBe(String(e.config.grafana.ports.http));
    expect(c.readinessProbe.httpGet).toEqual({ path: '/api/health', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/api/health', port: 'http' });
  });

  test('admin credentials come from a Secret; no literal secret anywhere in the Grafana objects', () => {
    const c = findObject(m, 'Deployment', 'grafana').spec.template.spec.containers[0];
    for (const key of ['GF_SECURITY_ADMIN_USER', 'GF_SECURITY_ADMIN_PASSWORD']) {
      const v = c.env.find((x: any) => x.name === key);
      expect(v.value).toBeUndefined();
      expect(v.valueFrom.secretKeyRef.name).toBe(e.config.grafana.adminSecret.name);
    }
    for (const v of c.env) if (/SECRET|PASSWORD|TOKEN/.test(v.name)) expect(v.valueFrom?.secretKeyRef).toBeDefined();
    expect(m.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('read-only root filesystem with /tmp and the data path on their own volumes', () => {
    const pod = findObject(m, 'Deployment', 'grafana').spec.template.spec;
    const c = pod.containers[0];
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const mounts = Object.fromEntries(c.volumeMounts.map((v: any) => [v.mountPath, v.name]));
    expect(mounts['/tmp']).toBe('tmp');
    expect(pod.volumes.find((v: any) => v.name === mounts['/var/lib/grafana']).persistentVolumeClaim.claimName).toBe('grafana');
    expect(findObject(m, 'PersistentVolumeClaim', 'grafana').spec.resources.requests.storage).toBe(`${e.config.grafana.storageGiB}Gi`);
  });

  test('audit logging and anonymous access', () => {
    const env = Object.fromEntries(findObject(m, 'Deployment', 'grafana').spec.template.spec.containers[0].env.filter((v: any) => 'value' in v).map((v: any) => [v.name, v.value]));
    expect(env).toMatchObject({ GF_DATAPROXY_LOGGING: 'true', GF_SERVER_ROUTER_LOGGING: 'true', GF_AUTH_ANONYMOUS_ENABLED: 'false' });
  });

  test('dashboards: current schema, the seed queries, linked both ways', () => {
    const d = dashboards(m);
    const tracing = d['ybuilt-tracing.json'];
    const logs = d['ybuilt-log-correlation.json'];
    expect(tracing.schemaVersion).toBe(DASHBOARD_SCHEMA_VERSION);
    expect(tracing.title).toBe('Distributed Tracing');
    expect(tracing.panels[0].targets[0]).toMatchObject({ expr: 'rate(http_requests_total[5m])', datasource: { uid: 'prometheus' } });
    expect(tracing.panels.some((p: any) => p.datasource.uid === 'tempo' && p.targets[0].queryType === 'traceql')).toBe(true);
    expect(tracing.panels.some((p: any) => p.type === 'nodeGraph')).toBe(e.config.tempo.metricsGenerator.enabled);
    expect(tracing.links[0].url).toBe(`/d/${LOG_CORRELATION_UID}`);
    expect(logs.title).toBe('Log Correlation');
    expect(logs.links[0].url).toBe(`/d/${TRACING_UID}`);
    expect(logs.templating.list[0].name).toBe(LOG_FIELDS.traceId);
    expect(logs.panels[0].targets[0].expr).toBe(`{job="${e.config.grafana.dashboards.job}"} | json | trace_id="$trace_id"`);
    const provider = configMapYaml(m, 'grafana-dashboard-providers', 'dashboards.yaml').providers[0];
    expect(provider.folder).toBe(e.config.grafana.dashboards.folder);
  });

  test('provisioning changes roll the pod', () => {
    const ann = findObject(m, 'Deployment', 'grafana').spec.template.metadata.annotations;
    expect(Object.keys(ann).sort()).toEqual(['checksum/dashboards', 'checksum/datasources']);
  });

  test('summary for review', () => {
    const c = findObject(m, 'Deployment', 'grafana').spec.template.spec.containers[0];
    expect({
      image: c.image,
      datasources: configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources.map((d: any) => `${d.uid} ${d.url}`),
      exposure: m.filter((o) => ['Ingress', 'HTTPRoute'].includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`),
      rootUrl: c.env.find((v: any) => v.name === 'GF_SERVER_ROOT_URL')?.value ?? null,
      storage: findObject(m, 'PersistentVolumeClaim', 'grafana').spec.resources.requests.storage,
    }).toMatchSnapshot();
  });
});

describe('Grafana details', () => {
  test('the derived-field regex takes the trace id from a logger line', () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const line = JSON.stringify({ [LOG_FIELDS.time]: 't', [LOG_FIELDS.level]: 'info', [LOG_FIELDS.message]: 'm', [LOG_FIELDS.traceId]: traceId, [LOG_FIELDS.spanId]: '00f067aa0ba902b7' });
    expect(new RegExp(TRACE_ID_REGEX).exec(line)?.[1]).toBe(traceId);
    expect(new RegExp(TRACE_ID_REGEX).exec(`trace_id=${traceId}`)).toBeNull();
  });

  test('an ingress with TLS derives root_url and secure cookies', () => {
    const m = objects(envFrom(`${FS}grafana: {exposure: {type: ingress, host: grafana.example.org, className: nginx, tlsSecret: grafana-tls}}`));
    const ing = findObject(m, 'Ingress', 'grafana');
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'grafana', port: { number: 3000 } });
    expect(ing.spec.tls).toEqual([{ hosts: ['grafana.example.org'], secretName: 'grafana-tls' }]);
    const env = findObject(m, 'Deployment', 'grafana').spec.template.spec.containers[0].env;
    expect(env.find((v: any) => v.name === 'GF_SERVER_ROOT_URL').value).toBe('https://grafana.example.org/');
    expect(env.find((v: any) => v.name === 'GF_SECURITY_COOKIE_SECURE').value).toBe('true');
  });

  test('an HTTPRoute attaches to the configured Gateway', () => {
    const m = objects(envFrom(`${FS}grafana: {exposure: {type: httproute, host: grafana.example.org, gateway: {name: public, namespace: gateways}}}`));
    const route = findObject(m, 'HTTPRoute', 'grafana');
    expect(route.spec.parentRefs).toEqual([{ name: 'public', namespace: 'gateways' }]);
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: 'grafana', port: 3000 }]);
  });

  test('OAuth: client id from config, client secret from a Secret', () => {
    const m = objects(envFrom(`${FS}grafana: {oauth: {provider: github, clientId: abc, clientSecret: {name: grafana-oauth, key: client-secret}, allowedOrganizations: [ybuilt]}}`));
    const env = findObject(m, 'Deployment', 'grafana').spec.template.spec.containers[0].env;
    expect(env).toEqual(expect.arrayContaining([
      { name: 'GF_AUTH_GITHUB_ENABLED', value: 'true' },
      { name: 'GF_AUTH_GITHUB_CLIENT_ID', value: 'abc' },
      { name: 'GF_AUTH_GITHUB_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'grafana-oauth', key: 'client-secret' } } },
      { name: 'GF_AUTH_GITHUB_ALLOWED_ORGANIZATIONS', value: 'ybuilt' },
    ]));
  });

  test('a Loki tenant is sent as X-Scope-OrgID', () => {
    const m = objects(envFrom(`tempo: {backend: filesystem}\nloki: {backend: filesystem, authEnabled: true, tenantId: ybuilt}`));
    const loki = ds(m, 'loki');
    expect(loki.jsonData.httpHeaderName1).toBe('X-Scope-OrgID');
    expect(loki.secureJsonData).toEqual({ httpHeaderValue1: 'ybuilt' });
  });

  test('large dashboard ConfigMaps switch Argo CD to server-side apply', () => {
    expect(largeConfigMapAnnotations({ 'a.json': 'x'.repeat(100) })).toBeUndefined();
    expect(largeConfigMapAnnotations({ 'a.json': 'x'.repeat(300_000) })).toEqual({ 'argocd.argoproj.io/sync-options': 'ServerSideApply=true' });
  });

  test('fails when an OAuth client secret is written in plain text', () => {
    expect(() => envFrom(`${FS}grafana: {oauth: {provider: google, clientId: abc, clientSecret: hunter2}}`)).toThrow(
      'grafana.oauth.clientSecret: plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: { name: <name of an existing Secret in the namespace>, key: <key inside that Secret> }, got a string of 7 characters (not shown)',
    );
  });

  test('fails when an exposure type is unknown', () => {
    expect(() => envFrom(`${FS}grafana: {exposure: {type: loadbalancer}}`)).toThrow('grafana.exposure.type: expected one of "none", "ingress", "httproute", got "loadbalancer"');
  });

  test('the datasources file parses as provisioning YAML', () => {
    expect((load(findObject(objects(env('production')), 'ConfigMap', 'grafana-datasources').data['datasources.yaml']) as any).apiVersion).toBe(1);
  });
});
