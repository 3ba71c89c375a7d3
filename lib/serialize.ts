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
 * block layout of mappings and sequences is written directly; plain strings, whole numbers and booleans are
 * written as they are (`plainAsIs`), and every other distinct scalar is styled once, by js-yaml itself, then
 * re-indented to its depth (a scalar's style does not depend on its depth below the root: js-yaml's
 * `scalarLayout` shifts are all relative, see `canUseBlock` and `blockHeader`).
 */
export function toYaml(value: unknown): string {
  const out: string[] = [];
  openEnded = false;
  const keys = isPlainObject(value) ? Object.keys(value) : [];
  const written = keys.length > 0 ? writeMapping(value as Record<string, Json>, keys, 0, true, out) : Array.isArray(value) && value.length > 0 && writeSequence(value, 0, true, out);
  if (!written) return dump(value, DUMP_OPTIONS);
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

/** A scalar as js-yaml writes it at level one, and whether it leaves the document open-ended. */
interface Styled {
  readonly text: string;
  readonly openEnded: boolean;
}
/** Numbers, booleans and null as js-yaml writes them (by type and text), and strings (by the string itself). */
const valueCache = new Map<string, Styled>();
const stringStyles = new Map<string, Styled>();
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

/** plainAsIs() of strings seen before (most recur in every object and environment); cleared when it grows large. */
const plainCache = new Map<string, boolean>();
const PLAIN_CACHE_SIZE = 100_000;

function plainAsIs(s: string): boolean {
  let plain = plainCache.get(s);
  if (plain === undefined) {
    plain = PLAIN_SAFE.test(s) && DUMP_SCHEMA.resolveImplicitScalarTag(s).tag === STRING_TAG;
    if (plainCache.size >= PLAIN_CACHE_SIZE) plainCache.clear();
    plainCache.set(s, plain);
  }
  return plain;
}

/** A scalar as js-yaml writes it one level below the root (`k: <here>`), or undefined when not a scalar. */
function scalarAtLevelOne(v: unknown): string | undefined {
  // The common cases as js-yaml writes them, without asking it (a test holds them equal).
  if (typeof v === 'string' ? plainAsIs(v) : typeof v === 'number' ? Number.isSafeInteger(v) && !Object.is(v, -0) : typeof v === 'boolean') {
    openEnded = false;
    return String(v);
  }
  // Strings are looked up as they are (a config file or dashboard is one string of many kilobytes: a key built
  // from it would be copied to be hashed); other scalars by their type and text.
  let cache: Map<string, Styled>;
  let id: string;
  switch (typeof v) {
    case 'string': cache = stringStyles; id = v; break;
    case 'number': cache = valueCache; id = `n${Object.is(v, -0) ? '-0' : String(v)}`; break;
    case 'boolean': cache = valueCache; id = v ? 'true' : 'false'; break;
    default:
      if (v === null) { cache = valueCache; id = 'null'; break; }
      return undefined;
  }
  let cached = cache.get(id);
  if (cached === undefined) {
    let doc = dump({ k: v }, DUMP_OPTIONS);
    const ended = doc.endsWith('\n...\n');
    if (ended) doc = doc.slice(0, -4);
    cached = { text: doc.slice(doc.startsWith('k: ') ? 3 : 2, -1), openEnded: ended };
    cache.set(id, cached);
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

/** Multi-line scalars already moved to a level (configuration files and dashboards recur in every environment). */
const levelCaches: Map<string, string>[] = [];

/** A scalar rendered at level one, moved to `level` (continuation lines of block and multi-line scalars). */
function atLevel(text: string, level: number): string {
  if (level === 1 || !text.includes('\n')) return text;
  const cache = (levelCaches[level] ??= new Map());
  let moved = cache.get(text);
  if (moved === undefined) {
    const extra = ' '.repeat(2 * (level - 1));
    moved = text.split('\n').map((line, i) => (i === 0 || line === '' ? line : extra + line)).join('\n');
    cache.set(text, moved);
  }
  return moved;
}

/** The line breaks that start an item at each level. */
const newlines: string[] = [];

/**
 * Writes the value of an item, after `key` or at a sequence's `-`, whose own items sit at `level`; false when it
 * is not plain JSON data (js-yaml writes the document then). A collection inside a sequence starts on the dash's
 * line (js-yaml's seqInlineFirst); under a key, on the next line.
 */
function writeValue(v: unknown, level: number, inSequence: boolean, out: string[]): boolean {
  if (typeof v === 'object' && v !== null) {
    if (Array.isArray(v)) {
      if (v.length === 0) return writeEmpty('[]', inSequence, out);
      out.push(inSequence ? '- ' : ':');
      return writeSequence(v, level, inSequence, out);
    }
    if (!isPlainObject(v)) return false;
    const keys = Object.keys(v);
    if (keys.length === 0) return writeEmpty('{}', inSequence, out);
    out.push(inSequence ? '- ' : ':');
    return writeMapping(v, keys, level, inSequence, out);
  }
  const s = scalarAtLevelOne(v);
  if (s === undefined) return false;
  const text = atLevel(s, level);
  out.push(text === '' || text.charCodeAt(0) === 10 ? (inSequence ? '-' : ':') : inSequence ? '- ' : ': ', text);
  return true;
}

function writeEmpty(text: string, inSequence: boolean, out: string[]): boolean {
  openEnded = false;
  out.push(inSequence ? '- ' : ': ', text);
  return true;
}

/** Writes a non-empty sequence whose items sit at `level` (`compact`: its first item is on the current line). */
function writeSequence(v: unknown[], level: number, compact: boolean, out: string[]): boolean {
  const newline = (newlines[level] ??= `\n${' '.repeat(2 * level)}`);
  for (let i = 0; i < v.length; i++) {
    if (!compact || i > 0) out.push(newline);
    if (!writeValue(v[i], level + 1, true, out)) return false;
  }
  return true;
}

/** Writes a non-empty mapping whose entries sit at `level` (`compact`: its first entry is on the current line). */
function writeMapping(v: Record<string, unknown>, keys: string[], level: number, compact: boolean, out: string[]): boolean {
  const newline = (newlines[level] ??= `\n${' '.repeat(2 * level)}`);
  for (let i = 0; i < keys.length; i++) {
    const key = keyText(keys[i]);
    const item = v[keys[i]];
    if (key === undefined || item === undefined) return false;
    if (!compact || i > 0) out.push(newline);
    out.push(key);
    if (!writeValue(item, level + 1, false, out)) return false;
  }
  return true;
}

/** sha256 of rendered config, for `checksum/config` pod annotations: a config change rolls the pods. */
export function checksum(...contents: string[]): string {
  const hash = createHash('sha256');
  for (const c of contents) hash.update(c).update('\0');
  return hash.digest('hex');
}
