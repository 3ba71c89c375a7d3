/** Environments with the other log agent: a shipped config file switched to `logAgent: alloy`. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { dump, load } from 'js-yaml';
import { loadConfig } from '../../lib/config/load';
import { Environment } from '../../lib/config/schema';
import { FIXTURES_DIR } from '../helpers';

export const ALLOY_SOURCES = ['files', 'api'] as const;
export type AlloySource = (typeof ALLOY_SOURCES)[number];

type Tree = { [key: string]: unknown };
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);
function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isTree(v) && isTree(base[k]) ? merge(base[k] as Tree, v) : v;
  return out;
}

const cache = new Map<string, Environment>();

/** The fixture <name>.yaml, with `logAgent: alloy`, `alloy.source`, and `overrides` merged in (loaded like a user's file). */
export function alloyEnv(name: string, source: AlloySource = 'files', overrides: Tree = {}): Environment {
  const key = `${name}/${source}/${JSON.stringify(overrides)}`;
  if (!cache.has(key)) {
    const shipped = load(readFileSync(path.join(FIXTURES_DIR, `${name}.yaml`), 'utf8')) as Tree;
    const dir = mkdtempSync(path.join(tmpdir(), 'alloy-env-'));
    try {
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, dump(merge(shipped, merge({ logAgent: 'alloy', alloy: { source } }, overrides))));
      cache.set(key, loadConfig(file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return cache.get(key)!;
}
