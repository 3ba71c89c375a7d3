// A worker thread of `npm run synth`: renders the environment files the main thread hands it (lib/render-pool.ts),
// with the same bundled program (its path comes in workerData), through its code cache (bin/bundle.js).
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { loadBundle } = require('./bundle');

loadBundle(workerData.bundle).exports.serveRenders(parentPort);
