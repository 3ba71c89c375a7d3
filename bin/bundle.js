// How the commands run the project's TypeScript without type-checking (`npm test` type-checks): esbuild bundles
// an entry with the project's code, zod and js-yaml into one file (one file loads faster than hundreds; cdk8s
// stays external and resolves from node_modules). The bundle is cached under node_modules/.cache/<name>/ and
// rebuilt only when a source file or the lockfile changed.
'use strict';
const { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');

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
    external: ['cdk8s', 'cdk8s-plus-27', 'constructs'],
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  renameSync(tmp, outfile);
  writeFileSync(`${stampFile}.${process.pid}.tmp`, current);
  renameSync(`${stampFile}.${process.pid}.tmp`, stampFile);
  return outfile;
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

module.exports = { cachedBundle, ignoreClosedPipes, root };
