#!/usr/bin/env node
// `npm run verify -- --env <name> [--context <name>]`: checks a live install (lib/verify/cli.ts), run from a
// cached bundle (bin/bundle.js).
'use strict';
const { cachedBundle, ignoreClosedPipes, loadBundle, root } = require('./bundle');

ignoreClosedPipes();

const outfile = cachedBundle('verify', 'lib/verify/cli.ts');
process.chdir(root);
const program = loadBundle(outfile);
program.exports.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (code === 0) program.saveCodeCache();
});
