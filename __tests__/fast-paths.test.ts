// synth's fast paths give what the libraries give: chartObjects() what cdk8s's chart.toJson() gives
// (lib/stack.ts walks the app once instead of once per chart, and lib/k8s/object-json.ts each object in one
// walk), the bundle's rewritten mappings of the generated classes what the originals give (bin/bundle.js), and
// toYaml() js-yaml's output byte for byte (lib/serialize.ts walks the collections itself and asks js-yaml to
// style each scalar once). Checked over every object every fixture environment and variant renders, and over
// seeded random documents.
import { dump } from 'js-yaml';
import { buildCharts, chartObjects } from '../lib/stack';
import { toYaml } from '../lib/serialize';
import { ApiObject } from 'cdk8s';
import * as k8s from '../imports/k8s';
import { anyEnv, env, ENVIRONMENTS, linearModule, VARIANTS } from './helpers';

const reference = (v: unknown) => dump(v, { lineWidth: -1, noRefs: true });

describe('synth fast paths', () => {
  it('give what cdk8s and js-yaml give for every rendered object, shipped environments and variants', () => {
    const envs = [...ENVIRONMENTS.map(env), ...VARIANTS.map(anyEnv)];
    // The bundle's generated classes map their props with linear loops (bin/bundle.js): each mapping of the
    // rewritten module, on the props cdk8s resolved, against the original's.
    const linear = linearModule().exports;
    const original = k8s as unknown as Record<string, unknown>;
    let count = 0;
    let mapped = 0;
    for (const e of envs) {
      const charts = buildCharts(e);
      const fast = chartObjects(charts);
      for (const [i, chart] of charts.entries()) {
        const objects = chart.toJson();
        expect(JSON.stringify(fast[i])).toBe(JSON.stringify(objects));
        for (const obj of objects) {
          expect(toYaml(obj)).toBe(reference(obj));
          count++;
        }
        for (const obj of chart.node.findAll()) {
          const name = `toJson_${obj.constructor.name}Props`;
          // Plain ApiObjects and a class of ours (rollout-operator's ClusterShared) have no generated mapping.
          if (!(obj instanceof ApiObject) || typeof original[name] !== 'function') continue;
          const props = ApiObject.prototype.toJson.call(obj);
          expect(JSON.stringify((linear[name] as (p: unknown) => unknown)(props))).toBe(JSON.stringify((original[name] as (p: unknown) => unknown)(props)));
          mapped++;
        }
      }
    }
    expect(count).toBeGreaterThan(500);
    expect(mapped).toBeGreaterThan(500);
  });

  it('toYaml writes what js-yaml writes for seeded random strings as keys and values at every depth', () => {
    let seed = 20261202;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const atoms = ['a', 'Z', '0', '9', ' ', '  ', '\t', '\n', '\n\n', '\r', ':', ': ', '#', ' #', '-', '- ', '---', '...', '?', '|', '>', "'", '"', '\\', '{', '}', '[', ']', ',', '&', '*', '!', '%', '@', '`',
      'true', 'null', '~', 'yes', '0x1F', '1e3', '.inf', '-.nan', '012', '+1', '1_000', '=', 'é', '日本', '\u2028', '\u00a0', '\ufeff', '\x00', '\x1b[2J', '😀', 'http://x:1/a?b=c#d'];
    const str = () => Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => pick(atoms)).join('');
    const scalar = (): unknown => pick([str, str, str, () => Math.floor(rnd() * 1e6) - 5e5, () => rnd() * 100, () => rnd() < 0.5, () => null, () => '', () => -0])();
    const value = (depth: number): unknown => {
      if (depth > 3 || rnd() < 0.4) return scalar();
      if (rnd() < 0.5) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [rnd() < 0.5 ? str() : pick(['name', 'a b', 'x:y', '-k', '']), value(depth + 1)]));
    };
    for (let i = 0; i < 1500; i++) {
      const doc = { [str()]: value(0), list: [value(1), { [str()]: value(2) }], nested: { deeper: [[value(2)]] } };
      const [got, want] = [toYaml(doc), reference(doc)];
      if (got !== want) throw new Error(`case ${i} differs:\n${JSON.stringify(doc)}\n--- toYaml\n${got}\n--- js-yaml\n${want}`);
    }
  });
  it('toYaml writes the strings it does not ask js-yaml about as js-yaml would: every printable ASCII character, every pair of the characters YAML gives a meaning, alone and beside a letter, words plain YAML reads as other types, seeded runs of plain-looking characters', () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
    // Every indicator and separator of YAML, with a letter, a digit and the characters the fast path accepts.
    const meaningful = [...' -?:,[]{}#&*!|>\'"%@`.~=<+_/$()0aZ'];
    const pairs = meaningful.flatMap((a) => meaningful.map((b) => a + b));
    // And each pair after and before a letter (`a #`, `a: `, `: a`, `- a`): what a pair means depends on its side.
    const strings = [...printable, ...pairs, ...pairs.map((p) => `a${p}`), ...pairs.map((p) => `${p}a`)];
    // Words that read as booleans, nulls, numbers, timestamps or merges in YAML 1.1 or 1.2, in their spellings.
    strings.push('y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'true', 'True', 'TRUE', 'tRue', 'false', 'null', 'Null', 'NULL', 'nuLL',
      '0x1F', '0o17', '017', '0b101', '1_000', '1:20', '1:20:30.5', '190:20:30', '1e3', '1E3', '1.5e-3', '6.8523015e+5', '685.230_15e+03', '.inf', '.Inf', '-.INF', '.nan', '1.', '+12', '-0', '0.',
      '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '2002-12-14', '<<', 'a_b-c.d/e:f', 'grafana/tempo:3.0.3', 'http://loki:3100/loki/api/v1/push', '$__rate_interval');
    let seed = 4242;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const alphabet = 'aZ09_/.$()=+@,;~^*&!%?<>|\'"`[]{}-: #';
    for (let i = 0; i < 1500; i++) strings.push(Array.from({ length: 3 + Math.floor(rnd() * 10) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''));
    for (const v of strings) {
      for (const doc of [{ [v]: v }, { k: [v, { [v]: [v] }] }]) {
        const [got, want] = [toYaml(doc), reference(doc)];
        if (got !== want) throw new Error(`${JSON.stringify(v)} differs:\n--- toYaml\n${got}\n--- js-yaml\n${want}`);
      }
    }
  });
});
