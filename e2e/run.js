#!/usr/bin/env node
// `npm run e2e`: the end-to-end suite. It builds its programs (a Kubernetes control plane, kwok, the
// OpenTelemetry Collector, …) from Go modules through the Go module proxy, caches them, and runs the scenarios
// under e2e/ with Jest, one file at a time within each group.
//
// With no arguments the two groups run side by side, each in a Jest of its own: the trace data path
// (e2e/datapath) spends most of its time waiting (about 5 of its 7 minutes are the exporter's own retry budget)
// and the control-plane scenarios (e2e/cluster) fill that time. The cluster group's output streams as it runs;
// the data path's is printed, whole, when it ends. With arguments (`npm run e2e -- e2e/cluster/drain`), one Jest
// runs what they select, streaming.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
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

const root = path.join(__dirname, '..');
// Each group is one Jest over these folders; the first group streams, the others are printed when they end.
const GROUPS = [['cluster', 'support'], ['datapath']];

/** Every scenario file under e2e/ (a file outside the groups would never run: refused below). */
function scenarios(dir = __dirname) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : scenarios(full);
    return d.name.endsWith('.e2e.ts') ? [path.relative(__dirname, full)] : [];
  });
}

const args = process.argv.slice(2);
const jest = require.resolve('jest/bin/jest');
const children = [];
const start = (jestArgs, stdio) => {
  const child = spawn(process.execPath, [jest, '-c', path.join(__dirname, 'jest.config.js'), '--runInBand', ...jestArgs], { stdio, cwd: root });
  children.push(child);
  // 'close', not 'exit': a piped report is complete only once its streams have closed.
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
};
// A signal to this command (a CI timeout, `kill`) reaches every Jest, whose harness then stops every program it started.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => children.forEach((c) => c.kill(signal)));

async function main() {
  if (args.length) return start(args, 'inherit');
  const stray = scenarios().filter((f) => !GROUPS.flat().includes(f.split(path.sep)[0]));
  if (stray.length) {
    console.error(`e2e: ${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} in no group (${GROUPS.flat().map((g) => `e2e/${g}/`).join(', ')}); move it into one or add its folder to GROUPS in e2e/run.js`);
    return 2;
  }
  const folders = (group) => group.map((g) => `e2e/${g}/`);
  const [first, ...rest] = GROUPS;
  const buffered = rest.map((group) => {
    const chunks = [];
    const done = start(folders(group), ['ignore', 'pipe', 'pipe']);
    const child = children[children.length - 1];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    return done.then((code) => {
      process.stderr.write(`\n==== ${folders(group).join(' ')} (ran beside ${folders(first).join(' ')}, printed when it ended) ====\n${Buffer.concat(chunks).toString('utf8')}`);
      return code;
    });
  });
  const codes = await Promise.all([start(folders(first), 'inherit'), ...buffered]);
  return codes.find((c) => c !== 0) ?? 0;
}

// exitCode, not exit(): the buffered report on a pipe must be written out first.
main().then((code) => {
  process.exitCode = code;
});
