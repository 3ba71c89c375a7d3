#!/usr/bin/env node
// `npm run synth`: runs main.ts from a cached bundle (bin/bundle.js).
'use strict';
const path = require('node:path');
const { cachedBundle, ignoreClosedPipes, root } = require('./bundle');

ignoreClosedPipes();

const outfile = cachedBundle('synth', 'main.ts');
// The project's own paths (config/, dist/) are relative to its root; paths the user types are relative to where
// they typed them: under `npm run` that is INIT_CWD (npm itself starts scripts in the project root).
const userCwd = process.env.INIT_CWD && process.env.npm_lifecycle_event && path.resolve(process.cwd()) === root ? process.env.INIT_CWD : process.cwd();
process.chdir(root);
require(outfile)
  .main(process.argv.slice(2), userCwd, undefined, { bundle: outfile, workerEntry: path.join(__dirname, 'synth-worker.js') })
  .then((code) => {
    process.exitCode = code;
  });
