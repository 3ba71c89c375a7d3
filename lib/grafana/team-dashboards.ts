/**
 * Dashboards a team adds without writing TypeScript: JSON files (as Grafana's "Export" → "Save to file" writes
 * them) in `dashboards/shared/` for every environment and `dashboards/<env>/` for one, read at synth, validated,
 * and provisioned from a ConfigMap into the folder `grafana.dashboards.teamFolder`. A file in `<env>/` replaces
 * the shared file of the same name, so an environment can override one dashboard.
 *
 * Why files and not Grafana's sidecar (ConfigMaps discovered in application namespaces): the sidecar needs an
 * extra image and a ClusterRole to list and watch ConfigMaps in every namespace it searches, and what it loads
 * never appears in dist/, so a review or `npm run diff` cannot see a dashboard change. Files keep one reviewed
 * source, validated before anything is written, and need no permission beyond Grafana's own.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../config/load';
import { Environment, TeamDashboard } from '../config/schema';
import { DATASOURCE_UID } from './datasources';
import { tenantUid } from './tenant-datasources';
import { byCodeUnits } from '../order';

export const SHARED_DASHBOARDS = 'shared';
/**
 * A ConfigMap holds at most 1 MiB (the API server's limit on an object); the provider files, keys and metadata
 * need a little of it. Above this the dashboards do not fit one ConfigMap.
 */
export const TEAM_DASHBOARD_BYTES = 1_000_000;
/** Grafana's dashboard uid rule (pkg/util/shortid_generator.go IsValidShortUID, MaxUIDLength 40). */
const UID = /^[a-zA-Z0-9_-]{1,40}$/;
/** A ConfigMap key (apimachinery IsConfigMapKey): the file name becomes one. */
const KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Built-in data source references Grafana resolves itself (-- Grafana --, -- Mixed --, -- Dashboard --). */
const BUILT_IN_DATASOURCES = new Set(['grafana', '-- Grafana --', '-- Mixed --', '-- Dashboard --']);
/** Older dashboards name a data source by its name in a plain string; Grafana looks those up by name too. */
const PROVISIONED_NAMES = new Set(['Prometheus', 'Tempo', 'Loki']);

/** The data source uids this environment provisions (lib/grafana/datasources.ts and one per tenant asked for). */
export function provisionedDatasourceUids(env: Environment): string[] {
  const { loki, tempo } = env.config;
  const tenants = (engine: 'loki' | 'tempo', t: Record<string, { datasource: boolean }>) => Object.entries(t).filter(([, v]) => v.datasource).map(([id]) => tenantUid(engine, id));
  return [...Object.values(DATASOURCE_UID), ...tenants('loki', loki.tenants), ...tenants('tempo', tempo.tenants)];
}

/**
 * The environment with its team dashboards, read from `<root>/shared` and `<root>/<env>`; every problem is
 * reported at once, each naming its file. No folder, no dashboards.
 */
export function withTeamDashboards(env: Environment, root: string): Environment {
  const problems: string[] = [];
  const byKey = new Map<string, { file: string; text: string }>();
  for (const sub of [SHARED_DASHBOARDS, env.name]) {
    for (const file of jsonFiles(path.join(root, sub), problems)) {
      const key = path.basename(file);
      if (!KEY.test(key)) {
        problems.push(`${file}: expected a file name of A-Z a-z 0-9 - _ . (it becomes a ConfigMap key)`);
        continue;
      }
      const text = readBounded(file, problems);
      if (text !== undefined) byKey.set(key, { file, text });
    }
  }
  if (!byKey.size && !problems.length) return env;
  const known = provisionedDatasourceUids(env);
  const dashboards: TeamDashboard[] = [];
  const uids = new Map<string, string>();
  const titles = new Map<string, string>();
  let bytes = 0;
  for (const [key, { file, text }] of [...byKey].sort(([a], [b]) => byCodeUnits(a, b))) {
    const d = parseDashboard(file, text, known, problems);
    if (!d) continue;
    const uidClash = uids.get(d.uid);
    if (uidClash) problems.push(`${file}: uid ${JSON.stringify(d.uid)} is also the uid of ${uidClash}, expected each dashboard's uid once (Grafana keeps one of them)`);
    const titleClash = titles.get(d.title.toLowerCase());
    if (titleClash) problems.push(`${file}: title ${JSON.stringify(d.title)} is also the title of ${titleClash}, expected distinct titles (they share one Grafana folder)`);
    uids.set(d.uid, file);
    titles.set(d.title.toLowerCase(), file);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(d.json);
    dashboards.push({ file, key, uid: d.uid, title: d.title, json: d.json });
  }
  if (bytes > TEAM_DASHBOARD_BYTES) {
    problems.push(`${root}: the team dashboards add up to ${bytes} bytes, expected at most ${TEAM_DASHBOARD_BYTES} (one ConfigMap holds 1 MiB); move some to another environment's folder or trim their panels`);
  }
  if (problems.length) throw new ConfigError(problems);
  return { ...env, teamDashboards: dashboards };
}

function jsonFiles(dir: string, problems: string[]): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`${dir}: cannot read the folder (${code === 'ENOTDIR' ? 'it is a file' : code})`);
    return [];
  }
  return entries.filter((e) => e.name.endsWith('.json')).map((e) => path.join(dir, e.name)).sort();
}

/** A regular file of at most TEAM_DASHBOARD_BYTES, read without following it into a FIFO or device. */
function readBounded(file: string, problems: string[]): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    problems.push(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code})`);
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      problems.push(`${file}: expected a regular file`);
      return undefined;
    }
    if (st.size > TEAM_DASHBOARD_BYTES) {
      problems.push(`${file}: the file is ${st.size} bytes, expected at most ${TEAM_DASHBOARD_BYTES} (one ConfigMap holds 1 MiB)`);
      return undefined;
    }
    const buf = Buffer.alloc(st.size);
    let total = 0;
    for (let n; total < buf.length && (n = readSync(fd, buf, total, buf.length - total, null)) > 0; ) total += n;
    return buf.subarray(0, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
};

/** One dashboard, checked the way Grafana's file provisioning would read it; undefined (and problems) when it would not load as meant. */
function parseDashboard(file: string, text: string, known: readonly string[], problems: string[]): { uid: string; title: string; json: string } | undefined {
  let d: unknown;
  try {
    d = JSON.parse(text);
  } catch (e) {
    // Where, never what: V8's message quotes the text, and a file misplaced here may hold anything.
    const at = /at position (\d+)/.exec((e as Error).message);
    const where = at ? ` at line ${text.slice(0, Number(at[1])).split('\n').length}, column ${Number(at[1]) - text.lastIndexOf('\n', Number(at[1]) - 1)}` : '';
    problems.push(`${file}: invalid JSON${where}${at ? '' : ' (cut short, or not JSON from its first character)'}`);
    return undefined;
  }
  const depth = nesting(d);
  if (depth > MAX_DEPTH) {
    problems.push(`${file}: expected a dashboard nested at most ${MAX_DEPTH} levels deep, got deeper (a real dashboard is under 20)`);
    return undefined;
  }
  if (!d || typeof d !== 'object' || Array.isArray(d)) {
    problems.push(`${file}: expected a dashboard (a JSON object with uid, title and panels), got ${Array.isArray(d) ? 'a list' : show(d)}`);
    return undefined;
  }
  const dash = d as Record<string, unknown>;
  const before = problems.length;
  if (typeof dash.uid !== 'string' || !UID.test(dash.uid)) {
    // Without a uid Grafana invents one at every fresh start, and links and bookmarks to the dashboard break.
    problems.push(`${file}: uid: expected 1-40 of A-Z a-z 0-9 - _ (a stable uid keeps links working), got ${dash.uid === undefined ? 'none' : show(dash.uid)}`);
  }
  if (typeof dash.title !== 'string' || !dash.title.trim()) problems.push(`${file}: title: expected a non-empty string, got ${dash.title === undefined ? 'none' : show(dash.title)}`);
  if ('__inputs' in dash) {
    // File provisioning does not resolve an "export for sharing externally" template's ${DS_…} inputs.
    problems.push(`${file}: __inputs: expected a dashboard exported without "Export for sharing externally" (provisioning does not fill in ${'${DS_…}'} inputs); export it again, or replace each input with a data source uid (${known.join(', ')})`);
  } else {
    for (const { at, uid } of datasourceRefs(dash)) {
      if (uid.startsWith('$') || BUILT_IN_DATASOURCES.has(uid) || known.includes(uid) || (!at.endsWith('.uid') && PROVISIONED_NAMES.has(uid))) continue;
      problems.push(`${file}: ${at}: data source ${uid.startsWith('(not a string) ') ? uid.slice(15) : show(uid)} is not provisioned in this environment, expected one of ${known.join(', ')} or a dashboard variable like "$datasource"`);
    }
  }
  if (problems.length > before) return undefined;
  // Grafana assigns the numeric id itself; an exported one from another instance would be ignored at best.
  const { id: _id, ...rest } = dash;
  return { uid: dash.uid as string, title: dash.title as string, json: `${JSON.stringify(rest, null, 2)}\n` };
}

/** Deeper than any dashboard, shallow enough for JSON.stringify's recursion. */
const MAX_DEPTH = 100;

/** How deep a parsed value nests, walked without recursion (stops counting past MAX_DEPTH). */
function nesting(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > max) max = depth;
    if (max > MAX_DEPTH) return max;
    if (node && typeof node === 'object') for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

/** Every data source reference in a dashboard: `datasource` as an object's uid, or a string (uid or name). */
function datasourceRefs(root: unknown): { at: string; uid: string }[] {
  const found: { at: string; uid: string }[] = [];
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length) {
    const [node, at] = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    for (const [k, v] of Object.entries(node)) {
      const here = Array.isArray(node) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
      if (k === 'datasource' || k === 'datasourceUid') {
        if (typeof v === 'string' && v) found.push({ at: here, uid: v });
        else if (v && typeof v === 'object' && 'uid' in v) {
          const uid = (v as { uid: unknown }).uid;
          // A uid that is not a string never matches a data source; report it as given.
          if (uid !== null && uid !== '') found.push({ at: `${here}.uid`, uid: typeof uid === 'string' ? uid : `(not a string) ${show(uid)}` });
        }
        continue;
      }
      stack.push([v, here]);
    }
  }
  return found.sort((a, b) => byCodeUnits(a.at, b.at));
}
