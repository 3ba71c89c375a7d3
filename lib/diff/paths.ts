/**
 * Field-level differences between two versions of an object, as paths a person can find in the YAML:
 * `spec.template.spec.containers[tempo].args`. Lists whose items all carry a unique `name` (containers, env,
 * ports, volumes, volumeClaimTemplates by metadata.name) are keyed by it, so inserting one item names that item,
 * not every index after it. A ConfigMap value that is itself a YAML document (`loki.yaml`) is compared key by
 * key: `data[loki.yaml].limits_config.retention_period`.
 */
import { load } from 'js-yaml';

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A map key as a path segment: `.key` when it is a plain identifier, `[key]` otherwise. */
export function segment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `[${key}]`;
}

/** The name a list item is keyed by: `name`, or `metadata.name` (volumeClaimTemplates). */
function itemName(v: Json): string | undefined {
  if (!isObject(v)) return undefined;
  if (typeof v.name === 'string') return v.name;
  const meta = v.metadata;
  return isObject(meta) && typeof meta.name === 'string' ? meta.name : undefined;
}

function byName(list: Json[]): Map<string, Json> | undefined {
  const out = new Map<string, Json>();
  for (const item of list) {
    const name = itemName(item);
    if (name === undefined || out.has(name)) return undefined;
    out.set(name, item);
  }
  return out;
}

/** An embedded YAML or JSON document (a ConfigMap value), parsed when it is a mapping; otherwise undefined. */
function embedded(key: string, v: Json): Record<string, Json> | undefined {
  if (typeof v !== 'string' || !/\.(ya?ml|json)$/.test(key)) return undefined;
  try {
    const doc = load(v, { maxAliases: 0 });
    return isObject(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

function walk(a: Json, b: Json, at: string, out: string[], inData: boolean): void {
  if (a === b) return;
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const p = `${at}${segment(key)}`;
      // Parsed only when the text differs: dashboards are large JSON documents.
      const differs = inData && a[key] !== b[key];
      const docA = differs ? embedded(key, a[key]) : undefined;
      const docB = differs ? embedded(key, b[key]) : undefined;
      if (docA && docB) walk(docA, docB, p, out, false);
      else walk(a[key], b[key], p, out, at === '' && (key === 'data' || key === 'binaryData'));
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const na = byName(a);
    const nb = byName(b);
    if (na && nb && (na.size || nb.size)) {
      for (const name of [...new Set([...na.keys(), ...nb.keys()])].sort()) walk(na.get(name), nb.get(name), `${at}[${name}]`, out, false);
      return;
    }
    if (a.length === b.length) {
      a.forEach((item, i) => walk(item, b[i], `${at}[${i}]`, out, false));
      return;
    }
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(at.replace(/^\./, ''));
}

/** Every changed leaf (or the smallest changed subtree) between two objects, sorted. */
export function changedPaths(before: Json, after: Json): string[] {
  const out: string[] = [];
  walk(before, after, '', out, false);
  return out;
}

/** The value at a path produced by changedPaths (name-keyed list items included); undefined when absent. */
export function valueAt(root: Json, path: string): Json {
  let cur: Json = root;
  for (const [, dotted, bracket] of path.matchAll(/(?:^|\.)([A-Za-z_][A-Za-z0-9_-]*)|\[([^\]]*)\]/g)) {
    const key = dotted ?? bracket;
    if (Array.isArray(cur)) cur = /^\d+$/.test(key) && !cur.some((i) => itemName(i) === key) ? cur[Number(key)] : cur.find((i) => itemName(i) === key);
    else if (isObject(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}
