// A worker thread of `npm run synth`: renders the environment files the main thread hands it (lib/render-pool.ts),
// with the same bundled program (its path comes in workerData).
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

require(workerData.bundle).serveRenders(parentPort);
