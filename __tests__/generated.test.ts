import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { jsonSchemaText, readmeWithReference, README_FILE, SCHEMA_FILE } from '../lib/config/reference';
import { ENVIRONMENTS, fixture, ROOT, USER_ENVIRONMENTS } from './helpers';

describe('generated documentation', () => {
  test('config/schema.json matches the zod schema (run `npm run schema`)', () => {
    expect(readFileSync(path.join(ROOT, SCHEMA_FILE), 'utf8')).toBe(jsonSchemaText());
  });

  test('the README configuration reference matches the zod schema (run `npm run schema`)', () => {
    const readme = readFileSync(path.join(ROOT, README_FILE), 'utf8');
    expect(readme).toBe(readmeWithReference(readme));
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
