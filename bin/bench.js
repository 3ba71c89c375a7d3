#!/usr/bin/env node
// `npm run bench`: wall time of synth for every environment, beside the floor of loading cdk8s itself,
// and of 20 environments in one run. Median of alternating runs, so machine noise hits all alike.
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
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

const commands = {
  floor: ['-e', "require('cdk8s'); require('cdk8s-plus-27')"],
  [`synth ${configs.length} environments`]: synthArgs(configs),
  'synth 1 environment': synthArgs([configs.find((c) => c.endsWith('production.yaml'))]),
  'synth 20 environments': synthArgs(many),
};

const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(commands)) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    times[name].push(ms);
  }
}
rmSync(scratch, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const floor = median(times.floor);
const one = median(times['synth 1 environment']);
console.log(`median of ${runs} alternating runs (node ${process.version})`);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  const rel = name === 'floor' ? '' : `  ${(m / floor).toFixed(2)}x floor${name === 'synth 20 environments' ? `, ${(m / one).toFixed(2)}x one environment` : ''}`;
  console.log(`${name.padEnd(24)} ${m.toFixed(0).padStart(6)} ms${rel}`);
}
