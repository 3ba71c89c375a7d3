/**
 * The Node version the project states (package.json `engines`, README "Node version") against what the
 * installed dependencies declare (package-lock.json), evaluated for the Node that runs this suite.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';
// semver is what npm itself evaluates `engines` with; it is in node_modules through the test tooling.
const semver = require('semver') as { satisfies(v: string, range: string): boolean; minVersion(range: string): { major: number } | null };

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; version: string; engines?: { node?: string } }> };
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** Installed packages whose declared Node range excludes `version`, as "name (declares Node RANGE)". */
function excluding(version: string, dev: boolean): string[] {
  return Object.entries(lock.packages)
    .filter(([where, p]) => where !== '' && !!p.dev === dev && p.engines?.node && !semver.satisfies(version, p.engines.node))
    .map(([where, p]) => `${where.replace(/^.*node_modules\//, '')} (${p.engines!.node})`)
    .sort();
}

describe('the Node version', () => {
  const minimum = `${semver.minVersion(pkg.engines.node)!.major}.0.0`;

  test('package.json states Node 20 or newer, and this suite runs on a Node it admits', () => {
    expect(pkg.engines.node).toBe('>=20');
    expect(semver.satisfies(process.version, pkg.engines.node)).toBe(true);
  });

  test('every runtime dependency admits the stated minimum', () => {
    expect(excluding(minimum, false)).toEqual([]);
  });

  test('the README lists exactly the test-only packages that declare a newer Node (npm ci\'s EBADENGINE warnings)', () => {
    const block = /<!-- engines-warnings -->\n([\s\S]*?)<!-- \/engines-warnings -->/.exec(readme)?.[1] ?? '';
    const listed = [...block.matchAll(/^- `([^`]+)` \((?:declares Node )?([^)]+)\)$/gm)].map((m) => `${m[1]} (${m[2]})`).sort();
    expect(listed).toEqual(excluding(minimum, true));
  });
});
