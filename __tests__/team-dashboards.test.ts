/**
 * Issue 24 item 7: dashboards as JSON files (dashboards/shared, dashboards/<env>) without TypeScript, validated at
 * synth, and neutral schema defaults.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../lib/config/load';
import { configSchema } from '../lib/config/schema';
import { jsonSchema } from '../lib/config/reference';
import { withTeamDashboards } from '../lib/grafana/team-dashboards';
import { configMapYaml, envFrom, findObject, fixture, objects, runMain, tempDir } from './helpers';

const FS = { tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem', authEnabled: true, tenantId: 'acme', tenants: { payments: { datasource: true } } } };
const base = envFrom(FS, 'eu-prod');

const panel = (uid: unknown) => ({ id: 1, type: 'timeseries', title: 'p', datasource: { type: 'prometheus', uid }, targets: [{ refId: 'A', datasource: { type: 'prometheus', uid }, expr: 'up' }] });
const dashboard = (uid: string, title: string, dsUid: unknown = 'prometheus', extra: Record<string, unknown> = {}) => ({ id: 42, uid, title, schemaVersion: 42, panels: [panel(dsUid)], ...extra });

/** A dashboards folder with these files; returns its path. */
function folder(files: Record<string, unknown>): string {
  const root = tempDir('team-dashboards-');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    writeFileSync(path.join(root, rel), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return root;
}

function problems(root: string): string[] {
  try {
    withTeamDashboards(base, root);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.map((p) => p.replace(`${root}/`, ''));
  }
}

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
const made = (files: Record<string, unknown>) => {
  const r = folder(files);
  roots.push(r);
  return r;
};

describe('team dashboards', () => {
  const root = made({
    'shared/latency.json': dashboard('team-latency', 'Latency', 'prometheus'),
    'shared/payments-logs.json': dashboard('payments-logs', 'Payments logs', 'loki-payments'),
    'shared/override-me.json': dashboard('shared-version', 'Shared version', 'prometheus'),
    'eu-prod/override-me.json': dashboard('env-version', 'Env version', '$datasource'),
    'staging/other-env.json': dashboard('other-env', 'Other env'),
    'shared/README.md': 'not a dashboard',
  });
  const e = withTeamDashboards(base, root);
  const m = objects(e);

  test('shared and per-environment files become one ConfigMap in the team folder; the environment file replaces the shared one', () => {
    const cm = findObject(m, 'ConfigMap', 'grafana-dashboards-team');
    expect(Object.keys(cm.data).sort()).toEqual(['latency.json', 'override-me.json', 'payments-logs.json']);
    expect(JSON.parse(cm.data['override-me.json']).uid).toBe('env-version');
    // Grafana assigns numeric ids; the exported one is dropped.
    expect(JSON.parse(cm.data['latency.json']).id).toBeUndefined();
    const providers = configMapYaml(m, 'grafana-dashboard-providers', 'dashboards.yaml').providers;
    const team = providers.find((p: any) => p.name === 'team');
    expect(team).toMatchObject({ folder: e.config.grafana.dashboards.teamFolder, type: 'file', allowUiUpdates: false });
    // The provider's path is where the Deployment mounts that ConfigMap.
    const pod = findObject(m, 'Deployment', 'grafana').spec.template.spec;
    const volume = pod.volumes.find((v: any) => v.configMap?.name === 'grafana-dashboards-team');
    const mount = pod.containers[0].volumeMounts.find((v: any) => v.name === volume.name);
    expect(mount.mountPath).toBe(team.options.path);
  });

  test('every data source a team dashboard names is one the environment provisions', () => {
    const provisioned = new Set(configMapYaml(m, 'grafana-datasources', 'datasources.yaml').datasources.map((d: any) => d.uid));
    const data = findObject(m, 'ConfigMap', 'grafana-dashboards-team').data as Record<string, string>;
    for (const json of Object.values(data)) {
      for (const p of JSON.parse(json).panels) if (!p.datasource.uid.startsWith('$')) expect(provisioned).toContain(p.datasource.uid);
    }
  });

  test('no folder, no ConfigMap and no provider', () => {
    const none = withTeamDashboards(base, path.join(root, 'does-not-exist'));
    expect(none.teamDashboards).toBeUndefined();
    expect(objects(none).filter((o) => o.metadata.name === 'grafana-dashboards-team')).toEqual([]);
  });

  test('fails when files are not valid dashboards, each problem naming its file', () => {
    const bad = made({
      'shared/broken.json': '{"uid": "x", "title": ',
      'shared/list.json': '[1, 2]',
      'shared/no-uid.json': { title: 'No uid', panels: [] },
      'eu-prod/dup-a.json': dashboard('same-uid', 'First'),
      'eu-prod/dup-b.json': dashboard('same-uid', 'Second'),
      'eu-prod/title-a.json': dashboard('title-a', 'Same title'),
      'eu-prod/title-b.json': dashboard('title-b', 'same TITLE'),
      'eu-prod/unknown-ds.json': dashboard('unknown-ds', 'Unknown', 'mimir'),
      'eu-prod/shared-export.json': dashboard('exported', 'Exported', '${DS_PROMETHEUS}', { __inputs: [{ name: 'DS_PROMETHEUS', type: 'datasource' }] }),
      'eu-prod/bad name!.json': dashboard('bad-name', 'Bad name'),
      'eu-prod/object-uid.json': dashboard('object-uid', 'Object uid', { uid: 'prometheus' }),
      'shared/passwd.json': 'root:x:0:0:hunter2-secret',
      'shared/deep.json': `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
    });
    expect(problems(bad)).toEqual([
      'eu-prod/bad name!.json: expected a file name of A-Z a-z 0-9 - _ . (it becomes a ConfigMap key)',
      'shared/broken.json: invalid JSON (cut short, or not JSON from its first character)',
      'shared/deep.json: expected a dashboard nested at most 100 levels deep, got deeper (a real dashboard is under 20)',
      'eu-prod/dup-b.json: uid "same-uid" is also the uid of ' + path.join(bad, 'eu-prod/dup-a.json') + ", expected each dashboard's uid once (Grafana keeps one of them)",
      'shared/list.json: expected a dashboard (a JSON object with uid, title and panels), got a list',
      'shared/no-uid.json: uid: expected 1-40 of A-Z a-z 0-9 - _ (a stable uid keeps links working), got none',
      'eu-prod/object-uid.json: panels[0].datasource.uid: data source {"uid":"prometheus"} is not provisioned in this environment, expected one of prometheus, tempo, loki, loki-payments or a dashboard variable like "$datasource"',
      'eu-prod/object-uid.json: panels[0].targets[0].datasource.uid: data source {"uid":"prometheus"} is not provisioned in this environment, expected one of prometheus, tempo, loki, loki-payments or a dashboard variable like "$datasource"',
      'shared/passwd.json: invalid JSON (cut short, or not JSON from its first character)',
      'eu-prod/shared-export.json: __inputs: expected a dashboard exported without "Export for sharing externally" (provisioning does not fill in ${DS_…} inputs); export it again, or replace each input with a data source uid (prometheus, tempo, loki, loki-payments)',
      'eu-prod/title-b.json: title "same TITLE" is also the title of ' + path.join(bad, 'eu-prod/title-a.json') + ', expected distinct titles (they share one Grafana folder)',
      'eu-prod/unknown-ds.json: panels[0].datasource.uid: data source "mimir" is not provisioned in this environment, expected one of prometheus, tempo, loki, loki-payments or a dashboard variable like "$datasource"',
      'eu-prod/unknown-ds.json: panels[0].targets[0].datasource.uid: data source "mimir" is not provisioned in this environment, expected one of prometheus, tempo, loki, loki-payments or a dashboard variable like "$datasource"',
    ]);
  });

  test('fails with the position of a JSON error, never the text around it', () => {
    const bad = made({ 'shared/trailing.json': '{\n  "uid": "a",\n  "title": "t",\n}', 'shared/secret.json': 'token: hunter2-secret' });
    const found = problems(bad);
    expect(found).toEqual(['shared/secret.json: invalid JSON (cut short, or not JSON from its first character)', 'shared/trailing.json: invalid JSON at line 4, column 1']);
    expect(found.join('\n')).not.toContain('hunter2');
  });

  test("fails when a team dashboard takes the uid of one of the stack's own", () => {
    const taken = made({ 'shared/mine.json': dashboard('ybuilt-tracing', 'Mine') });
    expect(() => objects(withTeamDashboards(base, taken))).toThrow(`${path.join(taken, 'shared/mine.json')}: uid "ybuilt-tracing" is the uid of one of the stack's own dashboards, expected another uid`);
  });

  test('fails at synth with a bad dashboard, naming the file, and leaves the previous output untouched', async () => {
    const out = tempDir('team-dashboards-out-');
    roots.push(out);
    const dashboards = made({ 'dev/oops.json': dashboard('oops', 'Oops', 'nope') });
    const config = fixture('dev');
    mkdirSync(path.join(out, 'dev'));
    const r = await runMain(['--config', config, '--outdir', out, '--dashboards', dashboards]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(dashboards, 'dev/oops.json')}: panels[0].datasource.uid: data source "nope" is not provisioned in this environment`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(path.join(out, 'dev'))).toEqual([]);
  });
});

describe('neutral schema defaults', () => {
  test("the defaults name no company: the example configs carry the seed's folder, job and namespace label themselves", () => {
    const defaults = configSchema.parse({ tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' } });
    const text = JSON.stringify(defaults);
    expect(text).not.toMatch(/ybuilt/i);
    expect(defaults.grafana.dashboards.job).toBeUndefined();
    const logs = JSON.parse(findObject(objects(base), 'ConfigMap', 'grafana-dashboards').data['ybuilt-log-correlation.json']);
    // Without a job the dashboard reads every job's logs (a LogQL selector must exclude the empty value).
    expect(logs.panels[0].targets[0].expr).toBe('{job=~".+"} | json | trace_id="$trace_id"');
    expect(JSON.stringify(jsonSchema())).not.toMatch(/ybuilt/i);
  });
});
