#!/usr/bin/env node
// `npm run prepare` (run by npm ci / npm install): compiles tools/log-trace-correlation.ts to plain
// CommonJS under build/, so application code can `require` it without a TypeScript toolchain.
// @opentelemetry/api stays external: the application's copy must be the one holding the active span.
'use strict';
const path = require('node:path');
const root = path.resolve(__dirname, '..');
require('esbuild').buildSync({
  entryPoints: [path.join(root, 'tools', 'log-trace-correlation.ts')],
  outfile: path.join(root, 'build', 'tools', 'log-trace-correlation.js'),
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  logLevel: 'error',
});

// The bundles `npm run synth` and `npm run verify` run (bin/bundle.js), built now rather than by the first
// command (or the first tests) after a clone; rebuilt later only when a source file changes.
const { cachedBundle } = require('./bundle');
cachedBundle('synth', 'main.ts');
cachedBundle('verify', 'lib/verify/cli.ts');
