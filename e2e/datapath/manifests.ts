// Reading rendered Kubernetes objects: the committed dist/<env>/ or a temporary `npm run synth -- --outdir` render.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly data?: Record<string, string>;
  readonly [key: string]: unknown;
}

/** Every object in the *.yaml files of a rendered environment folder. */
export function loadManifests(envDir: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const f of fs.readdirSync(envDir).filter((n) => n.endsWith('.k8s.yaml')).sort()) {
    for (const doc of yaml.loadAll(fs.readFileSync(path.join(envDir, f), 'utf8'))) {
      if (doc && typeof doc === 'object') out.push(doc as K8sObject);
    }
  }
  return out;
}

export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`e2e: no ${kind} ${name} in the rendered objects (have: ${objects.filter((x) => x.kind === kind).map((x) => x.metadata.name).join(', ') || 'none'})`);
  return o;
}

/** The parsed collector config held by a ConfigMap's config.yaml. */
export function configMapYaml(objects: readonly K8sObject[], name: string, key = 'config.yaml'): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const text = find(objects, 'ConfigMap', name).data?.[key];
  if (text === undefined) throw new Error(`e2e: ConfigMap ${name} has no key ${key}`);
  return yaml.load(text);
}
