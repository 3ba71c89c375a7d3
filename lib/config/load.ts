/**
 * Reads one environment file and reports every problem at once, one line each:
 *   config/production.yaml: tempo.retention.warm: expected a duration like "72h", got "two weeks"
 * A user's mistake never surfaces as a stack trace.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import * as path from 'node:path';
import { load, YAMLException } from 'js-yaml';
import { z } from 'zod';
import { plainHttpRules } from './object-storage';
import { configSchema, Environment } from './schema';
import { deploymentProblems } from '../topology/invariants';
import { nearest } from '../nearest';
import { maskSecrets } from './primitives';

/**
 * Bounds on what one environment file may be, so a hostile or broken file fails fast with a sentence instead of
 * hanging or exhausting memory: a config is a few kB; YAML aliases are shared references that would expand
 * into a tree (a "billion laughs" of a few hundred bytes is gigabytes once validated and echoed).
 */
export const LIMITS = { bytes: 4 * 1024 * 1024, aliases: 1000, values: 1_000_000, depth: 64, echoed: 240, described: 200 } as const;

export class ConfigError extends Error {
  /** `more`: further problems counted but not described (a file with 200,000 unknown keys). */
  constructor(
    readonly problems: string[],
    readonly more = 0,
  ) {
    super(problems.join('\n'));
  }
}

/** Keys that would put a credential in git, and what to write instead. */
const PLAINTEXT_SECRETS: Record<string, string> = {
  'grafana.adminPassword': 'grafana.adminSecret (an existing Secret with the admin user and password)',
};
const SECRET_LIKE = /(password|passwd|secret|token|apikey|accesskey|accountkey|privatekey|credential)s?$/i;
/**
 * A key whose value is a credential or names where one lives (`tempo.s3.credentials.secret`, `grafana.secretKey`,
 * `grafana.oauth.clientSecret.name`, `grafana.adminSecret.passwordKey`, `tls.secretName`, `gitops.flux.secretRef`):
 * every key on such a path is a credential field. A wrong value there is often the secret itself, pasted where a
 * reference was expected, so its problems are reported by shape and never echo the value (describeCredential).
 */
const CREDENTIAL_SEGMENT = /secret|passw(or)?d|credential|token(?!url)|apikey|privatekey/i;
export function isCredentialPath(p: readonly PropertyKey[]): boolean {
  return p.some((seg) => typeof seg === 'string' && CREDENTIAL_SEGMENT.test(seg));
}

/**
 * The schema plus the cross-layer checks. The topology invariants (quorum, singletons, partitions vs replicas)
 * need the parsed config and the topology built from it, so they run here, where the config is loaded, and not
 * inside the schema (which would make config import topology and close an import circle). zod runs this
 * refinement only on a config that parsed, and after the schema's own refinements, so every problem is still
 * reported in one pass.
 */
const loadSchema = configSchema.superRefine((c, ctx) => {
  for (const p of deploymentProblems(c)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});

export function environmentName(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

/** The environment files of a config folder (`config/*.yaml`), sorted: whatever the user keeps there. */
export function environmentFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The message for an environment name with no file, listing the ones there are (synth and verify say the same). */
export function unknownEnvironment(name: string, dir: string): string {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  const known = environmentFiles(dir).map(environmentName);
  return `unknown environment ${shown}; known: ${known.length ? known.join(', ') : `none (${dir}/ holds no .yaml file)`}`;
}

export function loadConfig(file: string): Environment {
  const name = environmentName(file);
  const text = readRegularFile(file);
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new ConfigError([`${file}: the file name gives the environment name ${JSON.stringify(name)}, expected a DNS label (lowercase letters, digits, "-")`]);
  }
  let raw: unknown;
  try {
    raw = text.trim() === '' ? undefined : load(text, { filename: file, maxAliases: LIMITS.aliases });
  } catch (e) {
    if (e instanceof YAMLException && e.mark) {
      throw new ConfigError([`${file}:${e.mark.line + 1}:${e.mark.column + 1}: YAML syntax error: ${clip(e.reason)}`]);
    }
    if (e instanceof RangeError) throw new ConfigError([`${file}: the YAML is nested too deeply to read (at most ${LIMITS.depth} levels are accepted)`]);
    throw new ConfigError([`${file}: YAML syntax error: ${clip((e as Error).message.split('\n')[0])}`]);
  }
  const shape = shapeProblem(raw);
  if (shape) throw new ConfigError([`${file}: ${shape}`]);
  if (raw === undefined || raw === null) throw new ConfigError([`${file}: the file is empty; expected a mapping of settings such as "namespace: observability"`]);
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([`${file}: expected a mapping of settings at the top level, got ${Array.isArray(raw) ? 'a list' : `the ${typeof raw} ${JSON.stringify(raw)}`}`]);
  }
  const result = loadSchema.safeParse(raw, { reportInput: true });
  // Second line of defence: a cross-field rule that quotes another key must not quote a credential field either.
  const planted = credentialValues(raw);
  const scrub = (line: string) => planted.reduce((text, v) => text.split(v).join('***'), line);
  if (!result.success) {
    // One problem per key: a value that fails its type is not also reported by the rules that compare it.
    const seen = new Set<string>();
    const problems: string[] = [];
    let more = 0;
    for (const issue of result.error.issues) {
      if (problems.length >= LIMITS.described) {
        more += issue.code === 'unrecognized_keys' ? issue.keys.length : 1;
        continue;
      }
      const lines = describeIssue(file, issue, LIMITS.described - problems.length);
      more += lines.omitted;
      for (const line of lines) {
        const key = issue.code === 'unrecognized_keys' ? line : keyPath(issue.path);
        if (seen.has(key)) continue;
        seen.add(key);
        problems.push(clip(maskSecrets(scrub(line)), 400));
      }
    }
    throw new ConfigError(problems, more);
  }
  // Rules that depend on the environment's name, which the schema does not see.
  const byName = (['tempo', 'loki'] as const).flatMap((c) => plainHttpRules(name, result.data[c]).map((i) => scrub(`${file}: ${keyPath([c, ...i.path])}: ${i.message}`)));
  if (byName.length) throw new ConfigError(byName);
  return { name, config: result.data };
}

/** The file's text, read only when it is a regular file of bounded size (never a FIFO, device, folder or /proc file). */
function readRegularFile(file: string): string {
  const fail = (why: string) => new ConfigError([`${file}: cannot read the file (${why})`]);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below refuses it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : String(code));
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw fail('it is a directory');
    if (!st.isFile()) throw fail(`it is ${st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device'}, not a regular file`);
    // Kernel files (/proc, /sys) report size 0 and can be endless or blocking.
    if (st.size === 0 && /^\/(proc|sys)\//.test(path.resolve(file))) throw fail('it is a kernel file, not a regular file');
    if (st.size > LIMITS.bytes) throw fail(`it is ${st.size} bytes; a configuration file is at most ${LIMITS.bytes} bytes`);
    const buf = Buffer.alloc(Math.min(st.size, LIMITS.bytes) + 1);
    let total = 0;
    for (let n; total < buf.length && (n = readSync(fd, buf, total, buf.length - total, null)) > 0; ) total += n;
    if (total > LIMITS.bytes) throw fail(`it is larger than ${LIMITS.bytes} bytes`);
    return buf.subarray(0, total).toString('utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw fail(String((e as NodeJS.ErrnoException).code ?? (e as Error).message).slice(0, 80));
  } finally {
    closeSync(fd);
  }
}

/**
 * Walks the parsed value as validation would see it (aliases expanded), without recursion, and stops at the
 * first bound exceeded: too many values (an alias bomb) or too deep.
 */
function shapeProblem(raw: unknown): string | undefined {
  const stack: [unknown, number][] = [[raw, 0]];
  let values = 0;
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (++values > LIMITS.values) return `the YAML expands to more than ${LIMITS.values} values (aliases "*name" repeat what they refer to); a configuration is far smaller`;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= LIMITS.depth) return `the YAML is nested more than ${LIMITS.depth} levels deep; a configuration is far shallower`;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return undefined;
}

/** A message line of bounded length: echoed values are cut, so one huge value cannot flood the terminal. */
function clip(text: string, max: number = LIMITS.echoed): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

/** `security.teams[0].role`: list positions in brackets, as editors and the README write them. */
function keyPath(p: PropertyKey[]): string {
  return p.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : `${i ? '.' : ''}${String(seg)}`)).join('');
}

function describeIssue(file: string, issue: z.core.$ZodIssue, room: number): string[] & { omitted: number } {
  const lines = describeIssueLines(file, issue, room);
  return Object.assign(lines, { omitted: issue.code === 'unrecognized_keys' ? issue.keys.length - lines.length : 0 });
}

function describeIssueLines(file: string, issue: z.core.$ZodIssue, room: number): string[] {
  const at = (p: PropertyKey[]) => (p.length ? keyPath(p) : '(top level)');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.path);
    return issue.keys.slice(0, room).map((key) => {
      const keyPath = at([...issue.path, key]);
      if (PLAINTEXT_SECRETS[keyPath] || SECRET_LIKE.test(key)) {
        const instead = PLAINTEXT_SECRETS[keyPath] ?? 'a reference to an existing Kubernetes Secret';
        return `${file}: ${keyPath}: plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: ${instead}`;
      }
      const hint = known.length ? `, expected one of: ${known.join(', ')}` : '';
      return `${file}: ${clip(keyPath, 120)}: unknown key${closest(key, known)}${hint}`;
    });
  }
  if (issue.code === 'invalid_key') {
    // A record key failed its own schema: say which key, with that schema's message.
    return [`${file}: ${at(issue.path.slice(0, -1))}: key ${JSON.stringify(issue.path[issue.path.length - 1])}: ${issue.issues.map((i) => i.message).join('; ')}`];
  }
  // Our rules on a whole object (tempo: "s3.credentials missing") say what is missing and quote no credential.
  const input = (issue as { input?: unknown }).input;
  const crossField = issue.code === 'custom' && !(typeof input === 'string' && issue.message.includes(input));
  if (isCredentialPath(issue.path) && !crossField) return [`${file}: ${at(issue.path)}: ${describeCredential(issue)}`];
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

const unwrap = (s: z.core.$ZodType): z.core.$ZodType => {
  const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; schema?: z.core.$ZodType };
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  return s;
};
type Node = { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType; options?: z.core.$ZodType[] };

/** The schema node at a key path (through defaults, optionals and pipes; the first union member with that key). */
function schemaAt(keyPath: readonly PropertyKey[]): z.core.$ZodType | undefined {
  let node: z.core.$ZodType | undefined = configSchema;
  for (const segment of keyPath) {
    if (!node) return undefined;
    const def = unwrap(node)._zod.def as Node;
    if (def.type === 'union') {
      node = def.options?.map((o) => (unwrap(o)._zod.def as Node).shape?.[String(segment)]).find(Boolean);
      continue;
    }
    node = def.type === 'object' ? def.shape?.[String(segment)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
  }
  return node;
}

/** The keys the schema accepts at a path, read from the schema itself so the hint never drifts. */
function knownKeys(keyPath: PropertyKey[]): string[] {
  const node = schemaAt(keyPath);
  if (!node) return [];
  const def = unwrap(node)._zod.def as Node;
  return def.type === 'object' && def.shape ? Object.keys(def.shape).filter((k) => k !== '$schema') : [];
}

/** What a credential field expects, from the schema: `{ name: <…>, key: <…> }` for a reference, the rule for a name. */
function credentialShape(issue: z.core.$ZodIssue): string {
  // Our own messages say "expected …, got <value>": the expected part never contains the value.
  const ours = /^(expected [\s\S]*?), got /.exec(issue.message)?.[1];
  const node = schemaAt(issue.path);
  const def = node && (unwrap(node)._zod.def as Node);
  if (def?.type === 'object' && def.shape) {
    const fields = Object.entries(def.shape).map(([k, v]) => `${k}: <${(v as { description?: string }).description ?? k}>`);
    return `expected { ${fields.join(', ')} }`;
  }
  const what = (node as { description?: string } | undefined)?.description;
  if (ours) return what ? `expected ${what}: ${ours.slice('expected '.length)}` : ours;
  if (issue.message.startsWith('expected ') && !issue.message.includes(' got ')) return issue.message;
  return `expected ${what ?? (issue.code === 'invalid_type' ? issue.expected : 'a reference to an existing Secret')}`;
}

/** A credential field's problem, by shape only: what was expected and what kind of value came, never the value. */
function describeCredential(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if (input === undefined && issue.code === 'invalid_type') return `missing, ${credentialShape(issue)}`;
  const kind = typeof input === 'string' ? `a string of ${input.length} characters` : Array.isArray(input) ? 'a list' : input === null ? 'null' : typeof input === 'object' ? 'a mapping that does not fit' : `a ${typeof input}`;
  if (typeof input === 'string' && issue.code === 'invalid_type') {
    return `plaintext secrets are not accepted (they would be committed to git and rendered into dist/); reference a Secret instead: ${credentialShape(issue).replace(/^expected /, '')}, got ${kind} (not shown)`;
  }
  return `${credentialShape(issue)}, got ${kind} (not shown: it may be the secret itself)`;
}

/**
 * Every string under a credential key of the raw file that no name or key could be (a character outside
 * A-Z a-z 0-9 - _ ., or longer than 253): a valid name is rendered into dist/ anyway, so quoting it leaks
 * nothing, and scrubbing "password" or "admin" would mangle every message that mentions them.
 */
function credentialValues(raw: unknown): string[] {
  const found = new Set<string>();
  const stack: [unknown, boolean][] = [[raw, false]];
  while (stack.length) {
    const [value, under] = stack.pop()!;
    if (typeof value === 'string' && under && value.length >= 4 && (/[^-._a-zA-Z0-9]/.test(value) || value.length > 253)) found.add(value);
    if (value === null || typeof value !== 'object') continue;
    for (const [k, v] of Object.entries(value)) stack.push([v, under || isCredentialPath([k])]);
  }
  // Longest first, so a value that contains another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

function closest(key: string, known: string[]): string {
  const match = nearest(key, known);
  return match ? ` (did you mean "${match}"?)` : '';
}
