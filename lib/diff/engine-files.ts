/** What every class-3 rule shares: where an engine's config file is in rendered objects, and how a finding reads. */
import { load } from 'js-yaml';
import { ChangeClass, Finding, K8sObject } from './types';

// Parsed YAML of an engine's own config: its shape is the engine's, not ours.
export type Doc = Record<string, any>;

export function risk(object: string, path: string, reason: string, procedure: string[]): Finding {
  return { class: ChangeClass.RisksData, object, path, reason, procedure };
}

export const appName = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/name'];
/** The engine an object belongs to: `loki` for `loki` and for distributed `loki-ingester`. */
export const engine = (o: K8sObject) => appName(o)?.split('-')[0];
export const ns = (o: K8sObject) => (o.metadata.namespace ? ` -n ${o.metadata.namespace}` : '');

/** A component config file in a ConfigMap of the engine (`app.kubernetes.io/name`), parsed. */
export function engineFile(objs: K8sObject[], app: string, key: string): { cm: K8sObject; doc: Doc } | undefined {
  const cm = objs.find((o) => o.kind === 'ConfigMap' && engine(o) === app && typeof o.data?.[key] === 'string');
  if (!cm) return undefined;
  try {
    const doc = load(cm.data[key], { maxAliases: 0 });
    return doc && typeof doc === 'object' ? { cm, doc: doc as Doc } : undefined;
  } catch {
    return undefined;
  }
}
