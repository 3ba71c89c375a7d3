/**
 * A small typed model of Grafana Alloy's configuration language (Alloy v1.18.1, syntax/parser and
 * syntax/scanner in grafana/alloy): blocks with an optional label, attributes, and expressions. Charts build
 * configs from these types; lib/alloy/serialize.ts is the one place that turns them into text, and
 * lib/alloy/parse.ts reads text back into the same types (for the structural check and tests).
 *
 * Values: strings, numbers, booleans, null, lists (JS arrays), objects (plain JS objects), and expressions
 * (class instances below): dotted identifiers (references to component exports, stdlib constants), function
 * calls and binary operators. Objects are plain records, so an expression is always a class instance.
 */

export type Value = string | number | boolean | null | readonly Value[] | ObjectValue | Expression;
export interface ObjectValue {
  readonly [key: string]: Value;
}

/** A dotted identifier path: `discovery.relabel.pods.output`, `constants.hostname`. */
export class Identifier {
  constructor(readonly path: readonly string[]) {}
}

/** A call of a standard-library function: `sys.env("HOSTNAME")`. */
export class Call {
  constructor(
    readonly fn: string,
    readonly args: readonly Value[],
  ) {}
}

/** The binary operators of the language (syntax/token/token.go). */
export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

export class Binary {
  constructor(
    readonly op: BinaryOperator,
    readonly left: Value,
    readonly right: Value,
  ) {}
}

/** Postfix access on a value that is not a plain identifier path: `x[0]`, `f(a).field`. */
export class Access {
  constructor(
    readonly target: Value,
    /** A field name (`.name`) or an index expression (`[expr]`). */
    readonly key: { readonly field: string } | { readonly index: Value },
  ) {}
}

export type Expression = Identifier | Call | Binary | Access;

export function isExpression(v: unknown): v is Expression {
  return v instanceof Identifier || v instanceof Call || v instanceof Binary || v instanceof Access;
}

export interface Attribute {
  readonly kind: 'attr';
  readonly name: string;
  readonly value: Value;
}

export interface Block {
  readonly kind: 'block';
  /** Identifiers joined by dots: `loki.source.file`, `stage.cri`, `rule`. */
  readonly name: string;
  /** Components carry one; config blocks and blocks nested in a component never do. */
  readonly label?: string;
  readonly body: readonly Statement[];
}

export type Statement = Attribute | Block;

/** A whole config file: top-level blocks only (a top-level attribute is refused by Alloy's loader). */
export interface AlloyFile {
  readonly blocks: readonly Block[];
}

/** Attributes from a record, in its key order; `undefined` values are left out (optional settings not set). */
export function attrs(record: Record<string, Value | undefined>): Attribute[] {
  return Object.entries(record)
    .filter((e): e is [string, Value] => e[1] !== undefined)
    .map(([name, value]) => ({ kind: 'attr', name, value }));
}

/** A block without a label (nested blocks and config blocks): attributes first, then nested blocks. */
export function block(name: string, attributes: Record<string, Value | undefined> = {}, children: readonly Block[] = []): Block {
  return { kind: 'block', name, body: [...attrs(attributes), ...children] };
}

/** A component block, `name "label" { ... }`. */
export function component(name: string, label: string, attributes: Record<string, Value | undefined> = {}, children: readonly Block[] = []): Block {
  return { ...block(name, attributes, children), label };
}

/** A reference to an exported field of a component block: `loki.write.default.receiver`. */
export function ref(target: Block, field: string): Identifier {
  if (target.label === undefined) throw new Error(`${target.name} has no label: only components export fields`);
  return new Identifier([...target.name.split('.'), target.label, field]);
}

export const call = (fn: string, ...args: Value[]): Call => new Call(fn, args);
export const concat = (left: Value, right: Value): Binary => new Binary('+', left, right);
/** `sys.env("NAME")`: an environment variable of the Alloy process ("" when unset). */
export const env = (name: string): Call => call('sys.env', name);
