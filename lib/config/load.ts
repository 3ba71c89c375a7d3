/**
 * Reads one environment file and reports every problem at once, one line each:
 *   config/production.yaml: tempo.retention.warm: expected a duration like "72h", got "two weeks"
 * A user's mistake never surfaces as a stack trace.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { load, YAMLException } from 'js-yaml';
import { z } from 'zod';
import { plainHttpRules } from './object-storage';
import { configSchema, Environment } from './schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Keys that would put a credential in git, and what to write instead. */
const PLAINTEXT_SECRETS: Record<string, string> = {
  'grafana.adminPassword': 'grafana.adminSecret (an existing Secret with the admin user and password)',
};
const SECRET_LIKE = /(password|passwd|secret|token|apikey|accesskey|accountkey|privatekey|credential)s?$/i;

export function environmentName(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

export function loadConfig(file: string): Environment {
  const name = environmentName(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError([`${file}: cannot read the file (${code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : code})`]);
  }
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new ConfigError([`${file}: the file name gives the environment name ${JSON.stringify(name)}, expected a DNS label (lowercase letters, digits, "-")`]);
  }
  let raw: unknown;
  try {
    raw = text.trim() === '' ? undefined : load(text, { filename: file });
  } catch (e) {
    if (e instanceof YAMLException && e.mark) {
      throw new ConfigError([`${file}:${e.mark.line + 1}:${e.mark.column + 1}: YAML syntax error: ${e.reason}`]);
    }
    throw new ConfigError([`${file}: YAML syntax error: ${(e as Error).message.split('\n')[0]}`]);
  }
  if (raw === undefined || raw === null) throw new ConfigError([`${file}: the file is empty; expected a mapping of settings such as "namespace: observability"`]);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([`${file}: expected a mapping of settings at the top level, got ${Array.isArray(raw) ? 'a list' : `the ${typeof raw} ${JSON.stringify(raw)}`}`]);
  }
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(result.error.issues.flatMap((issue) => describeIssue(file, issue)));
  // Rules that depend on the environment's name, which the schema does not see.
  const byName = (['tempo', 'loki'] as const).flatMap((c) => plainHttpRules(name, result.data[c]).map((i) => `${file}: ${keyPath([c, ...i.path])}: ${i.message}`));
  if (byName.length) throw new ConfigError(byName);
  return { name, config: result.data };
}

/** `security.teams[0].role`: list positions in brackets, as editors and the README write them. */
function keyPath(p: PropertyKey[]): string {
  return p.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : `${i ? '.' : ''}${String(seg)}`)).join('');
}

function describeIssue(file: string, issue: z.core.$ZodIssue): string[] {
  const at = (p: PropertyKey[]) => (p.length ? keyPath(p) : '(top level)');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const keyPath = at([...issue.path, key]);
      const known = knownKeys(issue.path);
      if (PLAINTEXT_SECRETS[keyPath] || SECRET_LIKE.test(key)) {
        const instead = PLAINTEXT_SECRETS[keyPath] ?? 'a reference to an existing Kubernetes Secret';
        return `${file}: ${keyPath}: plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: ${instead}`;
      }
      const hint = known.length ? `, expected one of: ${known.join(', ')}` : '';
      return `${file}: ${keyPath}: unknown key${closest(key, known)}${hint}`;
    });
  }
  if (issue.code === 'invalid_key') {
    // A record key failed its own schema: say which key, with that schema's message.
    return [`${file}: ${at(issue.path.slice(0, -1))}: key ${JSON.stringify(issue.path[issue.path.length - 1])}: ${issue.issues.map((i) => i.message).join('; ')}`];
  }
  const last = String(issue.path[issue.path.length - 1] ?? '');
  if (issue.code === 'invalid_type' && typeof issue.input === 'string' && SECRET_LIKE.test(last)) {
    return [`${file}: ${at(issue.path)}: plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: { name: <Secret>, key: <key> }`];
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [`${file}: ${at(issue.path)}: missing, ${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')}`];
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return [`${file}: ${at(issue.path)}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(issue.input)}`];
  }
  if (issue.code === 'invalid_type') {
    // Our own messages already say what was got and what is expected; zod's defaults do not.
    if (!issue.message.startsWith('Invalid input')) return [`${file}: ${at(issue.path)}: ${issue.message}`];
    return [`${file}: ${at(issue.path)}: expected ${issue.expected}, got ${JSON.stringify(issue.input)}`];
  }
  if ((issue.code === 'too_small' || issue.code === 'too_big') && issue.message.startsWith('Too ')) {
    const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
    const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
    const what = issue.origin === 'string' ? 'a length' : issue.origin === 'array' ? 'a list length' : 'a number';
    return [`${file}: ${at(issue.path)}: expected ${what} ${op} ${String(bound)}, got ${JSON.stringify(issue.input)}`];
  }
  return [`${file}: ${at(issue.path)}: ${issue.message}`];
}

/** The keys the schema accepts at a path, read from the schema itself so the hint never drifts. */
function knownKeys(keyPath: PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = configSchema;
  const unwrap = (s: z.core.$ZodType): z.core.$ZodType => {
    const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; schema?: z.core.$ZodType };
    if (def.innerType) return unwrap(def.innerType);
    if (def.type === 'pipe' && def.in) return unwrap(def.in);
    return s;
  };
  for (const segment of keyPath) {
    if (!node) return [];
    const def = unwrap(node)._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType };
    node = def.type === 'object' ? def.shape?.[String(segment)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
  }
  if (!node) return [];
  const def = unwrap(node)._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === 'object' && def.shape ? Object.keys(def.shape).filter((k) => k !== '$schema') : [];
}

function closest(key: string, known: string[]): string {
  const lower = key.toLowerCase();
  const match = known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => editDistance(k.toLowerCase(), lower) <= 2);
  return match ? ` (did you mean "${match}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
