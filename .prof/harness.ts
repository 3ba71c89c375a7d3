import { renderFile } from '../lib/render-pool';
import { readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
const dir = '/tmp/prof/envs';
const files = readdirSync(dir).map((f) => `${dir}/${f}`);
const n = Number(process.argv[2] || 20);
const prof = process.argv[3];
const times: number[] = [];
const session = new Session();
session.connect();
const post = (m: string, p?: object) => new Promise<any>((res, rej) => session.post(m, p, (e, r) => (e ? rej(e) : res(r))));
(async () => {
  for (let i = 0; i < n; i++) {
    if (i === 1 && prof) {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 100 });
      await post('Profiler.start');
    }
    const t = process.hrtime.bigint();
    const r = renderFile(files[i % files.length], undefined, '/work/main/dashboards');
    if (!('files' in r)) throw new Error(JSON.stringify(r));
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  if (prof) writeFileSync(prof, JSON.stringify((await post('Profiler.stop')).profile));
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  console.log('first', times[0].toFixed(1), 'next19 avg', (sum(times.slice(1, 20)) / 19).toFixed(1), n > 40 ? `last20 avg ${(sum(times.slice(-20)) / 20).toFixed(1)}` : '');
})();
