/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Both cores (jest's default leaves one idle on a 2-core machine, which doubled the suite's time).
  maxWorkers: '100%',
  // A worker whose heap passed 300 MB after a file is replaced before the next one. Grown to 640-720 MB resident by
  // the end of a run, a worker reached its exit event 1-2 ms after Jest's end message (no handle left open), but the
  // process itself took longer than Jest's 500 ms to go away on this machine (a 740 MB Node process: 240-510 ms
  // after its exit event), and Jest printed "A worker process has failed to exit gracefully" on 17 of 19 runs;
  // with this limit on none of 6, and the suite no slower (52-63 s either way, alternating).
  workerIdleMemoryLimit: '300MB',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // Longest files first on a fresh clone too (no duration cache there).
  testSequencer: '<rootDir>/__tests__/support/sequencer.js',
  // A render shared by the test files of one run (__tests__/support/render-cache.js).
  globalSetup: '<rootDir>/__tests__/support/render-cache.js',
  globalTeardown: '<rootDir>/__tests__/support/render-cache-teardown.js',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
