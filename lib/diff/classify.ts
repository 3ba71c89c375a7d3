/**
 * The classifier as a library function: objects before → objects after → what changes and what it takes.
 * `npm run diff`, `npm run synth` and anything else that applies our transitions (an end-to-end suite on a real
 * API server) call it with the same inputs.
 */
import { dataRiskFindings } from './data-risks';
import { immutableFieldFindings } from './immutable';
import { changedPaths } from './paths';
import { ChangeClass, Classification, Finding, K8sObject, ObjectChange, objectKey } from './types';

export interface ClassifyOptions {
  /** What "today" is for Loki's schema periods (UTC day); tests pass a fixed date. */
  readonly today: Date;
}

export function classify(before: readonly K8sObject[], after: readonly K8sObject[], options: ClassifyOptions): Classification {
  const a = new Map(before.map((o) => [objectKey(o), o]));
  const b = new Map(after.map((o) => [objectKey(o), o]));
  const findings: Finding[] = [...dataRiskFindings([...a.values()], [...b.values()], options.today)];
  const pairs: [string, K8sObject | undefined, K8sObject | undefined][] = [...new Set([...a.keys(), ...b.keys()])].sort().map((k) => [k, a.get(k), b.get(k)]);
  const changes: ObjectChange[] = [];
  const pending: { object: string; op: ObjectChange['op']; paths: string[] }[] = [];
  for (const [key, was, now] of pairs) {
    if (was && now) {
      const paths = changedPaths(was, now);
      if (!paths.length) continue;
      findings.push(...immutableFieldFindings(was, now));
      pending.push({ object: key, op: 'changed', paths });
    } else pending.push({ object: key, op: was ? 'removed' : 'added', paths: [] });
  }
  for (const p of pending) {
    const own = findings.filter((f) => f.object === p.object).map((f) => f.class);
    changes.push({ ...p, class: Math.max(ChangeClass.InPlace, ...own) as ChangeClass });
  }
  // A finding on an object that did not itself change (a period rule read from a changed ConfigMap is always on
  // a changed object; this keeps the summary honest if one is not) still counts.
  const highest = Math.max(ChangeClass.None, ...changes.map((c) => c.class), ...findings.map((f) => f.class)) as ChangeClass;
  return { changes, findings, highest };
}
