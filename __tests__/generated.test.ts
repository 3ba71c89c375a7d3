import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { jsonSchema, jsonSchemaText, readmeWithReference, README_FILE, referenceTable, SCHEMA_FILE } from '../lib/config/reference';
import { ENVIRONMENTS, fixture, ROOT, USER_ENVIRONMENTS } from './helpers';

describe('generated documentation', () => {
  test('config/schema.json matches the zod schema (run `npm run schema`)', () => {
    expect(readFileSync(path.join(ROOT, SCHEMA_FILE), 'utf8')).toBe(jsonSchemaText());
  });

  test('the README configuration reference matches the zod schema (run `npm run schema`)', () => {
    const readme = readFileSync(path.join(ROOT, README_FILE), 'utf8');
    expect(readme).toBe(readmeWithReference(readme));
  });

  test('the reference documents every setting, look-alike per-component keys once under <name>', () => {
    const documented = [...referenceTable().matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    const paths: string[] = [];
    const walk = (s: any, prefix: string): void => {
      for (const [k, child] of Object.entries<any>(s?.properties ?? {})) {
        if (k === '$schema') continue;
        const p = prefix ? `${prefix}.${k}` : k;
        if (!child.properties) paths.push(p);
        walk(child, p);
        for (const alt of child.anyOf ?? child.oneOf ?? []) walk(alt, p);
      }
    };
    walk(jsonSchema(), '');
    const rowFor = (p: string) => documented.find((row) => new RegExp(`^${row.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<name>/g, '[^.]+')}$`).test(p));
    expect(paths.filter((p) => !rowFor(p))).toEqual([]);
    expect(documented.some((row) => row.startsWith('tempo.deployment.components.<name>.'))).toBe(true);
    expect(documented.length).toBeLessThan(paths.length * 0.75);
  });

  // Every environment of the user's (a new one copied from an example keeps the line), and the fixtures.
  test.each(USER_ENVIRONMENTS)('%s points editors at the schema', (file) => {
    expect(readFileSync(path.join(ROOT, file), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\/schema\.json\n/);
  });
  test.each(ENVIRONMENTS)('the %s fixture points editors at the schema', (e) => {
    expect(readFileSync(fixture(e), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/\.\.\/config\/schema\.json\n/);
  });

  test('the README gives the two commands CI runs', () => {
    const readme = readFileSync(path.join(ROOT, README_FILE), 'utf8');
    const ci = readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    expect(readme).toContain('npm ci && npm run synth');
    expect(readme).toContain('npm test');
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
