#!/usr/bin/env node
// Runs main.ts without type-checking at run time (`npm test` type-checks). esbuild bundles the project's
// TypeScript with zod and js-yaml (one file loads faster than hundreds); cdk8s stays external. The bundle is
// cached under node_modules/.cache and rebuilt only when a source file or the lockfile changed.
'use strict';
const { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { bundleTypeScript } = require('./bundle');

const root = path.resolve(__dirname, '..');
const cacheDir = path.join(root, 'node_modules', '.cache', 'synth');
const outfile = path.join(cacheDir, 'main.js');
const stampFile = path.join(cacheDir, 'stamp');
const SOURCES = ['bin/synth.js', 'bin/bundle.js', 'main.ts', 'charts', 'lib', 'imports', 'tools', 'package.json', 'package-lock.json'];

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

const current = stamp();
if (!existsSync(outfile) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== current) {
  // Built under a name of its own and renamed into place: synths started together (tests, a user's two
  // terminals) each load a complete bundle, never one another's half-written file.
  const tmp = `${outfile}.${process.pid}.tmp`;
  bundleTypeScript(path.join(root, 'main.ts'), tmp);
  renameSync(tmp, outfile);
  writeFileSync(`${stampFile}.${process.pid}.tmp`, current);
  renameSync(`${stampFile}.${process.pid}.tmp`, stampFile);
}
// The project's own paths (config/, dist/) are relative to its root; paths the user types are relative to where
// they typed them: under `npm run` that is INIT_CWD (npm itself starts scripts in the project root).
const userCwd = process.env.INIT_CWD && process.env.npm_lifecycle_event && path.resolve(process.cwd()) === root ? process.env.INIT_CWD : process.cwd();
process.chdir(root);
require(outfile)
  .main(process.argv.slice(2), userCwd)
  .then((code) => {
    process.exitCode = code;
  });
