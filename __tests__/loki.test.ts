import { LokiChart } from '../charts/loki';
import { buildCharts } from '../lib/stack';
import { checksum } from '../lib/serialize';
import { configMapYaml, ENVIRONMENTS, env, envFrom, findObject, objects, problems } from './helpers';


/** A minimal valid file plus the given `loki:` flow mapping. */
const withLoki = (loki: string) => `tempo: {backend: filesystem}\nloki: ${loki}\n`;

function lokiChart(e = env('production')): LokiChart {
  // Not `instanceof`: cdk8s's Chart answers it for every chart (Symbol.hasInstance).
  return buildCharts(e).find((c) => c.appName === 'loki') as LokiChart;
}

describe.each(ENVIRONMENTS)('loki in %s', (name) => {
  const e = env(name);
  const c = e.config.loki;
  const objs = objects(e);
  const loki = configMapYaml(objs, 'loki', 'loki.yaml');
  const sts = findObject(objs, 'StatefulSet', 'loki');
  const container = sts.spec.template.spec.containers[0];

  test('runs monolithic Loki 3 from the ConfigMap key loki.yaml, rolled by its checksum', () => {
    expect(container.image).toMatch(/^grafana\/loki:3\./);
    expect(container.args).toEqual(['-config.file=/etc/loki/loki.yaml', '-target=all']);
    const text = findObject(objs, 'ConfigMap', 'loki').data['loki.yaml'];
    expect(sts.spec.template.metadata.annotations['checksum/config']).toBe(checksum(text));
    expect(sts.spec.replicas).toBe(1);
  });

  test('ports: config = container = Service (by name) = loki.yaml; ready on /ready', () => {
    const svc = findObject(objs, 'Service', 'loki');
    expect(svc.spec.ports).toEqual([
      { name: 'http', port: c.ports.http, targetPort: 'http', protocol: 'TCP' },
      { name: 'grpc', port: c.ports.grpc, targetPort: 'grpc', protocol: 'TCP' },
    ]);
    expect(container.ports).toEqual([
      { name: 'http', containerPort: c.ports.http, protocol: 'TCP' },
      { name: 'grpc', containerPort: c.ports.grpc, protocol: 'TCP' },
    ]);
    expect(loki.server).toMatchObject({ http_listen_port: c.ports.http, grpc_listen_port: c.ports.grpc });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http', ...(env(name).config.tls.enabled ? { scheme: 'HTTPS' } : {}) });
  });

  test('keeps WAL, index and compactor on a PVC of storageGiB', () => {
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(`${c.storageGiB}Gi`);
    expect(container.volumeMounts).toContainEqual({ name: 'storage', mountPath: loki.common.path_prefix });
    for (const dir of [loki.ingester.wal.dir, loki.compactor.working_directory, loki.storage_config.tsdb_shipper.active_index_directory]) {
      expect(dir.startsWith(`${loki.common.path_prefix}/`)).toBe(true);
    }
  });

  test('is single-tenant with a single-replica in-memory ring', () => {
    expect(loki.auth_enabled).toBe(false);
    expect(lokiChart(e).tenantId).toBeUndefined();
    expect(loki.common.replication_factor).toBe(1);
    expect(loki.common.ring.kvstore.store).toBe('inmemory');
  });

  test('schema: tsdb v13 on the configured object store from 2024-01-01, 24h index', () => {
    expect(loki.schema_config.configs).toEqual([
      { from: '2024-01-01', store: 'tsdb', object_store: c.backend, schema: 'v13', index: { prefix: 'loki_index_', period: '24h' } },
    ]);
    expect(loki.limits_config.allow_structured_metadata).toBe(true);
  });

  test('seed ingester and limits values under their Loki 3 keys', () => {
    expect(loki.ingester).toMatchObject({ chunk_idle_period: '3m', chunk_retain_period: '1m', max_chunk_age: '1h', chunk_encoding: 'gzip' });
    expect(loki.limits_config).toMatchObject({ reject_old_samples: true, reject_old_samples_max_age: '168h' });
  });

  test('tiers: hot = index cache on the PVC, warm = query lookback and compactor retention', () => {
    expect(loki.storage_config.tsdb_shipper.cache_ttl).toBe(c.retention.hot);
    expect(loki.limits_config.max_query_lookback).toBe(c.retention.warm);
    expect(loki.limits_config.retention_period).toBe(c.retention.warm);
    expect(loki.compactor).toMatchObject({ retention_enabled: true, delete_request_store: c.backend });
  });

  test('no bucket lifecycle object while bucketLifecycle.controller is none', () => {
    expect(objs.filter((o) => /s3\.(services\.k8s|aws\.upbound)\.(aws|io)/.test(o.apiVersion))).toEqual([]);
  });

  test('none of the keys Loki 3 removed', () => {
    const text = findObject(objs, 'ConfigMap', 'loki').data['loki.yaml'];
    for (const key of ['shared_store', 'enforce_metric_name', 'max_look_back_period', 'table_manager', 'boltdb_shipper']) expect(text).not.toContain(key);
  });

  test('review summary', () => {
    expect({
      image: container.image,
      storage: loki.common.storage,
      storageGiB: c.storageGiB,
      schema: loki.schema_config.configs.map((p: any) => `${p.from} ${p.store} ${p.schema} ${p.object_store}`),
      tiers: {
        hotIndexCacheTtl: loki.storage_config.tsdb_shipper.cache_ttl,
        warmMaxQueryLookback: loki.limits_config.max_query_lookback,
        warmRetentionPeriod: loki.limits_config.retention_period,
        coldArchive: lokiChart(e).tiers.archive ?? null,
      },
      ingester: loki.ingester,
      structuredMetadata: loki.limits_config.allow_structured_metadata,
      urls: { query: lokiChart(e).queryUrl, push: lokiChart(e).pushUrl },
    }).toMatchSnapshot();
  });
});

describe('loki on S3 (production)', () => {
  const objs = objects(env('production'));
  const loki = configMapYaml(objs, 'loki', 'loki.yaml');

  test('bucket and region from the seed', () => {
    expect(loki.common.storage).toEqual({ s3: { bucketnames: 'ybuilt-loki-logs', region: 'us-east-1', endpoint: 's3.us-east-1.amazonaws.com' } });
  });

  test('credentials come from the existing Secret as env vars', () => {
    const container = findObject(objs, 'StatefulSet', 'loki').spec.template.spec.containers[0];
    expect(container.env.filter((v: any) => v.name !== 'GOMEMLIMIT')).toEqual(
      ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: 'loki-s3-credentials', key } } })),
    );
  });

  test('no credential in the rendered files', () => {
    const text = findObject(objs, 'ConfigMap', 'loki').data['loki.yaml'];
    expect(text).not.toMatch(/access_key|secret_access_key|session_token/);
  });
});

describe('loki on S3 with an IAM role', () => {
  test('annotates the ServiceAccount and sets no key env vars', () => {
    const objs = objects(envFrom(withLoki('{bucket: ybuilt-loki-logs, s3: {credentials: {roleArn: "arn:aws:iam::123456789012:role/loki"}}}')));
    expect(findObject(objs, 'ServiceAccount', 'loki').metadata.annotations).toMatchObject({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/loki' });
    expect(findObject(objs, 'StatefulSet', 'loki').spec.template.spec.containers[0].env.map((v: any) => v.name)).toEqual(['GOMEMLIMIT']);
  });
});

describe('the cold tier as a bucket lifecycle rule', () => {
  const S3 = '{bucket: ybuilt-loki-logs, s3: {credentials: {secret: loki-s3-credentials}}, retention: {hot: 168h, warm: 720h, cold: 2160h}}';

  test('ack: deleted versions go to Glacier a day after Loki deletes them and expire at the cold age', () => {
    const objs = objects(envFrom(`bucketLifecycle: {controller: ack}\n${withLoki(S3)}`));
    const bucket = findObject(objs, 'Bucket', 'loki-logs');
    expect(bucket.spec.name).toBe('ybuilt-loki-logs');
    expect(bucket.spec.versioning).toEqual({ status: 'Enabled' });
    expect(bucket.spec.lifecycle.rules[0]).toMatchObject({
      noncurrentVersionTransitions: [{ noncurrentDays: 1, storageClass: 'GLACIER' }],
      noncurrentVersionExpiration: { noncurrentDays: 60 }, // 2160h - 720h
    });
  });

  test('crossplane: the same rule as BucketLifecycleConfiguration', () => {
    const objs = objects(envFrom(`bucketLifecycle: {controller: crossplane}\n${withLoki(S3)}`));
    const rule = findObject(objs, 'BucketLifecycleConfiguration', 'loki-logs-lifecycle').spec.forProvider.rule[0];
    expect(rule.noncurrentVersionExpiration).toEqual([{ noncurrentDays: 60 }]);
    expect(rule.noncurrentVersionTransition).toEqual([{ noncurrentDays: 1, storageClass: 'GLACIER' }]);
  });

  test('nothing when the cold tier ends with the warm one', () => {
    const objs = objects(envFrom(`bucketLifecycle: {controller: ack}\n${withLoki(S3.replace('2160h', '720h'))}`));
    expect(objs.filter((o) => o.kind === 'Bucket')).toEqual([]);
  });
});

describe('loki in dev stores on the filesystem', () => {
  test('chunks on the PVC, delete requests too', () => {
    const loki = configMapYaml(objects(env('dev')), 'loki', 'loki.yaml');
    expect(loki.common.storage).toEqual({ filesystem: { chunks_directory: '/var/loki/chunks' } });
    expect(loki.compactor.delete_request_store).toBe('filesystem');
  });
});

describe('loki multi-tenant', () => {
  const e = envFrom(withLoki('{backend: filesystem, authEnabled: true, tenantId: ybuilt}'));

  test('auth_enabled and the tenant id for Promtail and Grafana', () => {
    expect(configMapYaml(objects(e), 'loki', 'loki.yaml').auth_enabled).toBe(true);
    expect(lokiChart(e).tenantId).toBe('ybuilt');
  });
});

describe('loki migrating from boltdb-shipper', () => {
  const e = envFrom(
    withLoki(
      '{backend: filesystem, schemaPeriods: [{from: "2024-01-01", store: boltdb-shipper, schema: v11}, {from: "2026-12-01", store: tsdb, schema: v13, indexPrefix: index_}]}',
    ),
  );
  const loki = configMapYaml(objects(e), 'loki', 'loki.yaml');

  test('keeps the old period readable and adds the tsdb v13 one', () => {
    expect(loki.schema_config.configs.map((p: any) => [p.from, p.store, p.schema, p.index.prefix])).toEqual([
      ['2024-01-01', 'boltdb-shipper', 'v11', 'loki_index_'],
      ['2026-12-01', 'tsdb', 'v13', 'index_'],
    ]);
    expect(loki.storage_config.boltdb_shipper).toMatchObject({ active_index_directory: '/var/loki/boltdb-index', cache_location: '/var/loki/boltdb-cache' });
  });

  test('turns structured metadata off, which Loki requires while the active period may not be v13', () => {
    expect(loki.limits_config.allow_structured_metadata).toBe(false);
    expect(lokiChart(e).structuredMetadata).toBe(false);
  });
});

describe('loki config errors', () => {
  test('fails when auth is on without a tenant id', () => {
    expect(problems(withLoki('{backend: filesystem, authEnabled: true}'))).toContain(
      'loki.tenantId: missing, expected a tenant id when authEnabled is true (Promtail and Grafana send it as X-Scope-OrgID)',
    );
  });

  test('fails when a tenant id is set with auth off', () => {
    expect(problems(withLoki('{backend: filesystem, tenantId: ybuilt}'))).toContain(
      'loki.tenantId: expected no tenantId when authEnabled is false (single-tenant Loki ignores it), got "ybuilt"',
    );
  });

  test('fails when a tenant id has characters Loki refuses', () => {
    expect(problems(withLoki('{backend: filesystem, authEnabled: true, tenantId: "a|b"}'))).toContain(
      'loki.tenantId: expected 1-150 characters of a-z, A-Z, 0-9, !-_.*\'(), got "a|b"',
    );
  });

  test('fails when schema periods are not in ascending order', () => {
    expect(
      problems(withLoki('{backend: filesystem, schemaPeriods: [{from: "2025-01-01", store: boltdb-shipper, schema: v11}, {from: "2024-01-01"}]}')),
    ).toContain('loki.schemaPeriods[1].from: expected a date after the previous period\'s "2025-01-01" (periods in ascending order), got "2024-01-01"');
  });

  test('fails when the last schema period is not tsdb + v13', () => {
    expect(problems(withLoki('{backend: filesystem, schemaPeriods: [{from: "2024-01-01", store: boltdb-shipper, schema: v11}]}'))).toContain(
      'loki.schemaPeriods[0]: expected the last period to be store tsdb with schema v13 (Loki 3 needs it), got store boltdb-shipper with schema v11',
    );
  });

  test('fails when a period date is not a calendar date', () => {
    expect(problems(withLoki('{backend: filesystem, schemaPeriods: [{from: "2024-02-30"}]}'))).toContain(
      'loki.schemaPeriods[0].from: expected a date like "2024-01-01" (YYYY-MM-DD), got "2024-02-30"',
    );
  });

  test('fails when the schema is a store Loki 3 no longer reads', () => {
    expect(problems(withLoki('{backend: filesystem, schemaPeriods: [{from: "2024-01-01", store: aws}]}'))[0]).toMatch(
      /^loki\.schemaPeriods\[0\]\.store: .*"tsdb".*"boltdb-shipper"/,
    );
  });

  test('fails when the warm tier is under Loki\'s 24h minimum retention', () => {
    expect(problems(withLoki('{backend: filesystem, retention: {hot: 1h, warm: 12h, cold: 48h}}'))).toContain(
      'loki.retention.warm: expected at least 24h (Loki\'s minimum retention_period), got "12h"',
    );
  });

  test('fails when the chunk encoding is not one Loki knows', () => {
    expect(problems(withLoki('{backend: filesystem, ingester: {chunkEncoding: brotli}}'))[0]).toMatch(/^loki\.ingester\.chunkEncoding: .*"gzip"/);
  });
});
