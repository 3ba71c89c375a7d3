// One esbuild setup for the commands that run the project's TypeScript without type-checking (synth, verify):
// the project's code with zod and js-yaml in one file; cdk8s stays external so it resolves from node_modules.
'use strict';

/** Bundles `entry` (a .ts file) into `outfile` (CommonJS for the running Node). */
function bundleTypeScript(entry, outfile) {
  require('esbuild').buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    external: ['cdk8s', 'cdk8s-plus-27', 'constructs'],
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
}

module.exports = { bundleTypeScript };
