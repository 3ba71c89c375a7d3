/**
 * PromQL through Prometheus' own parser, which also type-checks (range vs instant vectors, function arity) where
 * the lezer grammar only checks syntax: every query becomes a recording rule of one file for
 * `promtool check rules`. promtool comes from the Debian package `prometheus`; tests using it are skipped,
 * visibly, when it is absent.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dump } from 'js-yaml';
import { tempDir } from '../helpers';

export const PROMTOOL = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin'].map((d) => path.join(d, 'promtool')).find((f) => existsSync(f));
export const PROMTOOL_MISSING = 'promtool not found (install it with `apt-get install prometheus`)';

/** Problems Prometheus' parser finds in PromQL queries, one line each, named by `where`. */
export function promtoolProblems(queries: { where: string; text: string }[]): string[] {
  if (!PROMTOOL) throw new Error(PROMTOOL_MISSING);
  const file = path.join(tempDir('promtool-'), 'queries.rules.yaml');
  const rules = queries.map((q, i) => ({ record: `shipped_query_${i}`, expr: q.text }));
  writeFileSync(file, dump({ groups: [{ name: 'shipped', rules }] }, { lineWidth: -1 }));
  const r = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
  if (r.status === 0) return [];
  const problems = [...`${r.stdout}\n${r.stderr}`.matchAll(/"shipped_query_(\d+)": (.*)/g)].map((m) => `${queries[Number(m[1])].where}: ${JSON.stringify(queries[Number(m[1])].text)}: ${m[2]}`);
  return problems.length ? problems : [`promtool check rules failed: ${r.stdout}${r.stderr}`];
}

/**
 * Problems Prometheus finds when it loads rule groups (what the operator writes from a PrometheusRule's
 * spec.groups): expressions, durations, label and annotation templates, duplicate names. Many sets of groups go
 * to one promtool process (it checks every file it is given), each set in a file of its own, named by `where`.
 */
export function promtoolRuleProblemsAll(sets: readonly (readonly [where: string, groups: unknown[]])[]): string[] {
  if (!PROMTOOL) throw new Error(PROMTOOL_MISSING);
  const dir = tempDir('promtool-');
  const files = sets.map(([where, groups], i) => {
    const file = path.join(dir, `${i}.rules.yaml`);
    writeFileSync(file, dump({ groups }, { lineWidth: -1 }));
    return [file, where] as const;
  });
  const r = spawnSync(PROMTOOL, ['check', 'rules', ...files.map(([f]) => f)], { encoding: 'utf8' });
  if (r.status === 0) return [];
  const lines = `${r.stdout}\n${r.stderr}`.split('\n');
  const problems = files.flatMap(([file, where]) => lines.filter((l) => l.startsWith(`${file}:`)).map((l) => `${where}: ${l.slice(file.length + 1).trim()}`));
  return problems.length ? problems : [`promtool check rules failed: ${r.stdout}${r.stderr}`];
}

/** The same for one set of groups. */
export const promtoolRuleProblems = (where: string, groups: unknown[]): string[] => promtoolRuleProblemsAll([[where, groups]]);

/** Runs promtool with these arguments in `cwd` (rule files resolve relative to a test file there). */
export function promtool(args: string[], cwd: string): { code: number; output: string } {
  const r = spawnSync(PROMTOOL!, args, { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** The same without blocking, so several promtool processes can run at once. */
export function promtoolAsync(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL!, args, { cwd });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}
