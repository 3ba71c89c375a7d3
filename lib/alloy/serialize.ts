/**
 * The one serializer of Alloy configuration text. Rules from grafana/alloy v1.18.1 syntax/scanner and
 * syntax/parser (https://grafana.com/docs/alloy/latest/get-started/configuration-syntax/):
 * - labels are double-quoted strings whose content is an identifier (`"loki_gateway"`, never `"loki-gateway"`);
 * - strings are double-quoted with Go escapes only; JSON.stringify writes nothing else (`\" \\ \b \f \n \r \t
 *   \uXXXX`), except for lone UTF-16 surrogates, which Alloy refuses, so they are refused here;
 * - numbers are decimal (no hex, no NaN/Infinity);
 * - multi-line lists and objects need a comma after every element (a line break ends a statement);
 * - object keys are bare identifiers, or quoted when they are not identifiers (or are true/false/null).
 * Two-space indentation; `alloy fmt` would use tabs, which the loader does not require.
 */
import { Access, AlloyFile, Binary, Block, Call, Identifier, isExpression, Statement, Value } from './syntax';

const IDENT = /^[\p{L}_][\p{L}\p{Nd}_]*$/u;
const KEYWORDS = new Set(['true', 'false', 'null']);

export const isIdentifier = (s: string): boolean => IDENT.test(s) && !KEYWORDS.has(s);

export class AlloySerializeError extends Error {}

/** A double-quoted Alloy string literal. */
export function quote(s: string): string {
  if (/\p{Cs}/u.test(s)) throw new AlloySerializeError(`string ${JSON.stringify(s)} holds a lone UTF-16 surrogate, which Alloy cannot read`);
  return JSON.stringify(s);
}

function key(k: string): string {
  if (isIdentifier(k)) return k;
  // Alloy uses the text between the quotes of a key verbatim (no escape decoding), so it cannot hold these.
  if (/["\\\n\r]/.test(k)) throw new AlloySerializeError(`object key ${JSON.stringify(k)} cannot be written in Alloy (quotes, backslashes and line breaks are not allowed in keys)`);
  return quote(k);
}

function number(n: number): string {
  if (!Number.isFinite(n)) throw new AlloySerializeError(`number ${n} cannot be written in Alloy (decimal literals only)`);
  return String(n);
}

const PRECEDENCE: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 3, '<=': 3, '>': 3, '>=': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, '^': 6 };

function expression(v: Value, indent: string): string {
  if (v instanceof Identifier) {
    for (const part of v.path) if (!isIdentifier(part)) throw new AlloySerializeError(`identifier part ${JSON.stringify(part)} of ${v.path.join('.')} is not an identifier`);
    return v.path.join('.');
  }
  if (v instanceof Call) {
    if (!v.fn.split('.').every(isIdentifier)) throw new AlloySerializeError(`function name ${JSON.stringify(v.fn)} is not a dotted identifier`);
    return `${v.fn}(${v.args.map((a) => value(a, indent)).join(', ')})`;
  }
  if (v instanceof Access) {
    const target = v.target instanceof Binary ? `(${value(v.target, indent)})` : value(v.target, indent);
    if ('field' in v.key) {
      if (!isIdentifier(v.key.field)) throw new AlloySerializeError(`field ${JSON.stringify(v.key.field)} is not an identifier`);
      return `${target}.${v.key.field}`;
    }
    return `${target}[${value(v.key.index, indent)}]`;
  }
  const b = v as Binary;
  // Parenthesize an operand of lower precedence so the written expression keeps the model's tree.
  const side = (x: Value, right: boolean) => {
    const text = value(x, indent);
    if (!(x instanceof Binary)) return text;
    const weaker = PRECEDENCE[x.op] < PRECEDENCE[b.op] || (right && PRECEDENCE[x.op] === PRECEDENCE[b.op]);
    return weaker ? `(${text})` : text;
  };
  return `${side(b.left, false)} ${b.op} ${side(b.right, true)}`;
}

const isScalar = (v: Value) => v === null || typeof v !== 'object' || isExpression(v);

/** An expression as it appears after `=`; nested lists and objects continue at `indent`. */
export function value(v: Value, indent = ''): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return number(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isExpression(v)) return expression(v, indent);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    const list = v as readonly Value[];
    if (!list.length) return '[]';
    const items = list.map((x) => value(x, inner));
    const oneLine = `[${items.join(', ')}]`;
    if (list.every(isScalar) && oneLine.length <= 100) return oneLine;
    // Multi-line: a comma after every element, or the line break would end the statement.
    return `[\n${items.map((x) => `${inner}${x},\n`).join('')}${indent}]`;
  }
  const entries = Object.entries(v as Record<string, Value>);
  if (!entries.length) return '{}';
  const width = Math.max(...entries.map(([k]) => key(k).length));
  return `{\n${entries.map(([k, x]) => `${inner}${key(k).padEnd(width)} = ${value(x, inner)},\n`).join('')}${indent}}`;
}

function statement(s: Statement, indent: string, width: number): string {
  if (s.kind === 'attr') {
    if (!isIdentifier(s.name)) throw new AlloySerializeError(`attribute name ${JSON.stringify(s.name)} is not an identifier`);
    return `${indent}${s.name.padEnd(width)} = ${value(s.value, indent)}\n`;
  }
  return blockText(s, indent);
}

function blockText(b: Block, indent: string): string {
  if (!b.name.split('.').every(isIdentifier)) throw new AlloySerializeError(`block name ${JSON.stringify(b.name)} is not identifiers joined by dots`);
  if (b.label !== undefined && !isIdentifier(b.label)) {
    throw new AlloySerializeError(`label ${JSON.stringify(b.label)} of ${b.name} is not an identifier (letters, digits and "_", not starting with a digit)`);
  }
  const head = `${indent}${b.name}${b.label !== undefined ? ` ${quote(b.label)}` : ''} {`;
  if (!b.body.length) return `${head}}\n`;
  const inner = `${indent}  `;
  const width = Math.max(0, ...b.body.filter((s) => s.kind === 'attr').map((s) => s.name.length));
  const parts: string[] = [];
  b.body.forEach((s, i) => {
    // A blank line before a nested block that follows something, as alloy fmt output reads.
    if (i > 0 && s.kind === 'block') parts.push('\n');
    parts.push(statement(s, inner, width));
  });
  return `${head}\n${parts.join('')}${indent}}\n`;
}

/** The whole file: top-level blocks separated by blank lines. */
export function renderAlloy(file: AlloyFile): string {
  return file.blocks.map((b) => blockText(b, '')).join('\n');
}
