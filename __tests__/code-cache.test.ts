// The commands load their bundle through V8's code cache (bin/bundle.js). A cache is only ever used with the
// exact text it was made from (V8 itself checks only the length), one V8 refuses is made again, and a lighter run
// never replaces the cache of a heavier one.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fixture, ROOT, synth, tempDir } from './helpers';

const BUNDLE_JS = path.join(ROOT, 'bin', 'bundle.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { cachedBundle, codeCacheFile } = require('../bin/bundle');

/**
 * Loads `file` in a new Node process (in this one, V8 finds code it compiled before in its own memory and never
 * reads a cache), answers, and saves the cache with `weight` when given.
 */
function load(file: string, weight?: number): { answer: number; codeCache: 'none' | 'used' | 'rejected' } {
  const script = `const p = require(${JSON.stringify(BUNDLE_JS)}).loadBundle(${JSON.stringify(file)});
    process.stdout.write(JSON.stringify({ answer: p.exports.answer(), codeCache: p.codeCache }));
    ${weight === undefined ? '' : `p.saveCodeCache(${weight});`}`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}
const caches = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.v8cache'));

function program(dir: string, answer: number): string {
  const file = path.join(dir, 'main.js');
  // Same length whatever the (two-digit) answer: the case V8's own check lets through.
  writeFileSync(file, `'use strict';\nexports.answer = function answer() { return ${answer}; };\n`);
  return file;
}

describe('the code cache of a bundle', () => {
  test('is made by a run that did its work and used by the next one, which gives the same results', () => {
    const dir = tempDir('code-cache-');
    const file = program(dir, 42);
    expect(load(file, 1)).toEqual({ answer: 42, codeCache: 'none' });
    expect(caches(dir)).toHaveLength(1);
    expect(load(file)).toEqual({ answer: 42, codeCache: 'used' });
  });

  test('is never used for another text of the same length', () => {
    const dir = tempDir('code-cache-');
    const file = program(dir, 42);
    load(file, 1);
    const size = statSync(file).size;
    program(dir, 17);
    expect(statSync(file).size).toBe(size);
    expect(load(file)).toEqual({ answer: 17, codeCache: 'none' });
  });

  test('refused by V8 (damaged) is made again', () => {
    const dir = tempDir('code-cache-');
    const file = program(dir, 42);
    load(file, 1);
    const [cache] = caches(dir);
    writeFileSync(path.join(dir, cache), Buffer.alloc(statSync(path.join(dir, cache)).size, 7));
    expect(load(file, 0)).toEqual({ answer: 42, codeCache: 'rejected' });
    expect(load(file)).toEqual({ answer: 42, codeCache: 'used' });
  });

  test('is replaced by a heavier run only', () => {
    const dir = tempDir('code-cache-');
    const file = program(dir, 42);
    load(file, 10);
    const [cache] = caches(dir);
    const weight = () => readFileSync(path.join(dir, `${cache}.weight`), 'utf8');
    load(file, 5);
    expect(weight()).toBe('10');
    load(file, 20);
    expect(weight()).toBe('20');
    expect(load(file).codeCache).toBe('used');
  });
});

describe('synth and its code cache', () => {
  // The real bundle's cache, shared with every test that runs synth (each write is atomic, and a weight only grows).
  const cacheOf = (bundle: string): string => codeCacheFile(bundle, readFileSync(bundle));

  test('a run that renders more replaces the cache; one that renders less, or fails, does not', () => {
    const out = tempDir('code-cache-out-');
    const bundle = cachedBundle('synth', 'main.ts');
    const weight = () => Number(readFileSync(`${cacheOf(bundle)}.weight`, 'utf8'));
    expect(synth(['--config', fixture('production'), '--outdir', out]).code).toBe(0);
    const dir = path.join(out, 'production');
    // What synth rendered: the folder's files but its ownership marker.
    const rendered = readdirSync(dir).filter((f) => !f.startsWith('.')).reduce((n, f) => n + readFileSync(path.join(dir, f), 'utf8').length, 0);
    expect(weight()).toBeGreaterThanOrEqual(rendered);
    const afterProduction = weight();
    expect(synth(['--config', fixture('dev'), '--outdir', out]).code).toBe(0);
    expect(synth(['--config', path.join(out, 'missing.yaml'), '--outdir', out]).code).not.toBe(0);
    expect(weight()).toBeGreaterThanOrEqual(afterProduction);
  });
});
