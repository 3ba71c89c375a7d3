#!/usr/bin/env node
// `npm run bench`: wall time of synth for one environment (the script, and through npm as users run it), for
// every environment, and for 20 environments in one run, beside the floor of loading cdk8s itself. Median of
// alternating runs, so machine noise hits all alike; the ratios are what to compare between machines.
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } = require('node:fs');
const { availableParallelism, tmpdir } = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const runs = Number(process.env.BENCH_RUNS || 9);
const scratch = mkdtempSync(path.join(tmpdir(), 'bench-'));
const configs = readdirSync(path.join(root, 'config')).filter((f) => f.endsWith('.yaml')).map((f) => path.join(root, 'config', f));

// 20 environments: copies of the real files under new names.
const many = [];
for (let i = 0; i < 20; i++) {
  const src = configs[i % configs.length];
  const file = path.join(scratch, `env-${String(i).padStart(2, '0')}.yaml`);
  writeFileSync(file, readFileSync(src, 'utf8'));
  many.push(file);
}
const synthArgs = (files) => [path.join(root, 'bin', 'synth.js'), '--outdir', path.join(scratch, 'out'), ...files.flatMap((f) => ['--config', f])];

const oneFile = configs.find((c) => c.endsWith('production.yaml')) ?? configs[0];
const npmCli = process.env.npm_execpath; // set when run as `npm run bench`
const commands = {
  floor: [process.execPath, ['-e', "require('cdk8s'); require('cdk8s-plus-27')"]],
  [`synth ${configs.length} environments`]: [process.execPath, synthArgs(configs)],
  'synth 1 environment': [process.execPath, synthArgs([oneFile])],
  ...(npmCli ? { 'npm run synth, 1 env': [process.execPath, [npmCli, 'run', '-s', 'synth', '--', ...synthArgs([oneFile]).slice(1)]] } : {}),
  'synth 20 environments': [process.execPath, synthArgs(many)],
};

const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
// One untimed round first: it builds the bundle and its code cache when a source file changed since the last run
// (bin/bundle.js), which every later run of synth then finds.
for (let i = -1; i < runs; i++) {
  for (const [name, [cmd, args]] of Object.entries(commands)) {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    if (i >= 0) times[name].push(ms);
  }
}
rmSync(scratch, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const floor = median(times.floor);
const one = median(times['synth 1 environment']);
// The targets of issue #24: the script at most 1.5x the floor, through npm 2.5x, twenty environments 1.5x one.
const targets = { 'synth 1 environment': [floor, 1.5, 'floor'], 'npm run synth, 1 env': [floor, 2.5, 'floor'], 'synth 20 environments': [one, 1.5, 'one environment'] };
console.log(`median of ${runs} alternating runs (node ${process.version}, ${availableParallelism()} cores)`);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  const rel = name === 'floor' ? '' : `  ${(m / floor).toFixed(2)}x floor${name === 'synth 20 environments' ? `, ${(m / one).toFixed(2)}x one environment` : ''}`;
  const target = targets[name];
  const verdict = target ? `  (target ${target[1]}x ${target[2]}: ${m / target[0] <= target[1] ? 'met' : 'not met'})` : '';
  console.log(`${name.padEnd(24)} ${m.toFixed(0).padStart(6)} ms${rel}${verdict}`);
}
if (!npmCli) console.log('(run as `npm run bench` to time the npm route too)');
