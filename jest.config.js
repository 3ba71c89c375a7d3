/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Both cores (jest's default leaves one idle on a 2-core machine, which doubled the suite's time).
  maxWorkers: '100%',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] },
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
};
