// How the commands run the project's TypeScript without type-checking (`npm test` type-checks): esbuild bundles
// an entry with the project's code and every package it uses (cdk8s, constructs, the Kubernetes types, zod,
// js-yaml) into one file, cached under node_modules/.cache/<name>/ and rebuilt only when a source file or the
// lockfile changed. One file loads faster than the hundreds of files under node_modules: cdk8s alone resolves
// and reads about a hundred.
//
// Loading it goes through V8's code cache (`loadBundle`): the first successful run stores the bytecode of every
// function it compiled, the ones it ran included (the cache is made after the work, not at load), and later
// runs start from it instead of parsing and compiling 1.5 MB of JavaScript again. The cache file is named after
// a hash of the bundle's bytes as read (and of the Node version), so a cache is only ever used with the exact text
// it was made from (V8 itself checks only the source's length); V8 rejects a cache made with other V8 flags, and a
// rejected or missing cache is made again by the next successful run. A cache holds only what its
// run compiled, so a run that did more work than the one that made it (a production environment after a dev one,
// every environment after one) makes it again: each cache records the weight of its run.
'use strict';
const { isAscii } = require('node:buffer');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const root = path.resolve(__dirname, '..');
const SOURCES = ['bin', 'main.ts', 'charts', 'lib', 'imports', 'tools', 'package.json', 'package-lock.json'];

/** Sizes and modification times of every source file: changes whenever one of them does. */
function stamp() {
  const parts = [];
  const visit = (rel) => {
    const full = path.join(root, rel);
    if (!existsSync(full)) return;
    const st = statSync(full);
    if (st.isDirectory()) for (const name of readdirSync(full).sort()) visit(path.join(rel, name));
    else parts.push(`${rel}:${st.size}:${st.mtimeMs}`);
  };
  SOURCES.forEach(visit);
  return parts.join('\n');
}

/** Writes `file` whole under a name of its own, then renames it into place: a reader never sees half of it. */
function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * The Kubernetes classes cdk8s generates (cdk8s-plus-27/lib/imports/k8s.js) end every mapping from their props
 * to JSON with `Object.entries(x).reduce((r, i) => (i[1] === undefined) ? r : ({ ...r, [i[0]]: f(i[1]) }), {})`:
 * a fresh copy of the object for every defined key, so the time and garbage grow with the square of the keys,
 * and every field of every object synth renders goes through one (456 of them in that file). In the bundle each
 * becomes one loop that builds the same object: the same keys in the same order, undefined values skipped before
 * `f` as before, a key "__proto__" defined as an own key as the spread does. Returns the text and how many were
 * replaced; a test holds every mapping of the rewritten file equal to the original over everything synth renders.
 */
const REDUCE_DEFINED = /Object\.entries\(([\w.]+)\)\.reduce\(\(r, i\) => \(i\[1\] === undefined\) \? r : \(\{ \.\.\.r, \[i\[0\]\]: (i\[1\]|i\[1\]\?\.map\(y => y\)|i\[1\]\?\.value|toJson_\w+\(i\[1\]\)) \}\), \{\}\)/g;
const DEFINED_ENTRIES = `function __definedEntries(obj, f) {
  const out = {};
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === undefined) continue;
    const w = f === undefined ? v : f(v);
    if (k === '__proto__') Object.defineProperty(out, k, { value: w, enumerable: true, writable: true, configurable: true });
    else out[k] = w;
  }
  return out;
}
`;
function linearMappings(source) {
  let count = 0;
  const text = source.replace(REDUCE_DEFINED, (_, obj, value) => {
    count++;
    return value === 'i[1]' ? `__definedEntries(${obj})` : `__definedEntries(${obj}, (v) => ${value.replace('i[1]', 'v')})`;
  });
  return { text: count ? DEFINED_ENTRIES + text : text, count };
}

const GENERATED_K8S = 'cdk8s-plus-27/lib/imports/k8s';

/**
 * The generated classes with linear mappings, written into `cacheDir` for the bundle to take in place of the
 * package's file (esbuild's synchronous build takes no plugins; an alias does the same). It lies under
 * node_modules/, so its own `require('cdk8s')` resolves as the original's does.
 */
function linearK8s(cacheDir) {
  mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, 'cdk8s-plus-27-k8s.js');
  writeAtomically(file, linearMappings(readFileSync(require.resolve(`${GENERATED_K8S}.js`, { paths: [root] }), 'utf8')).text);
  return `./${path.relative(root, file).split(path.sep).join('/')}`;
}

/** The path of an up-to-date bundle of `entry` (relative to the project root), building it when needed. */
function cachedBundle(name, entry) {
  const cacheDir = path.join(root, 'node_modules', '.cache', name);
  const outfile = path.join(cacheDir, 'main.js');
  const stampFile = path.join(cacheDir, 'stamp');
  const current = stamp();
  if (existsSync(outfile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === current) return outfile;
  // Built under a name of its own and renamed into place: commands started together (tests, a user's two
  // terminals) each load a complete bundle, never one another's half-written file.
  const tmp = `${outfile}.${process.pid}.tmp`;
  require('esbuild').buildSync({
    entryPoints: [path.join(root, entry)],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Without comments the file is a quarter smaller, and pure ASCII (esbuild escapes strings, not comments),
    // which `loadBundle` reads as a one-byte string without decoding UTF-8. Names are kept for stack traces.
    minifyWhitespace: true,
    logLevel: 'error',
    absWorkingDir: root,
    alias: { [GENERATED_K8S]: linearK8s(cacheDir) },
  });
  renameSync(tmp, outfile);
  writeAtomically(stampFile, current);
  // Code caches of earlier bundles can never be used again.
  for (const f of readdirSync(cacheDir)) if (/\.v8cache(\.weight)?$/.test(f)) rmSync(path.join(cacheDir, f), { force: true });
  return outfile;
}

/**
 * The code cache of a bundle whose text is `bytes`, for this Node (and NODE_OPTIONS: alternating between two Node
 * versions keeps two caches instead of making one again on every run). The hash is not a secret or a signature,
 * only which text a cache belongs to: sha1 takes 1.5 ms here, sha256 5 ms.
 */
function codeCacheFile(outfile, bytes) {
  const hash = createHash('sha1').update(bytes).update('\0').update([process.version, process.arch, process.env.NODE_OPTIONS ?? ''].join('\0'));
  return `${outfile}.${hash.digest('hex')}.v8cache`;
}

/**
 * Loads a bundle as `require` would, through its code cache when there is one. Returns its exports and
 * `saveCodeCache(weight)`, to call once the command has done its work (`weight`: how much it did, such as the
 * bytes it rendered): it stores the cache when there was none, V8 refused it, or it was made by a lighter run.
 * A worker thread, which only reads, never calls it.
 */
function loadBundle(outfile) {
  const bytes = readFileSync(outfile);
  const cacheFile = codeCacheFile(outfile, bytes);
  const weightFile = `${cacheFile}.weight`;
  let cached;
  let cachedWeight = 0;
  try {
    cached = readFileSync(cacheFile);
    cachedWeight = Number(readFileSync(weightFile, 'utf8')) || 0;
  } catch {
    // None yet (or no weight: any run may replace it).
  }
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const script = new vm.Script(Module.wrap(source), { filename: outfile, cachedData: cached });
  const mod = new Module(outfile, module);
  mod.filename = outfile;
  mod.paths = Module._nodeModulePaths(path.dirname(outfile));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(outfile), mod, outfile, path.dirname(outfile));
  mod.loaded = true;
  const stale = cached === undefined || script.cachedDataRejected === true;
  return {
    exports: mod.exports,
    /** What became of the code cache: none found, used, or rejected by V8. */
    codeCache: cached === undefined ? 'none' : stale ? 'rejected' : 'used',
    saveCodeCache(weight = 0) {
      if (!stale && weight <= cachedWeight) return;
      try {
        // The cache first: a run that finds it with the previous (lower) weight at worst makes it once more.
        writeAtomically(cacheFile, script.createCachedData());
        writeAtomically(weightFile, String(weight));
      } catch {
        // A read-only node_modules: every run compiles, as without a cache.
      }
    },
  };
}

/**
 * `npm run synth | head -1`: once the reader has gone, writes to stdout fail with EPIPE, which Node raises as an
 * unhandled 'error' event (a stack trace and exit 1, possibly between two environments' folders). The command
 * finishes its work and exits as it would have; only the rest of its report is dropped, as `cat file | head -1`
 * drops the rest of the file.
 */
function ignoreClosedPipes() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
}

module.exports = { cachedBundle, codeCacheFile, ignoreClosedPipes, linearMappings, loadBundle, root };
