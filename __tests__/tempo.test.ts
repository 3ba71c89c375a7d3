import { ENVIRONMENTS, configMapYaml, env, envFrom, findObject, objects } from './helpers';

const FS = 'loki: {backend: filesystem}\n';
const tempoYaml = (m: ReturnType<typeof objects>) => configMapYaml(m, 'tempo', 'tempo.yaml');

describe.each(ENVIRONMENTS)('%s Tempo', (name) => {
  const e = env(name);
  const t = e.config.tempo;
  const m = objects(e);
  const cfg = tempoYaml(m);

  test('ports: Service = container = tempo.yaml', () => {
    const svc = findObject(m, 'Service', 'tempo');
    const c = findObject(m, 'StatefulSet', 'tempo').spec.template.spec.containers[0];
    const port = (n: string) => svc.spec.ports.find((p: any) => p.name === n);
    for (const p of svc.spec.ports) {
      expect(c.ports.find((cp: any) => cp.name === p.targetPort).containerPort).toBe(p.port);
    }
    expect(cfg.server.http_listen_port).toBe(port('http').port);
    expect(cfg.server.grpc_listen_port).toBe(port('grpc').port);
    expect(cfg.distributor.receivers.otlp.protocols.grpc.endpoint).toBe(`0.0.0.0:${port('otlp-grpc').port}`);
    expect(cfg.distributor.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${port('otlp-http').port}`);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http', ...(e.config.tls.enabled ? { scheme: 'HTTPS' } : {}) });
  });

  test('retention: warm is the block_retention 3.x enforces, hot caps search ranges', () => {
    expect(cfg.backend_worker.compaction.block_retention).toBe(t.retention.warm);
    expect(cfg.overrides.defaults.compaction.block_retention).toBe(t.retention.warm);
    expect(cfg.query_frontend.search.max_duration).toBe(t.retention.hot);
    expect(cfg).not.toHaveProperty('compactor');
    expect(cfg).not.toHaveProperty('ingester');
  });

  test('limits and ingestion values reach their 3.x keys', () => {
    expect(cfg.overrides.defaults.global.max_bytes_per_trace).toBe(t.limits.maxBytesPerTrace);
    expect(cfg.overrides.defaults.ingestion.max_traces_per_user).toBe(t.limits.maxTracesPerUser);
    expect(cfg.live_store).toMatchObject({ max_trace_idle: t.ingestion.traceIdlePeriod, max_block_duration: t.ingestion.maxBlockDuration });
    if (t.ingestion.maxBlockBytes === undefined) expect(cfg.live_store).not.toHaveProperty('max_block_bytes');
    else expect(cfg.live_store.max_block_bytes).toBe(t.ingestion.maxBlockBytes);
    expect(cfg.storage.trace.pool).toEqual({ max_workers: t.pool.maxWorkers, queue_depth: t.pool.queueDepth });
  });

  test('every local path Tempo writes is on the PVC', () => {
    const sts = findObject(m, 'StatefulSet', 'tempo');
    const mount = sts.spec.template.spec.containers[0].volumeMounts.find((v: any) => v.name === 'data').mountPath;
    const paths = [cfg.storage.trace.wal.path, cfg.live_store.wal.path, cfg.live_store.shutdown_marker_dir, cfg.backend_scheduler.local_work_path];
    if (cfg.metrics_generator) paths.push(cfg.metrics_generator.storage.path);
    if (cfg.storage.trace.local) paths.push(cfg.storage.trace.local.path);
    for (const p of paths) expect(p.startsWith(`${mount}/`)).toBe(true);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(`${t.storageGiB}Gi`);
  });

  test('summary for review', () => {
    expect({
      image: findObject(m, 'StatefulSet', 'tempo').spec.template.spec.containers[0].image,
      backend: cfg.storage.trace.backend,
      bucket: cfg.storage.trace.s3?.bucket ?? null,
      retention: { searchMaxDuration: cfg.query_frontend.search.max_duration, blockRetention: cfg.backend_worker.compaction.block_retention },
      metricsGenerator: cfg.overrides.defaults.metrics_generator?.processors ?? 'off',
      lifecycle: m.filter((o) => o.apiVersion.startsWith('s3.')).map((o) => `${o.kind}/${o.metadata.name}`),
    }).toMatchSnapshot();
  });
});

const envNames = (workload: any): string[] => (workload.spec.template.spec.containers[0].env ?? []).map((v: any) => v.name);

describe('Tempo details', () => {
  test('production carries the seed values', () => {
    const cfg = tempoYaml(objects(env('production')));
    expect(cfg.storage.trace.s3).toEqual({ bucket: 'ybuilt-tempo-traces', endpoint: 's3.amazonaws.com', region: 'us-east-1' });
    expect(cfg.live_store).toMatchObject({ max_trace_idle: '10s', max_block_duration: '5m' });
    // The seed's 1 MB block size is not used: it was meant for the 2.x ingester and cuts tiny blocks (README seed table).
    expect(cfg.live_store).not.toHaveProperty('max_block_bytes');
    expect(cfg.storage.trace.pool).toEqual({ max_workers: 100, queue_depth: 10000 });
    expect(cfg.overrides.defaults.global.max_bytes_per_trace).toBe(5000000);
    expect(cfg.overrides.defaults.ingestion.max_traces_per_user).toBe(10000);
    expect(cfg.metrics_generator.storage.remote_write[0].url).toBe('http://prometheus.monitoring.svc.cluster.local:9090/api/v1/write');
  });

  test('a 2.10 image renders the 2.x form (ingester, compactor)', () => {
    const e = envFrom(`${FS}tempo: {image: "grafana/tempo:2.10.8", backend: filesystem}`);
    const cfg = tempoYaml(objects(e));
    expect(cfg.ingester).toEqual({ trace_idle_period: '10s', trace_live_period: '30s', max_block_duration: '5m' });
    expect(cfg.compactor.compaction.block_retention).toBe('336h');
    expect(cfg).not.toHaveProperty('live_store');
    expect(cfg).not.toHaveProperty('backend_worker');
    expect(cfg).not.toHaveProperty('backend_scheduler');
    expect(findObject(objects(e), "StatefulSet", "tempo").metadata.labels?.['app.kubernetes.io/version']).toBe('2.10.8');
  });

  test('dev stores blocks on the PVC and has no S3 credentials', () => {
    const m = objects(env('dev'));
    expect(tempoYaml(m).storage.trace).toMatchObject({ backend: 'local', local: { path: '/var/tempo/blocks' } });
    expect(envNames(findObject(m, 'StatefulSet', 'tempo'))).toEqual(['GOMEMLIMIT']);
  });

  test('credentials come from the Secret as env vars, never as values', () => {
    const c = findObject(objects(env('production')), 'StatefulSet', 'tempo').spec.template.spec.containers[0];
    expect(c.env.filter((v: any) => v.name !== 'GOMEMLIMIT')).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'tempo-s3-credentials', key: 'AWS_ACCESS_KEY_ID' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'tempo-s3-credentials', key: 'AWS_SECRET_ACCESS_KEY' } } },
    ]);
  });

  test('an IAM role goes on the ServiceAccount', () => {
    const e = envFrom(`${FS}tempo: {bucket: traces-b, s3: {credentials: {roleArn: "arn:aws:iam::123456789012:role/tempo"}}}`);
    const m = objects(e);
    expect(findObject(m, 'ServiceAccount', 'tempo').metadata.annotations).toMatchObject({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/tempo' });
    expect(envNames(findObject(m, 'StatefulSet', 'tempo'))).toEqual(['GOMEMLIMIT']);
  });

  test('the archive tier becomes a lifecycle rule for the chosen controller', () => {
    const ack = objects(envFrom(`${FS}bucketLifecycle: {controller: ack}\ntempo: {bucket: traces-b, s3: {credentials: {secret: s}}}`));
    const bucket = findObject(ack, 'Bucket', 'tempo-traces');
    expect(bucket.spec.versioning).toEqual({ status: 'Enabled' });
    // 720h archive - 336h warm = 16 days as noncurrent versions.
    expect(bucket.spec.lifecycle.rules[0].noncurrentVersionExpiration).toEqual({ noncurrentDays: 16 });
    const xp = objects(envFrom(`${FS}bucketLifecycle: {controller: crossplane}\ntempo: {bucket: traces-b, s3: {credentials: {secret: s}}}`));
    expect(findObject(xp, 'BucketLifecycleConfiguration', 'tempo-traces-lifecycle').spec.forProvider.rule[0].noncurrentVersionExpiration).toEqual([{ noncurrentDays: 16 }]);
    expect(findObject(xp, 'BucketVersioning', 'tempo-traces-versioning').spec.forProvider.bucket).toBe('traces-b');
    expect(objects(env('production')).filter((o) => o.apiVersion.startsWith('s3.'))).toEqual([]);
  });

  test('fails when the image is not a Tempo line this project renders', () => {
    expect(() => envFrom(`${FS}tempo: {image: "grafana/tempo:2.4.1", backend: filesystem}`)).toThrow(
      'tempo.image: expected a Tempo 3.x or 2.10+ image tag (the config form follows it), got "grafana/tempo:2.4.1"',
    );
  });

  test('fails when the idle period exceeds the live period (Tempo would not start)', () => {
    expect(() => envFrom(`${FS}tempo: {backend: filesystem, ingestion: {traceIdlePeriod: 1m}}`)).toThrow(
      'tempo.ingestion.traceIdlePeriod: expected at most traceLivePeriod (30s), got "1m" (Tempo refuses to start otherwise)',
    );
  });
});
