/**
 * Per-tenant limits: production with the tenants example. Loki entries inherit limits_config, so only
 * the tenant's values are written; Tempo entries replace overrides.defaults, so every entry must carry each
 * default itself. Both files are mounted as directories and reloaded without a restart.
 */
import * as path from 'node:path';
import { buildCharts } from '../lib/stack';
import { tenantUid } from '../lib/grafana/tenant-datasources';
import { ENGINE_DEFAULTS } from '../lib/tempo/overrides';
import { checkedOtelcolConfig } from '../lib/otelcol/types';
import { configMapYaml, FEATURE_VARIANTS, findObject, K8sObject, objects, problems, productionWith } from './helpers';

const EXAMPLE = FEATURE_VARIANTS['production-tenants'] as { loki: Record<string, any>; tempo: Record<string, any> };

const container = (m: K8sObject[], kind: string, name: string) => findObject(m, kind, name).spec.template.spec.containers[0];

/** The ConfigMap file a config path points at, found through the container's mounts (as the kubelet would). */
function mountedFile(m: K8sObject[], workload: string, filePath: string): { cm: K8sObject; mount: any; key: string } {
  const c = container(m, 'StatefulSet', workload);
  const mount = c.volumeMounts.find((v: any) => path.dirname(filePath) === v.mountPath);
  expect(mount).toBeDefined();
  const volume = findObject(m, 'StatefulSet', workload).spec.template.spec.volumes.find((v: any) => v.name === mount.name);
  return { cm: findObject(m, 'ConfigMap', volume.configMap.name), mount, key: path.basename(filePath) };
}

/** Every leaf of `sub` is present with the same value in `tree`. */
function contains(tree: any, sub: any, at = ''): string[] {
  if (typeof sub !== 'object' || sub === null || Array.isArray(sub)) return JSON.stringify(tree) === JSON.stringify(sub) ? [] : [`${at}: ${JSON.stringify(tree)} != ${JSON.stringify(sub)}`];
  return Object.entries(sub).flatMap(([k, v]) => contains(tree?.[k], v, `${at}.${k}`));
}

describe('production with the tenants example', () => {
  const m = objects(productionWith(EXAMPLE));
  const lokiYaml = configMapYaml(m, 'loki', 'loki.yaml');
  const tempoYaml = configMapYaml(m, 'tempo', 'tempo.yaml');

  test('Loki reads its runtime file from a directory mount (no subPath), so reloads are seen', () => {
    const file = lokiYaml.runtime_config.file;
    const { cm, mount, key } = mountedFile(m, 'loki', file);
    expect(mount.subPath).toBeUndefined();
    expect(mount.readOnly).toBe(true);
    expect(Object.keys(cm.data)).toEqual([key]);
  });

  test('Loki tenant entries hold only their own values (they inherit the rest of limits_config)', () => {
    const file = configMapYaml(m, 'loki-runtime', 'overrides.yaml');
    expect(file).toEqual({
      overrides: {
        'team-a': { retention_period: '720h', max_query_lookback: '720h', ingestion_rate_mb: 20 },
        'team-b': { retention_period: '168h', max_query_lookback: '168h' },
      },
    });
    // The defaults the entries inherit are still in loki.yaml, and the compactor applies retention per tenant.
    expect(lokiYaml.limits_config.retention_period).toBe('720h');
    expect(lokiYaml.compactor.retention_enabled).toBe(true);
    expect(lokiYaml.auth_enabled).toBe(true);
  });

  test('Tempo: multi-tenant, per_tenant_override_config from a directory mount', () => {
    expect(tempoYaml.multitenancy_enabled).toBe(true);
    const { mount } = mountedFile(m, 'tempo', tempoYaml.overrides.per_tenant_override_config);
    expect(mount.subPath).toBeUndefined();
  });

  test('a Tempo tenant entry carries every default (Tempo replaces, it does not merge) and its own retention', () => {
    const entry = configMapYaml(m, 'tempo-overrides', 'overrides.yaml').overrides['team-a'];
    const defaults = tempoYaml.overrides.defaults;
    expect(contains(entry, { ...defaults, compaction: { block_retention: '336h' } })).toEqual([]);
    // Tempo 3's own flag defaults, which a replacing entry would otherwise zero (a zero rate refuses every push).
    expect(contains(entry.ingestion, ENGINE_DEFAULTS[3].ingestion)).toEqual([]);
    expect(entry.ingestion.rate_limit_bytes).toBe(30_000_000);
    expect(entry.metrics_generator.processors).toEqual(defaults.metrics_generator.processors);
  });

  test('Tempo 2.10: the same entry with that release\'s own defaults (15 MB/s rate, 20 MB burst) and no 3.x-only key', () => {
    const m2 = objects(productionWith({ ...EXAMPLE, tempo: { ...EXAMPLE.tempo, image: 'grafana/tempo:2.10.8' } }));
    const entry = configMapYaml(m2, 'tempo-overrides', 'overrides.yaml').overrides['team-a'];
    expect(entry.ingestion).toMatchObject({ rate_limit_bytes: 15_000_000, burst_size_bytes: 20_000_000 });
    expect(entry.read).toEqual({ max_bytes_per_tag_values_query: 1_000_000 });
    expect(entry.compaction.block_retention).toBe('336h');
  });

  test('the writers and readers send the tenant: Promtail, the collector\'s exporter, both Grafana datasources', () => {
    expect(configMapYaml(m, 'promtail', 'promtail.yaml').clients[0].tenant_id).toBe('team-a');
    const sampler = findObject(m, 'ConfigMap', 'otel-sampler');
    const exporter = (configMapYaml(m, 'otel-sampler', Object.keys(sampler.data)[0]) as any).exporters.otlp_grpc;
    expect(exporter.headers).toEqual({ 'X-Scope-OrgID': 'team-a' });
    // The exporter's fields still match the collector's config types with the header added.
    expect(() => checkedOtelcolConfig(configMapYaml(m, 'otel-sampler', Object.keys(sampler.data)[0]))).not.toThrow();
    const ds = configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources;
    for (const uid of ['loki', 'tempo']) {
      const d = ds.find((x: any) => x.uid === uid);
      expect([d.jsonData.httpHeaderName1, d.secureJsonData.httpHeaderValue1]).toEqual(['X-Scope-OrgID', 'team-a']);
    }
  });

  test('changing a tenant\'s limits changes the ConfigMap, not the pod template (no restart)', () => {
    const other = objects(productionWith({ ...EXAMPLE, loki: { ...EXAMPLE.loki, tenants: { ...EXAMPLE.loki.tenants, 'team-b': { retention: '336h' } } } }));
    expect(findObject(other, 'StatefulSet', 'loki').spec.template).toEqual(findObject(m, 'StatefulSet', 'loki').spec.template);
    expect(findObject(other, 'ConfigMap', 'loki-runtime').data).not.toEqual(findObject(m, 'ConfigMap', 'loki-runtime').data);
  });

});

describe('one Grafana datasource per tenant, when asked', () => {
  const m = objects(
    productionWith({
      loki: { ...EXAMPLE.loki, tenants: { 'team-a': { datasource: true }, 'team-b': { datasource: true } } },
      tempo: { ...EXAMPLE.tempo, tenants: { 'team-b': { datasource: true } } },
    }),
  );
  const ds = configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources;

  test('team-b gets a Loki and a Tempo datasource with its header; team-a already has the main ones', () => {
    expect(ds.map((d: any) => d.uid)).toEqual(['prometheus', 'tempo', 'loki', 'loki-team-b', 'tempo-team-b']);
    const loki = ds.find((d: any) => d.uid === 'loki-team-b');
    expect(loki).toMatchObject({ name: 'Loki (team-b)', type: 'loki', url: ds.find((d: any) => d.uid === 'loki').url });
    expect([loki.jsonData.httpHeaderName1, loki.secureJsonData.httpHeaderValue1]).toEqual(['X-Scope-OrgID', 'team-b']);
    // Production serves TLS: the tenant datasources verify it like the main ones.
    expect(loki.jsonData.tlsAuthWithCACert).toBe(true);
  });

  test('tenant ids Grafana cannot use as a UID get a stable hashed one', () => {
    expect(tenantUid('loki', 'team-b')).toBe('loki-team-b');
    const odd = tenantUid('loki', "acme.corp(eu)'*");
    expect(odd).toMatch(/^loki-t[0-9a-f]{12}$/);
    expect(tenantUid('loki', "acme.corp(eu)'*")).toBe(odd);
    expect(tenantUid('tempo', 'x'.repeat(60))).toMatch(/^tempo-t[0-9a-f]{12}$/);
  });
});

describe('tenant validation', () => {
  const FS = 'tempo: {backend: filesystem}\n';

  test('fails when tenants are given to a single-tenant engine', () => {
    expect(problems(`${FS}loki: {backend: filesystem, tenants: {team-a: {retention: 720h}}}`)).toEqual([
      'loki.tenants: expected authEnabled: true with tenants (single-tenant Loki files everything under "fake", so "team-a" would never match), got authEnabled false',
    ]);
    expect(problems('loki: {backend: filesystem}\ntempo: {backend: filesystem, tenants: {team-a: {retention: 336h}}}')).toEqual([
      'tempo.tenants: expected authEnabled: true with tenants (single-tenant Tempo files everything under "single-tenant", so "team-a" would never match), got authEnabled false',
    ]);
  });

  test('fails on tenant ids the engines refuse, naming the key', () => {
    expect(problems(`${FS}loki: {backend: filesystem, authEnabled: true, tenantId: a, tenants: {"team|b": {}, "..": {}}}`)).toEqual([
      `loki.tenants: key "team|b": expected 1-150 characters of a-z, A-Z, 0-9, !-_.*'(), got "team|b"`,
      'loki.tenants: key "..": expected a tenant id other than "." or "..", got ".."',
    ]);
  });

  test('fails on a retention under Loki\'s 24h minimum and on an unknown tenant key', () => {
    expect(problems(`${FS}loki: {backend: filesystem, authEnabled: true, tenantId: a, tenants: {a: {retention: 12h}}}`)).toEqual([
      'loki.tenants.a.retention: expected at least 24h (Loki\'s minimum retention_period), got "12h"',
    ]);
    expect(problems(`${FS}loki: {backend: filesystem, authEnabled: true, tenantId: a, tenants: {a: {retentionPeriod: 48h}}}`)[0]).toMatch(
      /^loki\.tenants\.a\.retentionPeriod: unknown key, expected one of: retention, ingestionRateMB/,
    );
  });

  test('fails when multi-tenant Tempo has no tenant to write to', () => {
    expect(problems('loki: {backend: filesystem}\ntempo: {backend: filesystem, authEnabled: true}')).toEqual([
      'tempo.tenantId: missing, expected a tenant id when authEnabled is true (the collector and Grafana send it as X-Scope-OrgID)',
    ]);
  });

  test('no runtime files without tenants: the shipped environments are unchanged', () => {
    const charts = buildCharts(productionWith({}));
    const names = charts.flatMap((c) => c.toJson()).filter((o: any) => o.kind === 'ConfigMap').map((o: any) => o.metadata.name);
    expect(names).not.toContain('loki-runtime');
    expect(names).not.toContain('tempo-overrides');
  });
});
