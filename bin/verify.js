#!/usr/bin/env node
// `npm run verify -- --env <name> [--context <name>]`: checks a live install (lib/verify/cli.ts). Bundled with
// esbuild on each run (a manual command, so no cache) into node_modules/.cache, where cdk8s, kept external,
// resolves.
'use strict';
const path = require('node:path');
const { bundleTypeScript } = require('./bundle');

const root = path.resolve(__dirname, '..');
// One file per process: two verifies started together never load each other's half-written bundle.
const outfile = path.join(root, 'node_modules', '.cache', 'verify', `verify.${process.pid}.js`);
bundleTypeScript(path.join(root, 'lib', 'verify', 'cli.ts'), outfile);
process.chdir(root);
const verify = require(outfile);
require('node:fs').rmSync(outfile, { force: true });
verify.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
