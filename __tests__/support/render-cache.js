// One folder per `npm test` run where the first test file to render an environment leaves the result for the
// others (each Jest worker would otherwise render every shipped environment and variant again: a tenth of the
// suite's time). helpers.ts keys each entry by the environment's whole input and by the content of every source
// file that renders it, so an entry can only be reused within this run, for the very same input. Created before
// the workers start (they inherit the variable), removed when the run ends.
'use strict';
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const VARIABLE = 'GSE_RENDER_CACHE';

module.exports = async function setup() {
  process.env[VARIABLE] = mkdtempSync(path.join(tmpdir(), 'gse-render-cache-'));
};

module.exports.teardown = async function teardown() {
  if (process.env[VARIABLE]) rmSync(process.env[VARIABLE], { recursive: true, force: true });
};
