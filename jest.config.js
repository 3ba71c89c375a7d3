/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Both cores (jest's default leaves one idle on a 2-core machine, which doubled the suite's time).
  maxWorkers: '100%',
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
