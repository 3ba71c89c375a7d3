/**
 * `npm run diff` classes (issue 25): each change starts from rendered production, applies a config change (or,
 * for immutable fields no config reaches today, edits the rendered object in memory) and asserts the class, the
 * field path and the named procedure. Kubernetes' rules are cited in lib/diff/immutable.ts, Loki's period rule
 * in lib/diff/data-risks.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { classify } from '../lib/diff/classify';
import { changedPaths } from '../lib/diff/paths';
import { ChangeClass, Classification, K8sObject } from '../lib/diff/types';
import * as yaml from 'js-yaml';
import { env, findObject, fixture, objects, FEATURE_VARIANTS, productionWith, runMain, SCALE_OUT_VARIANTS, tempDir } from './helpers';

const TODAY = new Date('2026-12-02T09:30:00Z');
const base = () => objects(env('production'));
const run = (before: K8sObject[], after: K8sObject[]) => classify(before, after, { today: TODAY });
/** production with these sections merged in, rendered, classified against production as shipped. */
const change = (overrides: Record<string, unknown>) => run(base(), objects(productionWith(overrides)));

function finding(c: Classification, object: string, path?: string) {
  const f = c.findings.filter((x) => x.object === object && (path === undefined || x.path === path));
  if (f.length !== 1) throw new Error(`expected one finding on ${object} ${path ?? ''}, got: ${JSON.stringify(c.findings.map((x) => [x.object, x.path, x.class]))}`);
  return { ...f[0], steps: f[0].procedure.join('\n') };
}

const LOKI = 'StatefulSet/observability/loki';
const LOKI_CM = 'ConfigMap/observability/loki';
// Variants rendered under production's name, so only what the variant changes differs (not the instance label).
let distributedEnv: ReturnType<typeof productionWith> | undefined;
const distributed = () => objects((distributedEnv ??= productionWith(SCALE_OUT_VARIANTS['production-distributed'])));

describe('field paths', () => {
  test('name lists items by name, and embedded YAML by key', () => {
    const before = base();
    const after = base();
    const tempo = findObject(after, 'StatefulSet', 'tempo');
    tempo.spec.template.spec.containers[0].args.push('-log.level=debug');
    tempo.spec.template.spec.containers[0].env = [{ name: 'A_NEW_ONE', value: 'x' }, ...(tempo.spec.template.spec.containers[0].env ?? [])];
    const cm = findObject(after, 'ConfigMap', 'loki');
    cm.data['loki.yaml'] = cm.data['loki.yaml'].replace('retention_period: 720h', 'retention_period: 721h');
    const c = run(before, after);
    expect(c.changes.find((x) => x.object === 'StatefulSet/observability/tempo')!.paths).toEqual(['spec.template.spec.containers[tempo].args', 'spec.template.spec.containers[tempo].env[A_NEW_ONE]']);
    expect(c.changes.find((x) => x.object === LOKI_CM)!.paths).toEqual(['data[loki.yaml].limits_config.retention_period']);
    expect(c.highest).toBe(ChangeClass.InPlace);
  });

  test('an unchanged environment is class 0 with no change listed', () => {
    expect(run(base(), base())).toEqual({ changes: [], findings: [], highest: ChangeClass.None });
  });

  test('a list of unnamed items of another length is one path', () => {
    expect(changedPaths({ a: [1, 2] }, { a: [1, 2, 3] })).toEqual(['a']);
  });
});

describe('needs a step: immutable fields', () => {
  test('loki.storageGiB 50 → 100: volumeClaimTemplates, PVCs expanded then the StatefulSet orphan-deleted', () => {
    const c = change({ loki: { ...load('production').loki, storageGiB: 100 } });
    const f = finding(c, LOKI);
    expect(f.class).toBe(ChangeClass.NeedsStep);
    expect(f.path).toBe('spec.volumeClaimTemplates[storage].spec.resources.requests.storage');
    expect(f.reason).toContain('grows from 50Gi to 100Gi');
    expect(f.steps).toContain(`kubectl -n observability patch pvc storage-loki-0 -p '{"spec":{"resources":{"requests":{"storage":"100Gi"}}}}'`);
    expect(f.steps).toContain('kubectl -n observability delete statefulset loki --cascade=orphan');
    expect(f.procedure.findIndex((s) => s.includes('patch pvc'))).toBeLessThan(f.procedure.findIndex((s) => s.includes('--cascade=orphan')));
    expect(c.highest).toBe(ChangeClass.NeedsStep);
  });

  test('a smaller volume claim template is a step too, and says the claims keep their size', () => {
    const after = base();
    findObject(after, 'StatefulSet', 'loki').spec.volumeClaimTemplates[0].spec.resources.requests.storage = '20Gi';
    const f = finding(run(base(), after), LOKI);
    expect([f.class, f.path]).toEqual([ChangeClass.NeedsStep, 'spec.volumeClaimTemplates[storage].spec.resources.requests.storage']);
    expect(f.reason).toContain('shrinks from 50Gi to 20Gi');
    expect(f.steps).toContain('keep their 50Gi claims');
  });

  test.each([
    ['serviceName', (s: any) => (s.spec.serviceName = `${s.spec.serviceName}-other`), 'spec.serviceName', 'rollout restart statefulset loki'],
    ['podManagementPolicy', (s: any) => (s.spec.podManagementPolicy = 'Parallel'), 'spec.podManagementPolicy', '--cascade=orphan'],
    ['a claim template storage class', (s: any) => (s.spec.volumeClaimTemplates[0].spec.storageClassName = 'fast'), 'spec.volumeClaimTemplates[storage].spec.storageClassName', 'only PVCs created from now on'],
    ['selector', (s: any) => (s.spec.selector.matchLabels['app.kubernetes.io/component'] = 'x'), 'spec.selector', 'delete pod loki-<n>'],
  ])('StatefulSet %s', (_, edit, path, step) => {
    const after = base();
    edit(findObject(after, 'StatefulSet', 'loki'));
    const f = finding(run(base(), after), LOKI);
    expect([f.class, f.path]).toEqual([ChangeClass.NeedsStep, path]);
    expect(f.steps).toContain('kubectl -n observability delete statefulset loki --cascade=orphan');
    expect(f.steps).toContain(step);
  });

  test('Loki 1 → 3 replicas: the ring StatefulSet starts pods in parallel, an immutable field', () => {
    const c = change({ loki: { ...load('production').loki, deployment: { mode: 'single-binary', replicas: 3 } } });
    const f = finding(c, LOKI);
    expect([f.class, f.path]).toEqual([ChangeClass.NeedsStep, 'spec.podManagementPolicy']);
    expect(f.procedure[0]).toBe('kubectl -n observability delete statefulset loki --cascade=orphan   (the pods and their PVCs keep running)');
  });

  test('StatefulSet replicas, template, updateStrategy and minReadySeconds change in place', () => {
    const after = base();
    const s = findObject(after, 'StatefulSet', 'loki');
    Object.assign(s.spec, { replicas: 3, updateStrategy: { type: 'OnDelete' }, minReadySeconds: 10 });
    s.spec.template.spec.containers[0].image = 'grafana/loki:3.7.7';
    const c = run(base(), after);
    expect(c.findings).toEqual([]);
    expect(c.highest).toBe(ChangeClass.InPlace);
  });

  test.each([
    ['Deployment', 'grafana', 'get replicaset -l app.kubernetes.io/instance=production,app.kubernetes.io/name=grafana -o name > old-grafana-replicasets.txt'],
    ['DaemonSet', 'promtail', 'get pod -l app.kubernetes.io/instance=production,app.kubernetes.io/name=promtail -o name > old-promtail-pods.txt'],
  ])('%s selector', (kind, name, step) => {
    const after = base();
    findObject(after, kind, name).spec.selector.matchLabels.extra = 'x';
    const f = finding(run(base(), after), `${kind}/${findObject(after, kind, name).metadata.namespace}/${name}`);
    expect([f.class, f.path]).toEqual([ChangeClass.NeedsStep, 'spec.selector']);
    expect(f.steps).toContain(`delete ${kind.toLowerCase()} ${name} --cascade=orphan`);
    expect(f.steps).toContain(step);
  });

  test('Service clusterIP: a switch to headless', () => {
    const after = base();
    findObject(after, 'Service', 'loki').spec.clusterIP = 'None';
    const f = finding(run(base(), after), 'Service/observability/loki');
    expect([f.class, f.path]).toEqual([ChangeClass.NeedsStep, 'spec.clusterIP']);
    expect(f.steps).toContain('kubectl -n observability delete service loki');
  });

  test('PVC: growing is in place, shrinking and other spec fields need a step', () => {
    const grow = base();
    findObject(grow, 'PersistentVolumeClaim', 'grafana').spec.resources.requests.storage = '20Gi';
    expect(run(base(), grow).highest).toBe(ChangeClass.InPlace);
    const shrink = base();
    findObject(shrink, 'PersistentVolumeClaim', 'grafana').spec.resources.requests.storage = '5Gi';
    const f = finding(run(base(), shrink), 'PersistentVolumeClaim/observability/grafana');
    expect([f.class, f.path]).toEqual([ChangeClass.NeedsStep, 'spec.resources.requests.storage']);
    expect(f.reason).toContain('shrinks from 10Gi to 5Gi');
    const mode = base();
    findObject(mode, 'PersistentVolumeClaim', 'grafana').spec.accessModes = ['ReadWriteMany'];
    const g = finding(run(base(), mode), 'PersistentVolumeClaim/observability/grafana');
    expect([g.class, g.path]).toEqual([ChangeClass.NeedsStep, 'spec.accessModes[0]']);
    expect(g.steps).toContain('kubectl -n observability delete pvc grafana');
  });

  test.each(['RoleBinding', 'ClusterRoleBinding'])('%s roleRef', (kind) => {
    const after = base();
    const b = after.find((o) => o.kind === kind)!;
    b.roleRef.name = 'admin';
    const f = finding(run(base(), after), `${kind}/${b.metadata.namespace ? `${b.metadata.namespace}/` : ''}${b.metadata.name}`);
    expect([f.class, f.path]).toEqual([ChangeClass.NeedsStep, 'roleRef']);
    expect(f.steps).toContain(`delete ${kind.toLowerCase()} ${b.metadata.name}`);
  });

  test('Job template (no Job is rendered today; one added later is classified)', () => {
    const job = (image: string): K8sObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'n' }, spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
    const f = finding(run([job('a')], [job('b')]), 'Job/n/j');
    expect([f.class, f.path]).toEqual([ChangeClass.NeedsStep, 'spec.template.spec.containers[c].image']);
  });
});

function load(name: string): any {
  return yaml.load(readFileSync(fixture(name as 'production'), 'utf8'));
}

describe('risks data', () => {
  // A period with another index prefix: what makes a day read differently (an identical period changes nothing).
  const period = (from: string, indexPrefix = 'loki_index_') => ({ from, indexPrefix });
  const withPeriods = (...p: { from: string; indexPrefix?: string }[]) => ({ ...load('production').loki, schemaPeriods: p });

  test('a Loki schema period inserted in the past', () => {
    const f = finding(change({ loki: withPeriods(period('2024-01-01'), period('2025-06-01', 'loki_v2_')) }), LOKI_CM);
    expect([f.class, f.path]).toEqual([ChangeClass.RisksData, 'data[loki.yaml].schema_config.configs']);
    expect(f.reason).toContain('2025-06-01 onwards');
    expect(f.reason).toContain('no query finds them');
    expect(f.steps).toContain('dated 2026-12-03 or later');
  });

  test('a period dated tomorrow is in place (today injected), and the same period inserted today is not', () => {
    const tomorrow = change({ loki: withPeriods(period('2024-01-01'), period('2026-12-03', 'loki_v2_')) });
    expect(tomorrow.findings).toEqual([]);
    expect(tomorrow.highest).toBe(ChangeClass.InPlace);
    const today = classify(base(), objects(productionWith({ loki: withPeriods(period('2024-01-01'), period('2026-12-03', 'loki_v2_')) })), { today: new Date('2026-12-03T00:00:01Z') });
    expect(finding(today, LOKI_CM).reason).toContain('2026-12-03 onwards; today is 2026-12-03 UTC');
  });

  /** production's loki.yaml with these periods, edited in memory (the classifier reads rendered objects only). */
  const periodsInMemory = (...p: { from: string; indexPrefix?: string }[]) => {
    const objs = base();
    const cm = findObject(objs, 'ConfigMap', 'loki');
    const doc = yaml.load(cm.data['loki.yaml']) as any;
    const template = doc.schema_config.configs[0];
    doc.schema_config.configs = p.map(({ from, indexPrefix }) => ({ ...template, from, index: { ...template.index, prefix: indexPrefix ?? 'loki_index_' } }));
    cm.data['loki.yaml'] = yaml.dump(doc);
    return objs;
  };

  test('an existing period edited at a past date', () => {
    const f = finding(run(periodsInMemory(period('2024-01-01')), periodsInMemory(period('2024-01-01', 'other_'))), LOKI_CM);
    expect(f.reason).toContain('2024-01-01 onwards');
  });

  test('removing a period is a risk while retention covers it, in place once retention has passed it', () => {
    const three = periodsInMemory(period('2024-01-01'), period('2026-11-20', 'b_'), period('2026-12-10', 'c_'));
    expect(finding(run(three, periodsInMemory(period('2024-01-01'), period('2026-12-10', 'c_'))), LOKI_CM).reason).toContain('2026-11-20 to 2026-12-09');
    // retention is 720h (30 days): 2024-01-01 … 2024-12-31 left the window long ago.
    expect(run(periodsInMemory(period('2024-01-01', 'a_'), period('2025-01-01')), periodsInMemory(period('2025-01-01'))).findings).toEqual([]);
    // A future period removed again: no day has data under it yet.
    expect(run(three, periodsInMemory(period('2024-01-01'), period('2026-11-20', 'b_'))).findings).toEqual([]);
  });

  test('a bucket changed', () => {
    const f = finding(change({ loki: { ...load('production').loki, bucket: 'ybuilt-loki-logs-2' } }), LOKI_CM);
    expect([f.class, f.path]).toEqual([ChangeClass.RisksData, 'data[loki.yaml].common.storage']);
    expect(f.reason).toContain('ybuilt-loki-logs-2');
    expect(f.steps).toContain('aws s3 sync');
  });

  test('a backend changed (Tempo to GCS)', () => {
    const c = change({ tempo: { ...load('production').tempo, backend: 'gcs', s3: undefined, gcs: { serviceAccount: 'tempo@ybuilt.iam.gserviceaccount.com' } } });
    const f = finding(c, 'ConfigMap/observability/tempo', 'data[tempo.yaml].storage.trace');
    expect(f.class).toBe(ChangeClass.RisksData);
    expect(f.steps).toContain('gcloud storage rsync');
  });

  test('retention shortened (Loki and Tempo), and lengthened is in place', () => {
    const c = change({ loki: { ...load('production').loki, retention: { hot: '168h', warm: '336h', cold: '2160h' } }, tempo: { ...load('production').tempo, retention: { hot: '72h', warm: '168h', archive: '720h' } } });
    const l = finding(c, LOKI_CM, 'data[loki.yaml].limits_config.retention_period');
    expect(l.reason).toContain('from 720h to 336h');
    expect(l.steps).toContain('export or copy');
    expect(finding(c, 'ConfigMap/observability/tempo', 'data[tempo.yaml].overrides.defaults.compaction.block_retention').class).toBe(ChangeClass.RisksData);
    const longer = change({ loki: { ...load('production').loki, retention: { hot: '168h', warm: '1440h', cold: '2160h' } } });
    expect(longer.highest).toBe(ChangeClass.InPlace);
  });

  test('the namespace moved', () => {
    const c = change({ namespace: 'observability-2' });
    const f = finding(c, 'Namespace/observability');
    expect(f.class).toBe(ChangeClass.RisksData);
    expect(f.reason).toContain('StatefulSet/observability/loki');
    expect(f.steps).toContain('persistentVolumeReclaimPolicy');
    expect(f.reason).toContain('the Secrets you created there');
  });

  test("Grafana's database: SQLite to PostgreSQL", () => {
    const c = run(base(), objects(productionWith(FEATURE_VARIANTS['production-grafana-ha'])));
    const f = finding(c, 'Deployment/observability/grafana');
    expect(f.class).toBe(ChangeClass.RisksData);
    expect(f.reason).toContain('from SQLite on its PVC to postgres grafana on grafana-pg.databases.svc.cluster.local:5432');
    expect(f.steps).toContain('pgloader');
    // The SQLite PVC is pruned with it.
    expect(finding(c, 'PersistentVolumeClaim/observability/grafana').reason).toContain("Grafana's SQLite database");
  });

  test('Loki and Tempo switched to distributed: the single binaries and their WAL volumes go', () => {
    const c = run(base(), distributed());
    const loki = finding(c, LOKI);
    expect([loki.class, loki.path]).toEqual([ChangeClass.RisksData, '(object)']);
    expect(loki.reason).toContain('loki-ingester');
    // production serves TLS: the flush goes over https through a port-forward.
    expect(loki.steps).toContain('kubectl -n observability port-forward pod/loki-0 3100:3100, and meanwhile: curl -k -X POST https://localhost:3100/flush');
    const tempo = finding(c, 'StatefulSet/observability/tempo');
    expect(tempo.steps).toContain('kubectl -n observability scale deployment otel-gateway --replicas=0');
    expect(tempo.steps).toContain('wait 5m plus a minute');
  });

  test('back to single binaries: the ingesters and the unconsumed Kafka records are at stake, not caches and work dirs', () => {
    const c = run(distributed(), base());
    expect(finding(c, 'StatefulSet/observability/loki-ingester').steps).toContain('port-forward pod/loki-ingester-0');
    expect(finding(c, 'StatefulSet/observability/tempo-block-builder').reason).toContain('Tempo leaves Kafka');
    for (const rebuilt of ['loki-compactor', 'loki-index-gateway', 'tempo-live-store-zone-a', 'tempo-backend-scheduler']) {
      expect(c.findings.filter((f) => f.object === `StatefulSet/observability/${rebuilt}`)).toEqual([]);
    }
  });

  test('fewer Kafka partitions: one live-store per zone instead of two', () => {
    const d = SCALE_OUT_VARIANTS['production-distributed'];
    const after = objects(productionWith({ ...d, tempo: { ...d.tempo, deployment: { mode: 'distributed', components: { 'live-store': { replicas: 1 }, 'block-builder': { replicas: 1 } } } } } as never));
    const c = run(distributed(), after);
    const f = finding(c, 'StatefulSet/observability/tempo-live-store-zone-a');
    expect([f.class, f.path]).toEqual([ChangeClass.RisksData, 'spec.replicas']);
    expect(f.reason).toContain('live-stores own partitions 0-0 per zone instead of 0-1');
    expect(f.steps).toContain('kubectl -n observability exec tempo-live-store-zone-b-<p> -- wget -qO- --post-data=\'\' http://localhost:3200/live-store/prepare-partition-downscale');
    const b = finding(c, 'StatefulSet/observability/tempo-block-builder');
    expect(b.reason).toContain('consume partitions 0-0 instead of 0-1');
  });

  test('a tenant removed', () => {
    const before = objects(productionWith(FEATURE_VARIANTS['production-tenants']));
    const t = load('production');
    const after = objects(productionWith({ loki: { ...t.loki, authEnabled: true, tenantId: 'team-a', tenants: { 'team-a': { retention: '720h', ingestionRateMB: 20 } } }, tempo: { ...t.tempo, authEnabled: true, tenantId: 'team-a', tenants: { 'team-a': { retention: '336h' } } } }));
    const f = finding(run(before, after), 'ConfigMap/observability/loki-runtime');
    expect([f.class, f.path]).toEqual([ChangeClass.RisksData, 'data[overrides.yaml].overrides[team-b]']);
    expect(f.reason).toContain('its 168h retention becomes 720h');
    expect(f.steps).toContain('"team-b/" prefix');
  });

  test('multi-tenancy switched on hides what was written under "fake" and "single-tenant"', () => {
    const t = load('production');
    const c = change({ loki: { ...t.loki, authEnabled: true, tenantId: 'team-a' }, tempo: { ...t.tempo, authEnabled: true, tenantId: 'team-a' } });
    expect(finding(c, LOKI_CM, 'data[loki.yaml].auth_enabled').reason).toContain('everything written so far is under "fake"');
    expect(finding(c, 'ConfigMap/observability/tempo', 'data[tempo.yaml].multitenancy_enabled').class).toBe(ChangeClass.RisksData);
  });
});

describe('the command', () => {
  const prodWith = (edit: (yaml: string) => string) => {
    const dir = tempDir('diff-');
    const file = path.join(dir, 'production.yaml');
    writeFileSync(file, edit(readFileSync(fixture('production'), 'utf8')));
    return file;
  };

  test('--exit-code exits with the highest class; synth prints the summary after writing class 2', async () => {
    const out = tempDir('diff-out-');
    const file = prodWith((y) => y);
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    expect(await runMain(['--diff', '--exit-code', '--config', file, '--outdir', out])).toMatchObject({ code: 0, stdout: `${path.join(out, 'production')}/: no change\n` });
    writeFileSync(file, readFileSync(file, 'utf8').replace('storageGiB: 10', 'storageGiB: 12'));
    expect((await runMain(['--diff', '--exit-code', '--config', file, '--outdir', out])).code).toBe(1);
    writeFileSync(file, readFileSync(file, 'utf8').replace('storageGiB: 50', 'storageGiB: 100'));
    const r = await runMain(['--diff', '--exit-code', '--config', file, '--outdir', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('  ~ StatefulSet/observability/loki  [needs a step]\n      spec.volumeClaimTemplates[storage].spec.resources.requests.storage\n');
    const w = await runMain(['--config', file, '--outdir', out]);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('highest class 2 (needs a step)');
    expect(w.stdout.indexOf('highest class')).toBeGreaterThan(w.stdout.indexOf(`${path.join(out, 'production')}/: `));
    // A class-1 write stays quiet.
    writeFileSync(file, readFileSync(file, 'utf8').replace('storageGiB: 12', 'storageGiB: 14'));
    expect((await runMain(['--config', file, '--outdir', out])).stdout).not.toContain('highest class');
  });

  test('fails when a flag is unknown or --exit-code comes without --diff, with exit 64, never a class', async () => {
    const r = await runMain(['--diff', '--exit-cod']);
    expect(r.code).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe('synth: unknown argument "--exit-cod" (did you mean --exit-code?)');
    const s = await runMain(['--exit-code']);
    expect(s.code).toBe(64);
    expect(s.stderr.split('\n')[0]).toBe('synth: --exit-code only goes with --diff');
  });

  test('fails when the configuration is wrong under --exit-code, with 65 (not 1, "in place")', async () => {
    const file = prodWith((y) => y.replace('storageGiB: 50', 'storageGiB: -1'));
    const r = await runMain(['--diff', '--exit-code', '--config', file, '--outdir', tempDir()]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('loki.storageGiB');
  });

  test('--against compares with the folder as committed at a git ref, not with the disk', async () => {
    // A repository of its own holding the output folder: commit dev's output, then write the new one to disk.
    const repo = tempDir('diff-repo-');
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
    g('init', '-q');
    const out = path.join(repo, 'dist');
    const file = path.join(tempDir('diff-cfg-'), 'dev.yaml');
    writeFileSync(file, readFileSync(fixture('dev'), 'utf8'));
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    g('add', '-A');
    g('commit', '-qm', 'dev as deployed');
    writeFileSync(file, readFileSync(file, 'utf8').replace('storageGiB: 5', 'storageGiB: 10'));
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    const head = g('rev-parse', 'HEAD').trim();
    expect(await runMain(['--diff', '--exit-code', '--config', file, '--outdir', out])).toMatchObject({ code: 0 });
    const r = await runMain(['--diff', '--exit-code', '--against', 'HEAD', '--config', file, '--outdir', out]);
    expect(r.stdout).toContain(`${path.join(out, 'dev')}/ (against ${head.slice(0, 12)}): 1 object would change; highest class 2 (needs a step)`);
    expect(r.stdout).toContain('StatefulSet/observability/loki  [needs a step]');
    expect(r.code).toBe(2);
    // Read from git's objects: nothing was checked out or written.
    expect(g('status', '--porcelain')).toBe(' M dist/dev/loki.k8s.yaml\n');
  });

  test('fails when the folder compared holds YAML aliases (a billion laughs), with one sentence and no stack', async () => {
    const out = tempDir('diff-bomb-');
    const file = prodWith((y) => y);
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    writeFileSync(path.join(out, 'production', 'loki.k8s.yaml'), `kind: ConfigMap\nmetadata: {name: x}\ndata:\n  ${lol.replace(/\n/g, '\n  ')}\n`);
    const r = await runMain(['--diff', '--exit-code', '--config', file, '--outdir', out]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/^synth: cannot compare with .*production\/: it holds a file that is not valid YAML \(aliases exceeded maxAliases \(0\)[^\n]*\)\n$/);
    // synth itself still writes (what was asked) and says it could not classify.
    const w = await runMain(['--config', file, '--outdir', out]);
    expect(w.code).toBe(0);
    expect(w.stderr).toContain('synth: not classified against the previous output (cannot compare with');
    expect(readFileSync(path.join(out, 'production', 'loki.k8s.yaml'), 'utf8')).toContain('kind: StatefulSet');
  });

  test('fails when --against names no commit, or looks like an option', async () => {
    const r = await runMain(['--diff', '--against', 'no-such-branch-xyz', '--config', fixture('dev')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('synth: --against "no-such-branch-xyz": no such commit, branch or tag in the repository of dist/\n');
    const o = await runMain(['--diff', '--against=-output=/tmp/x', '--config', fixture('dev')]);
    expect(o.stderr).toBe('synth: --against "-output=/tmp/x" is not a git ref\n');
  });
});
