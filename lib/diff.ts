/**
 * `npm run diff`: what synthesizing would change in the output folder, object by object
 * (kind/namespace/name), without writing anything. Reviewers read it before committing dist/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';

type Obj = { kind?: string; metadata?: { name?: string; namespace?: string } };

function index(files: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, text] of files) {
    if (file === 'kustomization.yaml') continue;
    for (const doc of loadAll(text) as Obj[]) {
      if (!doc) continue;
      out.set(`${doc.kind}/${doc.metadata?.namespace ? `${doc.metadata.namespace}/` : ''}${doc.metadata?.name}`, JSON.stringify(doc));
    }
  }
  return out;
}

function onDisk(dir: string): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  return new Map(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

export function diffEnvironment(outdir: string, envName: string, rendered: Map<string, string>): string {
  const before = index(onDisk(path.join(outdir, envName)));
  const after = index(rendered);
  const lines: string[] = [];
  for (const [key, json] of after) {
    if (!before.has(key)) lines.push(`  + ${key}`);
    else if (before.get(key) !== json) lines.push(`  ~ ${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) lines.push(`  - ${key}`);
  if (!lines.length && !before.size && !after.size) return '';
  return `${path.join(outdir, envName)}/: ${lines.length ? `${lines.length} object${lines.length > 1 ? 's' : ''} would change\n${lines.sort().join('\n')}` : 'no change'}\n`;
}
