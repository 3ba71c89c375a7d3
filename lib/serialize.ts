import { createHash } from 'node:crypto';
import { dump, DUMP_SCHEMA } from 'js-yaml';

/** js-yaml's options for every document this project writes. */
const DUMP_OPTIONS = { lineWidth: -1, noRefs: true } as const;

/**
 * The one YAML serializer for manifests and component config files: insertion key order (objects are
 * built in a fixed order), no line folding, no anchors, so the output is byte-identical on every run.
 *
 * The output is js-yaml's, byte for byte (a test holds the two together over every rendered object and
 * over random strings). Only the walk is our own: js-yaml builds an AST of the whole document and decides
 * each scalar's style from scratch, which made YAML writing the largest single cost of synth. Here the
 * block layout of mappings and sequences is written directly, and each distinct scalar is styled once, by
 * js-yaml itself, then re-indented to its depth (a scalar's style does not depend on its depth below the
 * root: js-yaml's `scalarLayout` shifts are all relative, see `canUseBlock` and `blockHeader`).
 */
export function toYaml(value: unknown): string {
  if (!isBlockCollection(value)) return dump(value, DUMP_OPTIONS);
  const out: string[] = [];
  openEnded = false;
  if (!writeCollection(value, 0, true, out)) return dump(value, DUMP_OPTIONS);
  // A document whose last scalar is a block kept with its trailing blank lines (`|+`) ends with `...`.
  out.push(openEnded ? '\n...\n' : '\n');
  return out.join('');
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, Json> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isBlockCollection(v: unknown): v is Json[] | Record<string, Json> {
  return Array.isArray(v) ? v.length > 0 : isPlainObject(v) && Object.keys(v).length > 0;
}

/** Values js-yaml writes as `[]`/`{}`; anything else that is not a scalar we know is left to js-yaml. */
function emptyCollection(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  if (isPlainObject(v)) return Object.keys(v).length === 0 ? '{}' : undefined;
  return undefined;
}

/** Scalars as js-yaml writes them at level one, and whether each leaves the document open-ended. */
const valueCache = new Map<string, { text: string; openEnded: boolean }>();
/** Whether the last value written leaves the document open-ended (js-yaml's `state.openEnded`). */
let openEnded = false;
const keyCache = new Map<string, string>();

/**
 * One-line strings of characters that never need quoting in a block (no indicator first, no `: ` or ` #`, no
 * tab, nothing outside printable ASCII, nothing at either end that plain YAML would drop or misread). Such a
 * string is written as it is unless plain YAML would read it as another type (`yes`, `1:20`, `0x1F`, `null`,
 * `2001-12-14`): that is asked of js-yaml's own dump schema. Everything else is styled by js-yaml itself.
 */
const PLAIN_SAFE = /^[A-Za-z0-9_/$][\w/.$()=+@,;~^*&!%?<>|'"`[\]{}-]*(?:[: ][\w/.$()=+@,;~^*&!%?<>|'"`[\]{}-]+)*$/;
const STRING_TAG = DUMP_SCHEMA.defaultScalarTag;

function plainAsIs(s: string): boolean {
  return PLAIN_SAFE.test(s) && DUMP_SCHEMA.resolveImplicitScalarTag(s).tag === STRING_TAG;
}

/** A scalar as js-yaml writes it one level below the root (`k: <here>`), or undefined when not a scalar. */
function scalarAtLevelOne(v: unknown): string | undefined {
  // The common cases as js-yaml writes them, without asking it (a test holds them equal).
  if (typeof v === 'string' ? plainAsIs(v) : typeof v === 'number' ? Number.isSafeInteger(v) && !Object.is(v, -0) : typeof v === 'boolean') {
    openEnded = false;
    return String(v);
  }
  let id: string;
  switch (typeof v) {
    case 'string': id = `s${v}`; break;
    case 'number': id = `n${Object.is(v, -0) ? '-0' : String(v)}`; break;
    case 'boolean': id = v ? 'true' : 'false'; break;
    default:
      if (v === null) { id = 'null'; break; }
      return undefined;
  }
  let cached = valueCache.get(id);
  if (cached === undefined) {
    let doc = dump({ k: v }, DUMP_OPTIONS);
    const ended = doc.endsWith('\n...\n');
    if (ended) doc = doc.slice(0, -4);
    cached = { text: doc.slice(doc.startsWith('k: ') ? 3 : 2, -1), openEnded: ended };
    valueCache.set(id, cached);
  }
  openEnded = cached.openEnded;
  return cached.text;
}

/** A mapping key as js-yaml writes it, or undefined where js-yaml would need an explicit `? ` pair. */
function keyText(k: string): string | undefined {
  if (k.length <= 1024 && plainAsIs(k)) return k;
  let text = keyCache.get(k);
  if (text === undefined) {
    if (k.includes('\n') || k.length > 1024) return undefined;
    const doc = dump({ [k]: 0 }, DUMP_OPTIONS);
    if (!doc.endsWith(': 0\n') || doc.startsWith('?')) return undefined;
    text = doc.slice(0, -4);
    keyCache.set(k, text);
  }
  return text;
}

/** A scalar rendered at level one, moved to `level` (continuation lines of block and multi-line scalars). */
function atLevel(text: string, level: number): string {
  if (level === 1 || !text.includes('\n')) return text;
  const extra = ' '.repeat(2 * (level - 1));
  return text.split('\n').map((line, i) => (i === 0 || line === '' ? line : extra + line)).join('\n');
}

/** The text of a value written after `key:` or `- ` at `level`; false when js-yaml must write the document. */
function valueText(v: unknown, level: number, inSequence: boolean): string | false {
  const empty = emptyCollection(v);
  if (empty !== undefined) {
    openEnded = false;
    return empty;
  }
  if (isBlockCollection(v)) {
    const out: string[] = [];
    // A collection inside a sequence starts on the dash's line (js-yaml's seqInlineFirst); under a key, on
    // the next line.
    if (!writeCollection(v, level, inSequence, out)) return false;
    return out.join('');
  }
  const s = scalarAtLevelOne(v);
  return s === undefined ? false : atLevel(s, level);
}

/** Writes a non-empty mapping or sequence whose items sit at `level`; false when not plain JSON data. */
function writeCollection(v: Json[] | Record<string, Json>, level: number, compact: boolean, out: string[]): boolean {
  const newline = `\n${' '.repeat(2 * level)}`;
  let first = true;
  if (Array.isArray(v)) {
    for (const item of v) {
      const text = valueText(item, level + 1, true);
      if (text === false) return false;
      if (!compact || !first) out.push(newline);
      out.push(text === '' || text.charCodeAt(0) === 10 ? '-' : '- ', text);
      first = false;
    }
    return true;
  }
  for (const k of Object.keys(v)) {
    const key = keyText(k);
    if (key === undefined) return false;
    const item = v[k];
    if (item === undefined) return false;
    const text = valueText(item, level + 1, false);
    if (text === false) return false;
    if (!compact || !first) out.push(newline);
    out.push(key, text === '' || text.charCodeAt(0) === 10 ? ':' : ': ', text);
    first = false;
  }
  return true;
}

/** sha256 of rendered config, for `checksum/config` pod annotations: a config change rolls the pods. */
export function checksum(...contents: string[]): string {
  const hash = createHash('sha256');
  for (const c of contents) hash.update(c).update('\0');
  return hash.digest('hex');
}
