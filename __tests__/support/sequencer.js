// Jest runs the longest test files first so that both workers finish together; it knows their durations from
// its cache of the previous run. On a fresh clone (CI) there is no cache and it falls back to file size, which
// here says little (the slow files spawn programs), and the last workers ran alone for seconds. This gives it
// durations measured on this project (seconds, `npm test` on 2 cores) for the files over 2 s; the others count
// as 1 s. An estimate only orders the files: nothing is asserted on it, and a recorded duration wins.
'use strict';
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const MEASURED = {
  'rules.test.ts': 8.6,
  'crash-safety.test.ts': 8.4,
  'code-cache.test.ts': 4.4,
  'hostile-input.test.ts': 4.3,
  'verify.test.ts': 3.9,
  'property.test.ts': 3.8,
  'crd-schema.test.ts': 3.8,
  'fast-paths.test.ts': 3.8,
  'synth.test.ts': 3.7,
  'k8s-schema.test.ts': 3.5,
  'diff.test.ts': 3.4,
  'render-pool.test.ts': 3,
  'fuzz.test.ts': 2.8,
  'ownership.test.ts': 2.6,
  'queries.test.ts': 2.3,
  'policy.test.ts': 2.3,
  'runtime.test.ts': 2.1,
  'monitoring.test.ts': 1.9,
};

class LongestFirst extends Sequencer {
  time(test) {
    return super.time(test) ?? (MEASURED[path.basename(test.path)] ?? 1) * 1000;
  }
}

module.exports = LongestFirst;
