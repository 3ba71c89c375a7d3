/** Shared test helpers: load an environment, render it in memory, find objects by kind and name. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import Module from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { load, loadAll } from 'js-yaml';
import { ConfigError, environmentFiles, environmentName, loadConfig } from '../lib/config/load';
import { Environment } from '../lib/config/schema';
import { renderEnvironment } from '../lib/stack';

export const ROOT = path.resolve(__dirname, '..');

/**
 * Two kinds of environment, kept apart so a platform team can add, change or delete its own:
 * - fixtures (__tests__/fixtures/, copies of the example environments): what the tests that prove the code's
 *   behaviour render. They never read config/.
 * - the user's environments (every config/*.yaml that exists): what the checks about the committed output run
 *   over (dist/ in sync, Kubernetes and CRD schemas, policy, the editor modeline).
 */
export const FIXTURES_DIR = path.join(__dirname, 'fixtures');
export const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
export const fixture = (name: (typeof ENVIRONMENTS)[number]): string => path.join(FIXTURES_DIR, `${name}.yaml`);

export const CONFIG_DIR = path.join(ROOT, 'config');
/** The names of the environments in a config folder (config/*.yaml, as synth finds them). */
export const environmentsIn = (dir: string): string[] => environmentFiles(dir).map(environmentName);
/** The user's environments, labelled by file (`config/eu-prod.yaml`) so a failure names the file to fix. */
export const USER_ENVIRONMENTS = environmentsIn(CONFIG_DIR).map((name) => `config/${name}.yaml`);

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

const cache = new Map<string, Environment>();
/** A fixture environment, loaded once per test file. */
export function env(name: string): Environment {
  if (!cache.has(name)) cache.set(name, loadConfig(path.join(FIXTURES_DIR, `${name}.yaml`)));
  return cache.get(name)!;
}

/** A config file's data (its comments aside); undefined when it is not YAML (loadConfig then says why). */
const data = (file: string): string | undefined => {
  try {
    return JSON.stringify(load(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
};

/**
 * A user's environment by its label (`config/<name>.yaml`). One that is still a byte-for-byte copy of a fixture
 * (comments aside) is the fixture's Environment object, so its render is shared and the suites cost nothing
 * extra for the shipped examples.
 */
export function userEnv(label: string): Environment {
  if (!cache.has(label)) {
    const file = path.join(ROOT, label);
    const name = environmentName(file);
    const twin = (ENVIRONMENTS as readonly string[]).includes(name) && data(file) !== undefined && data(file) === data(path.join(FIXTURES_DIR, `${name}.yaml`));
    cache.set(label, twin ? env(name) : loadConfig(file));
  }
  return cache.get(label)!;
}

/** An environment from a config object (YAML text is written to a temp file and loaded like a user's). */
export function envFrom(config: unknown, name = 'test'): Environment {
  const dir = mkdtempSync(path.join(tmpdir(), 'stack-env-'));
  try {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
    return loadConfig(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Renders shared by the test files of one run (support/render-cache.js makes the folder): an entry is keyed by the
 * environment's whole input and the content of every file that renders it, and written whole or not at all.
 */
const RENDER_CACHE = process.env.GSE_RENDER_CACHE;
let sources: string | undefined;
function sourcesHash(): string {
  if (sources === undefined) {
    const h = createHash('sha256');
    const visit = (rel: string) => {
      const full = path.join(ROOT, rel);
      if (!existsSync(full)) return;
      if (statSync(full).isDirectory()) for (const name of readdirSync(full).sort()) visit(path.join(rel, name));
      else h.update(`${rel}\0`).update(readFileSync(full)).update('\0');
    };
    ['main.ts', 'lib', 'charts', 'imports', 'package-lock.json'].forEach(visit);
    sources = h.digest('hex');
  }
  return sources;
}
function sharedRender<T>(e: Environment, kind: string, make: () => T): T {
  if (!RENDER_CACHE) return make();
  const key = createHash('sha256').update(sourcesHash()).update(kind).update(JSON.stringify([e.name, e.config, e.teamDashboards ?? null])).digest('hex');
  const file = path.join(RENDER_CACHE, `${key}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  const value = make();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
  return value;
}

const texts = new WeakMap<Environment, Map<string, string>>();
/** The rendered files of an environment as text (PREREQUISITES.md among them), rendered once per environment object. */
export function renderedFiles(e: Environment): ReadonlyMap<string, string> {
  if (!texts.has(e)) texts.set(e, new Map(sharedRender(e, 'files', () => [...renderEnvironment(e)])));
  return texts.get(e)!;
}

const rendered = new WeakMap<Environment, Map<string, K8sObject[]>>();
/**
 * Rendered files of an environment, parsed: file name → objects. Rendered once per environment object in a test
 * file (rendering is pure); each call gets its own copy, so a test that edits objects cannot affect another.
 */
export function render(e: Environment): Map<string, K8sObject[]> {
  let out = rendered.get(e);
  if (!out) {
    const parsed = sharedRender(e, 'objects', () => [...renderedFiles(e)].filter(([file]) => file.endsWith('.yaml')).map(([file, text]) => [file, loadAll(text) as K8sObject[]] as const));
    out = new Map(parsed);
    rendered.set(e, out);
  }
  // A JSON copy (the objects are plain YAML data): structuredClone would build them in Node's realm, outside
  // Jest's, where libraries' "is this a plain object" checks fail.
  return new Map([...out].map(([file, objs]) => [file, JSON.parse(JSON.stringify(objs)) as K8sObject[]]));
}

export function objects(e: Environment): K8sObject[] {
  return [...render(e).entries()].filter(([f]) => f !== 'kustomization.yaml').flatMap(([, objs]) => objs);
}

export function findObject(manifests: K8sObject[], kind: string, name: string): K8sObject {
  const found = manifests.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length} (have: ${manifests.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return found[0];
}

/** A component config file mounted from a ConfigMap key, parsed. */
export function configMapYaml(manifests: K8sObject[], name: string, key: string): any {
  const cm = findObject(manifests, 'ConfigMap', name);
  if (!(key in (cm.data ?? {}))) throw new Error(`ConfigMap ${name} has no key ${key}`);
  return load(cm.data[key]);
}

/** Runs the real synth command (as a user would) and returns its exit code and output. */
export function synth(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): { code: number; stdout: string; stderr: string } {
  // Not inherited from `npm test`: a test states the npm context it means (see bin/synth.js).
  const { INIT_CWD, npm_lifecycle_event, ...inherited } = process.env;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'synth.js'), ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: { ...inherited, ...opts.env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tempDirs: string[] = [];
/** A fresh temp directory, removed after the test file that asked for it has run. */
export function tempDir(prefix = 'stack-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
// helpers is loaded once per test file (Jest's module registry), so this runs after each file's tests.
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});


/** The problem lines loadConfig reports for a config given as YAML text, without the file name prefix. */
export function problems(yaml: string, name = 'production'): string[] {
  const dir = tempDir();
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  try {
    loadConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => p.replace(`${file}: `, ''));
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [];
}

/**
 * Runs synth's main() in this process (fast: no Node start, no cdk8s load) with its output captured.
 * For behaviour of the process itself (kills, the launcher's cwd handling) use synth().
 */
export async function runMain(args: string[], cwd = ROOT, configDir?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../main');
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    const code = await main(args, cwd, configDir);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/**
 * The scale-out variants of production (issue 15's done-when configs): HA single-binary Loki, and both
 * engines distributed with Tempo on Kafka. Built from the production fixture so they track it.
 */
export const SCALE_OUT_VARIANTS = {
  'production-loki-ha': { loki: { deployment: { mode: 'single-binary', replicas: 3 } } },
  'production-distributed': {
    loki: { deployment: { mode: 'distributed' } },
    tempo: { deployment: { mode: 'distributed' }, kafka: { address: 'kafka-bootstrap.kafka.svc.cluster.local:9092', topic: 'tempo-ingest', partitions: 6, maxMessageBytes: 16_000_000 } },
  },
} as const;
export type ScaleOutVariant = keyof typeof SCALE_OUT_VARIANTS;
export const SCALE_OUT = Object.keys(SCALE_OUT_VARIANTS) as ScaleOutVariant[];

/** production.yaml with `overrides` merged into its top-level sections. */
export function productionWith(overrides: Record<string, unknown>, name = 'production'): Environment {
  const base = load(readFileSync(fixture('production'), 'utf8')) as Record<string, unknown>;
  const merged = { ...base };
  const isSection = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  // Sections are merged one level deep; top-level scalars (logAgent) are replaced.
  for (const [section, value] of Object.entries(overrides)) merged[section] = isSection(value) ? { ...(base[section] as object), ...value } : value;
  return envFrom(merged, name);
}

export const MINIO_ENDPOINT = 'minio.storage.svc.cluster.local:9000';
export const AZURE_CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const minio = (bucket: string, secret: string) => ({
  bucket,
  s3: { endpoint: MINIO_ENDPOINT, forcePathStyle: true, insecure: true, insecureEndpoint: MINIO_ENDPOINT, credentials: { secret } },
});
const azureKey = { name: 'azure-storage', key: 'account-key' };

/**
 * Production on the stores, Grafana HA and tenants of issue 16's done-when list (and the key-from-Secret
 * forms of GCS and Azure). Each is applied to the production fixture section by section.
 */
export const FEATURE_VARIANTS = {
  'production-minio': { tempo: minio('traces', 'tempo-s3-credentials'), loki: minio('logs', 'loki-s3-credentials') },
  'production-gcs-wi': {
    tempo: { backend: 'gcs', bucket: 'ybuilt-traces', gcs: { serviceAccount: 'tempo@ybuilt.iam.gserviceaccount.com' } },
    loki: { backend: 'gcs', bucket: 'ybuilt-logs', gcs: { serviceAccount: 'loki@ybuilt.iam.gserviceaccount.com' } },
  },
  'production-azure-wi': {
    tempo: { backend: 'azure', bucket: 'traces', azure: { accountName: 'ybuiltobs', clientId: AZURE_CLIENT_ID } },
    loki: { backend: 'azure', bucket: 'logs', azure: { accountName: 'ybuiltobs', clientId: AZURE_CLIENT_ID } },
  },
  'production-gcs-key': { loki: { backend: 'gcs', bucket: 'ybuilt-logs', gcs: { keySecret: { name: 'loki-gcs', key: 'key.json' } } } },
  'production-azure-key': {
    tempo: { backend: 'azure', bucket: 'traces', azure: { accountName: 'ybuiltobs', accountKeySecret: azureKey } },
    loki: { backend: 'azure', bucket: 'logs', azure: { accountName: 'ybuiltobs', accountKeySecret: azureKey } },
  },
  'production-grafana-ha': {
    grafana: {
      replicas: 2,
      database: { type: 'postgres', host: 'grafana-pg.databases.svc.cluster.local', passwordSecret: { name: 'grafana-db', key: 'password' }, sslMode: 'verify-full', caCert: { secret: { name: 'grafana-db-ca', key: 'ca.crt' } } },
    },
  },
  'production-tenants': {
    loki: { authEnabled: true, tenantId: 'team-a', tenants: { 'team-a': { retention: '720h', ingestionRateMB: 20 }, 'team-b': { retention: '168h' } } },
    tempo: { authEnabled: true, tenantId: 'team-a', tenants: { 'team-a': { retention: '336h' } } },
  },
  // Grafana Alloy as the log agent, in both sources (README "Promtail or Alloy").
  'production-alloy-files': { logAgent: 'alloy', alloy: { source: 'files' } },
  'production-alloy-api': { logAgent: 'alloy', alloy: { source: 'api' } },
} as const;
export type FeatureVariant = keyof typeof FEATURE_VARIANTS;

/** Every variant of production the schema, CRD and policy suites run over. */
export const VARIANTS = [...SCALE_OUT, ...(Object.keys(FEATURE_VARIANTS) as FeatureVariant[])];

/** What the schema, CRD and policy suites run over: the fixtures, their variants and every user environment. */
export const CHECKED = [...ENVIRONMENTS, ...VARIANTS, ...USER_ENVIRONMENTS];

/** A fixture, a variant or a user's environment (`config/<name>.yaml`), by name. */
export function anyEnv(name: string): Environment {
  if (name.startsWith('config/')) return userEnv(name);
  const overlay = (SCALE_OUT_VARIANTS as Record<string, unknown>)[name] ?? (FEATURE_VARIANTS as Record<string, unknown>)[name];
  if (overlay) {
    if (!cache.has(name)) cache.set(name, productionWith(overlay as Record<string, unknown>, name));
    return cache.get(name)!;
  }
  return env(name);
}

/** The generated classes' module with linear mappings, loaded from where the original lies so it resolves cdk8s the same way. */
export function linearModule(): { exports: Record<string, unknown>; count: number; text: string } {
  const file = require.resolve('cdk8s-plus-27/lib/imports/k8s.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { linearMappings } = require('../bin/bundle') as { linearMappings: (s: string) => { text: string; count: number } };
  const { text, count } = linearMappings(readFileSync(file, 'utf8'));
  const m = new Module(file, module) as Module & { _compile(code: string, filename: string): void };
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  m._compile(text, file);
  return { exports: m.exports, count, text };
}
