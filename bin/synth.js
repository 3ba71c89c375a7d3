#!/usr/bin/env node
// `npm run synth`: runs main.ts from a cached bundle (bin/bundle.js).
'use strict';
const path = require('node:path');
const { cachedBundle, ignoreClosedPipes, loadBundle, root } = require('./bundle');

ignoreClosedPipes();

const outfile = cachedBundle('synth', 'main.ts');
// The project's own paths (config/, dist/) are relative to its root; paths the user types are relative to where
// they typed them: under `npm run` that is INIT_CWD (npm itself starts scripts in the project root).
const userCwd = process.env.INIT_CWD && process.env.npm_lifecycle_event && path.resolve(process.cwd()) === root ? process.env.INIT_CWD : process.cwd();
process.chdir(root);
const program = loadBundle(outfile);
let renderedBytes = 0;
program.exports
  .main(process.argv.slice(2), userCwd, undefined, {
    bundle: outfile,
    workerEntry: path.join(__dirname, 'synth-worker.js'),
    rendered: (bytes) => (renderedBytes = bytes),
  })
  .then((code) => {
    process.exitCode = code;
    // A run that did its work has compiled what synth needs: that is the code cache worth keeping.
    if (code === 0) program.saveCodeCache(renderedBytes);
  });
