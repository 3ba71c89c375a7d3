#!/usr/bin/env node
// `npm run e2e`: the end-to-end suite. It builds its programs (a Kubernetes control plane, kwok, the
// OpenTelemetry Collector, Alloy, …) from Go modules through the Go module proxy, caches them, and runs the
// scenarios under e2e/ with Jest, one file at a time (the programs are heavy and share two cores).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const MIN_GO = [1, 26];
const go = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
const version = go.status === 0 ? /^go(\d+)\.(\d+)/.exec(go.stdout.trim()) : null;
if (!version) {
  console.error(`e2e: Go is not installed (no \`go\` on PATH); the end-to-end suite builds its programs with Go >= ${MIN_GO.join('.')} through the Go module proxy`);
  process.exit(2);
}
const [major, minor] = [Number(version[1]), Number(version[2])];
if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
  console.error(`e2e: Go ${major}.${minor} is too old; the end-to-end suite needs Go >= ${MIN_GO.join('.')}`);
  process.exit(2);
}
const jest = require.resolve('jest/bin/jest');
const child = spawn(
  process.execPath,
  [jest, '-c', path.join(__dirname, 'jest.config.js'), '--runInBand', ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: path.join(__dirname, '..') },
);
// A signal to this command (a CI timeout, `kill`) reaches Jest, whose harness then stops every program it started.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
