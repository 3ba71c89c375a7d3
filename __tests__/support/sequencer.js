// Jest runs the longest test files first so that both workers finish together; it knows their durations from
// its cache of the previous run. On a fresh clone (CI) there is no cache and it falls back to file size, which
// here says little (the slow files spawn programs), and the last workers ran alone for seconds. This gives it
// durations measured on this project (seconds, `npm test` on 2 cores) for the files over 2 s; the others count
// as 1 s. An estimate only orders the files: nothing is asserted on it, and a recorded duration wins.
'use strict';
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const MEASURED = {
  'rules.test.ts': 8.3,
  'k8s-schema.test.ts': 6.6,
  'crash-safety.test.ts': 5.7,
  'code-cache.test.ts': 4.3,
  'verify.test.ts': 4.6,
  'synth.test.ts': 4.5,
  'property.test.ts': 4.5,
  'hostile-input.test.ts': 4.3,
  'render-pool.test.ts': 4.1,
  'crd-schema.test.ts': 3.8,
  'diff.test.ts': 3.5,
  'ownership.test.ts': 3,
  'fuzz.test.ts': 2.6,
  'fast-paths.test.ts': 2.6,
  'policy.test.ts': 2.4,
  'queries.test.ts': 2.3,
  'monitoring.test.ts': 2.2,
  'runtime.test.ts': 2.1,
};

class LongestFirst extends Sequencer {
  time(test) {
    return super.time(test) ?? (MEASURED[path.basename(test.path)] ?? 1) * 1000;
  }
}

module.exports = LongestFirst;
