#!/usr/bin/env node
// Runs main.ts without type-checking at run time: esbuild transpiles and bundles the project's own
// TypeScript (dependencies stay external) in a few milliseconds; `npm test` does the type-checking.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'node_modules', '.cache', 'synth', 'main.js');
esbuild.buildSync({
  entryPoints: [path.join(root, 'main.ts')],
  outfile,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'error',
});
process.chdir(root);
require(outfile)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
