// What the scenarios apply: every environment under config/ and every variant the unit tests render
// (__tests__/helpers.ts), each synthesized from its config into a folder of its own.
//
// The one mapping: each render gets its own namespaces, `e2e-<n>` for the stack and `e2e-<n>-agent` for the
// log agent, set through the config's own `namespace`, `promtail.namespace` and `alloy.namespace` keys, so
// every name and selector derived from them follows exactly as in a user's render, and all renders live side
// by side in one cluster. Nothing else in a config is changed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load, loadAll } from 'js-yaml';
import { loadConfig } from '../../lib/config/load';
import { Environment } from '../../lib/config/schema';
import { renderEnvironment } from '../../lib/stack';
import { bootstrapFiles } from '../../lib/gitops';
import { CONFIG_DIR, environmentsIn, FEATURE_VARIANTS, fixture, SCALE_OUT_VARIANTS } from '../../__tests__/helpers';
import { K8sObject, ZONES } from './cluster';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The user's environments: every config/<name>.yaml (whatever they are called). */
export function environments(): string[] {
  return environmentsIn(CONFIG_DIR);
}

const OVERLAYS: Record<string, Record<string, unknown>> = { ...SCALE_OUT_VARIANTS, ...FEATURE_VARIANTS } as Record<string, Record<string, unknown>>;
/** The variants the unit tests render (each is the production fixture with sections overlaid, as productionWith does). */
export const VARIANT_NAMES = Object.keys(OVERLAYS);

/**
 * Kinds we render whose CRD no module here provides (see programs.ts CRD_SOURCES); objects of these API groups
 * are left out of what is applied, and each scenario names what it left out.
 */
export const NO_CRD_GROUPS = ['s3.services.k8s.aws', 's3.aws.upbound.io'];

/** Objects the apiserver would have to dial into the cluster for: never applied here (CLUSTER.md §0). */
const DIALS_INTO_CLUSTER = ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService'];

export interface Rendered {
  name: string;
  /** The stack's namespace and the agent's (after the mapping above). */
  namespace: string;
  agentNamespace: string;
  env: Environment;
  /** A folder with the rendered files and the kustomization.yaml, ready for `kubectl apply -k`. */
  dir: string;
  /** What is applied. */
  objects: K8sObject[];
  /** What was left out, as kind/name (and why). */
  skipped: string[];
}

function sectionMerge(base: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base };
  const isSection = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  for (const [k, v] of Object.entries(overlay)) merged[k] = isSection(v) && isSection(base[k]) ? { ...base[k], ...v } : v;
  return merged;
}

/** `over` merged into `base` at every depth (arrays and scalars replace). */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(base[k]) ? deepMerge(base[k], v) : v;
  return out;
}

/**
 * Variants of the harness's own, on top of the unit tests' ones: the live-store zones pinned to the
 * cluster's real zones (what a platform engineer sets on a zonal cluster, `tempo.deployment.pinZones`).
 */
export const HARNESS_VARIANTS: Record<string, { base: string; overlay: Record<string, unknown> }> = {
  'production-distributed-pinned': { base: 'production-distributed', overlay: { tempo: { deployment: { zones: ZONES.slice(0, 2), pinZones: true } } } },
};

/** The config object of an environment or variant, with the namespace mapping applied and `extra` merged in. */
export function configOf(name: string, namespace: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const read = (file: string) => load(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const harness = HARNESS_VARIANTS[name];
  const base = harness ? deepMerge(configOf(harness.base, namespace), harness.overlay)
    : OVERLAYS[name] ? sectionMerge(read(fixture('production')), OVERLAYS[name]) : read(path.join(CONFIG_DIR, `${name}.yaml`));
  return deepMerge(deepMerge(base, extra), { namespace, promtail: { namespace: `${namespace}-agent` }, alloy: { namespace: `${namespace}-agent` } });
}

/**
 * Renders a config object as `<name>.yaml` (the file name is the environment name, as for a user) into
 * `<outDir>/<name>/`, leaving out what cannot be applied here. `namespace` must be unique in the cluster.
 */
export function renderTo(outDir: string, name: string, config: Record<string, unknown>): Rendered {
  const dir = path.join(outDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(outDir, `${name}.yaml`);
  fs.writeFileSync(configFile, JSON.stringify(config));
  const env = loadConfig(configFile);
  const objects: K8sObject[] = [];
  const skipped: string[] = [];
  for (const [file, text] of renderEnvironment(env)) {
    if (file === 'kustomization.yaml') { fs.writeFileSync(path.join(dir, file), text); continue; }
    // Only manifests: PREREQUISITES.md sits beside them and kustomize does not apply it.
    if (!file.endsWith('.k8s.yaml')) continue;
    const keep: K8sObject[] = [];
    for (const o of loadAll(text) as K8sObject[]) {
      const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
      if (NO_CRD_GROUPS.includes(group)) skipped.push(`${o.kind}/${o.metadata.name} (no CRD available here)`);
      else if (DIALS_INTO_CLUSTER.includes(o.kind)) skipped.push(`${o.kind}/${o.metadata.name} (the apiserver would dial into the cluster)`);
      else keep.push(o);
    }
    fs.writeFileSync(path.join(dir, file), keep.map((o) => JSON.stringify(o)).join('\n---\n') + '\n');
    objects.push(...keep);
  }
  return { name, namespace: config.namespace as string, agentNamespace: `${config.namespace as string}-agent`, env, dir, objects, skipped };
}

/** The GitOps bootstrap objects of an environment (Argo CD Application or Flux GitRepository + Kustomization). */
export function bootstrapObjects(env: Environment): K8sObject[] {
  return [...bootstrapFiles(env, 'dist')].filter(([f]) => f !== 'kustomization.yaml').flatMap(([, text]) => loadAll(text) as K8sObject[]);
}

/** Short, unique namespace stems: e2e-0, e2e-1, … in the order given. */
export function renderAll(outDir: string, names: readonly string[], extra: Record<string, unknown> = {}): Rendered[] {
  return names.map((name, i) => renderTo(outDir, name, configOf(name, `e2e-${i}`, extra)));
}
