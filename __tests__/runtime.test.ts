/**
 * Runtime semantics of the rendered output that schema and key checks cannot see: each test encodes what the
 * pinned release does with a setting, read from its source (named per test), and fails on the output that would
 * break in a cluster.
 */
import { spawnSync } from 'node:child_process';
import { fluxGitUrl, bootstrapFiles } from '../lib/gitops';
import { loadAll } from 'js-yaml';
import { ENVIRONMENTS, K8sObject, ROOT, configMapYaml, env, envFrom, findObject, objects, problems } from './helpers';
import { derivedValue, interpolate, parseLogql, selects, StoredEntry } from './support/grafana-links';
import { provisioningExpand } from './support/grafana-vars';
import { runPipeline } from './support/promtail-pipeline';

/** A small filesystem-backed config; `tempo` and `loki` are extra keys inside their sections. */
const fsConfig = (o: { tempo?: string; loki?: string; rest?: string } = {}): string =>
  `tempo: {backend: filesystem${o.tempo ? `, ${o.tempo}` : ''}}\nloki: {backend: filesystem${o.loki ? `, ${o.loki}` : ''}}\n${o.rest ?? ''}`;
const TEMPO_2 = fsConfig({ tempo: 'image: "grafana/tempo:2.10.8"' });
const MIGRATING_LOKI = fsConfig({ loki: 'schemaPeriods: [{from: "2023-01-01", store: boltdb-shipper, schema: v11}, {from: "2024-01-01", store: tsdb, schema: v13}]' });
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
/** One trace id in 16 starts with a zero; Tempo 2.10 answers it without its leading zeros. */
const ZERO_LED = '00f92f3577b34da6a3ce929d0e0e4736';

type Workload = K8sObject & { spec: { template: { spec: any } } };
const workloads = (m: K8sObject[]): Workload[] => m.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) as Workload[];
const container = (w: Workload) => w.spec.template.spec.containers[0];

/** Go's GOMEMLIMIT syntax (runtime/debug.parseByteCount): an integer with an optional B/KiB/MiB/GiB/TiB suffix. */
function goBytes(v: string): number {
  const m = /^(\d+)(B|KiB|MiB|GiB|TiB)?$/.exec(v);
  if (!m) throw new Error(`GOMEMLIMIT ${v} is not a byte count Go parses`);
  return Number(m[1]) * { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 }[m[2] ?? 'B']!;
}
const k8sBytes = (q: string): number => {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(q)!;
  return Number(m[1]) * { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2] ?? '']!;
};

/** Every string value of a config that is an absolute path, with its key path. */
function paths(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return value.startsWith('/') ? [[at, value]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => paths(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => paths(v, at ? `${at}.${k}` : k));
  return [];
}
/** Keys whose value is a file Loki or Tempo reads (everything else with a path is a folder they write). */
const READ_ONLY_KEYS = /(cert_file|key_file|ca_file|storage\.local\.directory)$/;

describe.each(ENVIRONMENTS)('%s runtime', (name) => {
  const m = objects(env(name));

  // 2. dskit serves HTTP/gRPC TLS through exporter-toolkit's ConfigToTLSConfig, which re-reads cert_file and
  //    key_file on every handshake (prometheus/exporter-toolkit web/tls_config.go) — if the kubelet can update the
  //    files, i.e. the Secret is not mounted with subPath. OTLP receivers use configtls, which needs reload_interval
  //    (go.opentelemetry.io/collector/config/configtls/configtls.go).
  test('every served certificate is re-read after renewal', () => {
    for (const w of workloads(m)) for (const mount of container(w).volumeMounts ?? []) if (mount.name === 'tls') expect(mount.subPath).toBeUndefined();
    const tempo = configMapYaml(m, 'tempo', 'tempo.yaml');
    for (const protocol of Object.values<any>(tempo.distributor.receivers.otlp.protocols)) {
      if (protocol.tls) expect(protocol.tls.reload_interval).toMatch(/^\d+[hm]$/);
    }
    for (const cm of ['otel-gateway', 'otel-sampler']) {
      const receivers = configMapYaml(m, cm, 'config.yaml').receivers;
      for (const protocol of Object.values<any>(receivers.otlp.protocols)) if (protocol.tls?.cert_file) expect(protocol.tls.reload_interval).toBeDefined();
    }
  });

  // 3. Loki and Tempo replay their WAL before /ready answers (Loki pkg/ingester/recovery.go, Tempo live-store
  //    replay); a liveness probe that fails meanwhile kills the replay and loops.
  test('Loki and Tempo get a startup probe sized for WAL replay, and a liveness probe that does not wait for it', () => {
    for (const name of ['loki', 'tempo']) {
      const c = container(findObject(m, 'StatefulSet', name) as Workload);
      expect(c.startupProbe.httpGet.path).toBe('/ready');
      expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
      expect(c.livenessProbe.httpGet.path).not.toBe('/ready');
      expect(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold).toBeLessThanOrEqual(120);
    }
  });

  // 4. GOMEMLIMIT is a soft limit: at 100% of the container limit the kernel kills the process before the GC
  //    reacts (runtime/debug SetMemoryLimit docs: leave headroom for non-heap memory).
  test('every Go process has GOMEMLIMIT at 80-90% of its memory limit, derived from that limit', () => {
    for (const w of workloads(m)) {
      const c = container(w);
      const limit = c.resources?.limits?.memory;
      if (!limit) continue;
      const v = (c.env ?? []).find((e: any) => e.name === 'GOMEMLIMIT');
      expect(v?.valueFrom).toBeUndefined();
      const ratio = goBytes(v.value) / k8sBytes(limit);
      expect(ratio).toBeGreaterThanOrEqual(0.8);
      expect(ratio).toBeLessThanOrEqual(0.9);
    }
  });

  // 5. Grafana 12+ downloads preinstalled plugins at start (pkg/setting/setting_plugins.go `preinstall`); the
  //    egress policy only admits the stack's flows.
  test('Grafana does not try to download plugins', () => {
    const c = container(findObject(m, 'Deployment', 'grafana') as Workload);
    expect(c.env).toContainEqual({ name: 'GF_PLUGINS_PREINSTALL_DISABLED', value: 'true' });
  });

  // 6. Loki and Tempo create their folders but not the volumes under them; the root filesystem is read-only.
  test('every path loki.yaml and tempo.yaml name is on a volume, writable where they write', () => {
    for (const [name, key] of [['loki', 'loki.yaml'], ['tempo', 'tempo.yaml']]) {
      const c = container(findObject(m, 'StatefulSet', name) as Workload);
      const mounts: { mountPath: string; readOnly?: boolean }[] = c.volumeMounts;
      const cfg = configMapYaml(m, name, key);
      for (const [at, p] of paths(cfg)) {
        const mount = mounts.filter((v) => p === v.mountPath || p.startsWith(`${v.mountPath}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
        // A folder that only holds mounts (the ruler's, one mounted folder per tenant) exists because of them.
        if (!mount && mounts.some((v) => v.mountPath.startsWith(`${p}/`)) && READ_ONLY_KEYS.test(at)) continue;
        expect({ at, p, mounted: Boolean(mount) }).toEqual({ at, p, mounted: true });
        if (!READ_ONLY_KEYS.test(at)) expect({ at, p, writable: !mount.readOnly }).toEqual({ at, p, writable: true });
      }
    }
  });

  // 6. The single binary runs the ruler (target all). Its local store lists <directory>/<tenant>/
  //    (pkg/ruler/rulestore/local/local.go) and its WAL defaults to the relative "ruler-wal".
  test("the ruler's tenant folder is a mounted ConfigMap and its scratch paths are absolute", () => {
    const loki = configMapYaml(m, 'loki', 'loki.yaml');
    expect(loki.ruler.storage.type).toBe('local');
    const tenant = loki.auth_enabled ? env(name).config.loki.tenantId : 'fake';
    const sts = findObject(m, 'StatefulSet', 'loki') as Workload;
    const mount = container(sts).volumeMounts.find((v: any) => v.mountPath === `${loki.ruler.storage.local.directory}/${tenant}`);
    const volume = sts.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    expect(findObject(m, 'ConfigMap', volume.configMap.name).kind).toBe('ConfigMap');
    expect(mount.subPath).toBeUndefined();
    expect(loki.ruler.rule_path.startsWith('/')).toBe(true);
    expect(loki.ruler.wal.dir.startsWith('/')).toBe(true);
  });

  // 9. Tempo's metrics-generator labels exemplars with trace_id_label_name (default "traceID",
  //    modules/generator/config.go); Grafana links an exemplar whose label has the destination's name.
  test("exemplars carry the label the Prometheus datasource links by", () => {
    const tempo = configMapYaml(m, 'tempo', 'tempo.yaml');
    if (!env(name).config.tempo.metricsGenerator.enabled) return expect(tempo.overrides.defaults.metrics_generator).toBeUndefined();
    const prometheus = configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources.find((d: any) => d.type === 'prometheus');
    const names = prometheus.jsonData.exemplarTraceIdDestinations.map((d: any) => d.name);
    expect(names).toEqual([tempo.overrides.defaults.metrics_generator.trace_id_label_name]);
  });
});

describe('trace ids with leading zeros (8)', () => {
  const lokiEntry = (id: string, structuredMetadata: boolean): StoredEntry => ({
    line: JSON.stringify({ level: 'info', message: 'm', trace_id: id }),
    labels: { app: 'ybuilt-api', job: 'ybuilt-api' },
    structuredMetadata: structuredMetadata ? { trace_id: id } : ({} as Record<string, string>),
  });
  const traceToLogs = (m: K8sObject[]) => configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources.find((d: any) => d.type === 'tempo').jsonData.tracesToLogsV2;
  const query = (m: K8sObject[], spanTraceId: string) =>
    interpolate(provisioningExpand(traceToLogs(m).query), { __tags: 'app="ybuilt-api"', '__span.traceId': spanTraceId });

  // Tempo 3: overrides.defaults.read.left_pad_trace_ids pads search answers to 32 digits (modules/overrides/config.go).
  test('Tempo 3 pads ids, and the logs query finds the 32-digit id', () => {
    const m = objects(env('production'));
    expect(configMapYaml(m, 'tempo', 'tempo.yaml').overrides.defaults.read.left_pad_trace_ids).toBe(true);
    expect(selects(query(m, ZERO_LED), lokiEntry(ZERO_LED, true))).toBe(true);
    expect(selects(query(m, TRACE_ID), lokiEntry(ZERO_LED, true))).toBe(false);
  });

  test('with a 2.10 image the logs query still finds a line whose id Tempo shortened', () => {
    const m = objects(envFrom(TEMPO_2));
    expect(configMapYaml(m, 'tempo', 'tempo.yaml').overrides.defaults.read).toBeUndefined();
    const shortened = ZERO_LED.replace(/^0+/, '');
    expect(selects(query(m, shortened), lokiEntry(ZERO_LED, true))).toBe(true);
    expect(selects(query(m, ZERO_LED), lokiEntry(ZERO_LED, true))).toBe(true);
    expect(selects(query(m, TRACE_ID.replace(/^4/, '5')), lokiEntry(TRACE_ID, true))).toBe(false);
  });

  test('without structured metadata (a schema migration) the line itself is searched', () => {
    const m = objects(envFrom(MIGRATING_LOKI));
    expect(selects(query(m, ZERO_LED.replace(/^0+/, '')), lokiEntry(ZERO_LED, false))).toBe(true);
  });

  test('every variant parses with the LogQL grammar', () => {
    for (const m of [objects(env('production')), objects(envFrom(TEMPO_2))]) {
      expect(() => parseLogql(query(m, TRACE_ID))).not.toThrow();
    }
    expect(() => parseLogql('{app="x"} | trace_id=~')).toThrow();
  });
});

describe('derived field on lines from other loggers (10)', () => {
  test('a line written with spaces around the colon still links to its trace', () => {
    for (const name of ENVIRONMENTS) {
      const m = objects(env(name));
      const promtail = configMapYaml(m, 'promtail', 'promtail.yaml');
      const spaced = `{"level": "info", "message": "paid", "trace_id": "${TRACE_ID}"}`;
      const out = runPipeline(promtail, `2026-11-24T10:00:00.123456789Z stdout F ${spaced}`, {
        __meta_kubernetes_namespace: 'shop',
        __meta_kubernetes_pod_name: 'checkout-1',
        __meta_kubernetes_pod_uid: '3f1c2a9e-8d1b-4c55-9a8e-2b7f0d6c1e42',
        __meta_kubernetes_pod_container_name: 'app',
        __meta_kubernetes_pod_label_app_kubernetes_io_name: 'checkout',
      });
      const field = configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources.find((d: any) => d.type === 'loki').jsonData.derivedFields[0];
      expect(derivedValue(field, out)).toBe(TRACE_ID);
    }
  });

  test('without structured metadata the regex reads both spacings', () => {
    const m = objects(envFrom(MIGRATING_LOKI));
    const field = configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources.find((d: any) => d.type === 'loki').jsonData.derivedFields[0];
    expect(field.matcherType).toBe('regex');
    for (const line of [`{"trace_id":"${TRACE_ID}"}`, `{"trace_id": "${TRACE_ID}"}`, `{"trace_id" : "${TRACE_ID}"}`]) {
      expect(derivedValue(field, { line, labels: {}, structuredMetadata: {} })).toBe(TRACE_ID);
    }
  });
});

describe('Tempo block size (7)', () => {
  test("unset, the release's own default applies", () => {
    expect(configMapYaml(objects(env('production')), 'tempo', 'tempo.yaml').live_store).not.toHaveProperty('max_block_bytes');
  });
  test('fails when the block size is the seed 1 MB, below the bound', () => {
    expect(problems(fsConfig({ tempo: 'ingestion: {maxBlockBytes: 1000000}' }))).toEqual([
      'tempo.ingestion.maxBlockBytes: expected at least 16777216 bytes (16 MiB; smaller blocks flood the bucket with tiny objects), got 1000000',
    ]);
  });
  test('a size within bounds reaches the live-store', () => {
    const m = objects(envFrom(fsConfig({ tempo: 'ingestion: {maxBlockBytes: 104857600}' })));
    expect(configMapYaml(m, 'tempo', 'tempo.yaml').live_store.max_block_bytes).toBe(104857600);
  });
});

/** Validates a GitRepository with the CRD model (an ES module, so in a child process); the error text, or '' when valid. */
function fluxProblems(repo: unknown): string {
  const code = `import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
    try { new GitRepository(JSON.parse(process.argv[1])).validate(); } catch (e) { process.stdout.write(String(e.message)); }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, JSON.stringify(repo)], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('Flux repository URL (11)', () => {
  test('the scp-like form is written as ssh://, which the GitRepository CRD accepts', () => {
    expect(fluxGitUrl('git@github.com:org/repo.git')).toBe('ssh://git@github.com/org/repo.git');
    expect(fluxGitUrl('https://github.com/org/repo.git')).toBe('https://github.com/org/repo.git');
    expect(fluxGitUrl('ssh://git@github.com/org/repo.git')).toBe('ssh://git@github.com/org/repo.git');
    const e = envFrom(fsConfig({ rest: 'gitops: {repoURL: "git@github.com:org/repo.git", tool: flux, flux: {secretRef: git-deploy-key}}' }), 'staging');
    const [repo] = loadAll(bootstrapFiles(e, 'dist').get('flux.k8s.yaml')!) as any[];
    expect(repo.kind).toBe('GitRepository');
    expect(fluxProblems(repo)).toBe('');
    expect(fluxProblems({ ...repo, spec: { ...repo.spec, url: 'git@github.com:org/repo.git' } })).toMatch(/pattern/);
  });
});
