/**
 * `npm run diff`: what synthesizing would change in the output folder, object by object
 * (kind/namespace/name), without writing anything. Reviewers read it before committing dist/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import { fsReason, OutputError } from './write';

type Obj = { kind?: string; metadata?: { name?: string; namespace?: string } };

function index(files: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, text] of files) {
    if (file === 'kustomization.yaml' || !file.endsWith('.yaml')) continue; // PREREQUISITES.md is not YAML
    for (const doc of loadAll(text) as Obj[]) {
      if (!doc) continue;
      out.set(`${doc.kind}/${doc.metadata?.namespace ? `${doc.metadata.namespace}/` : ''}${doc.metadata?.name}`, JSON.stringify(doc));
    }
  }
  return out;
}

function onDisk(dir: string): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  try {
    return new Map(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  } catch (e) {
    throw new OutputError(`cannot read ${dir}/ to compare (${fsReason(e)})`);
  }
}

function indexOnDisk(dir: string): Map<string, string> {
  try {
    return index(onDisk(dir));
  } catch (e) {
    if (e instanceof OutputError) throw e;
    throw new OutputError(`cannot compare with ${dir}/: it holds a file that is not valid YAML (${String((e as Error).message).split('\n')[0].slice(0, 120)})`);
  }
}

export function diffEnvironment(outdir: string, envName: string, rendered: Map<string, string>): string {
  const before = indexOnDisk(path.join(outdir, envName));
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
