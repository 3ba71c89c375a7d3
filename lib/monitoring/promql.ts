/**
 * A small typed PromQL builder: selectors, the functions and aggregations the stack's rules and dashboards
 * use, and binary operators. Label values are quoted and regex alternations escaped here, once; chart and
 * rule code never concatenates query text. Operands of binary operators are parenthesised unless atomic, so
 * precedence never depends on the caller. Only functions Prometheus 2.42 (the Debian promtool the tests run)
 * and 3.x both know are offered (see /README.md "Self-monitoring").
 */

/** A Prometheus duration for range selectors and `for:` (`5m`, `1h`, `30s`). */
export type Window = `${number}${'s' | 'm' | 'h' | 'd'}`;

export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface Matcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function checkLabel(label: string): string {
  if (!LABEL.test(label)) throw new Error(`invalid label name ${JSON.stringify(label)}`);
  return label;
}

/** PromQL string literal: Go escape rules, which JSON's escapes are a subset of. */
export const quote = (s: string): string => JSON.stringify(s);
/** RE2 literal: every metacharacter escaped. */
export const regexLiteral = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const eq = (label: string, value: string): Matcher => ({ label: checkLabel(label), op: '=', value });
export const neq = (label: string, value: string): Matcher => ({ label: checkLabel(label), op: '!=', value });
export const re = (label: string, regex: string): Matcher => ({ label: checkLabel(label), op: '=~', value: regex });
export const nre = (label: string, regex: string): Matcher => ({ label: checkLabel(label), op: '!~', value: regex });
/** `label="v"` for one value, `label=~"a|b"` (escaped literals) for several. */
export function oneOf(label: string, values: readonly string[]): Matcher {
  if (!values.length) throw new Error(`oneOf(${label}): no values`);
  return values.length === 1 ? eq(label, values[0]) : re(label, values.map(regexLiteral).join('|'));
}

/** A PromQL expression. `atomic` ones need no parentheses as operands. */
export class Expr {
  constructor(
    readonly text: string,
    readonly atomic: boolean,
  ) {}
  toString(): string {
    return this.text;
  }
}

/** An instant-vector selector; `.over(window)` makes the range selector functions take. */
export class Selector extends Expr {
  constructor(
    readonly metric: string,
    readonly matchers: readonly Matcher[],
  ) {
    if (!NAME.test(metric)) throw new Error(`invalid metric name ${JSON.stringify(metric)}`);
    const m = matchers.map((x) => `${x.label}${x.op}${quote(x.value)}`).join(', ');
    super(m ? `${metric}{${m}}` : metric, true);
  }
  over(window: Window): RangeSelector {
    return new RangeSelector(`${this.text}[${window}]`);
  }
  /** The same selector with more matchers. */
  with(...more: Matcher[]): Selector {
    return new Selector(this.metric, [...this.matchers, ...more]);
  }
}
export class RangeSelector {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export const metric = (name: string, ...matchers: Matcher[]): Selector => new Selector(name, matchers);
export const num = (n: number): Expr => new Expr(String(n), true);

const call = (fn: string, ...args: (Expr | RangeSelector | string)[]): Expr => new Expr(`${fn}(${args.map((a) => (a instanceof RangeSelector ? a.text : String(a))).join(', ')})`, true);

export const rate = (r: RangeSelector): Expr => call('rate', r);
export const increase = (r: RangeSelector): Expr => call('increase', r);
export const maxOverTime = (r: RangeSelector): Expr => call('max_over_time', r);
export const absent = (v: Selector): Expr => call('absent', v);
export const time = (): Expr => call('time');
export const histogramQuantile = (q: number, buckets: Expr): Expr => call('histogram_quantile', String(q), buckets);
export const clampMin = (v: Expr, min: number): Expr => call('clamp_min', v, String(min));

type Aggregation = 'sum' | 'max' | 'min' | 'avg' | 'count';
/** `sum by (a, b) (expr)`; `by` empty means aggregate everything away. */
export function aggregate(op: Aggregation, by: readonly string[], e: Expr): Expr {
  by.forEach(checkLabel);
  return new Expr(by.length ? `${op} by (${by.join(', ')}) (${e})` : `${op}(${e})`, true);
}
export const sum = (by: readonly string[], e: Expr) => aggregate('sum', by, e);
export const max = (by: readonly string[], e: Expr) => aggregate('max', by, e);
export const min = (by: readonly string[], e: Expr) => aggregate('min', by, e);

type BinaryOp = '+' | '-' | '*' | '/' | '>' | '<' | '>=' | '<=' | '==' | '!=' | 'and' | 'or' | 'unless';
export interface VectorMatching {
  readonly on?: readonly string[];
  readonly ignoring?: readonly string[];
  /** `group_left(labels)`: many-to-one, keeping these labels from the right side. */
  readonly groupLeft?: readonly string[];
}

const operand = (e: Expr | number) => (typeof e === 'number' ? String(e) : e.atomic ? e.text : `(${e.text})`);

export function binary(op: BinaryOp, a: Expr | number, b: Expr | number, m: VectorMatching = {}): Expr {
  const parts: string[] = [];
  if (m.on) parts.push(`on (${m.on.map(checkLabel).join(', ')})`);
  if (m.ignoring) parts.push(`ignoring (${m.ignoring.map(checkLabel).join(', ')})`);
  if (m.groupLeft) parts.push(`group_left (${m.groupLeft.map(checkLabel).join(', ')})`);
  const mod = parts.length ? ` ${parts.join(' ')}` : '';
  return new Expr(`${operand(a)} ${op}${mod} ${operand(b)}`, false);
}

export const div = (a: Expr, b: Expr, m?: VectorMatching) => binary('/', a, b, m);
export const minus = (a: Expr | number, b: Expr | number) => binary('-', a, b);
export const plus = (a: Expr, b: Expr, m?: VectorMatching) => binary('+', a, b, m);
export const gt = (a: Expr, b: Expr | number, m?: VectorMatching) => binary('>', a, b, m);
export const lt = (a: Expr, b: Expr | number, m?: VectorMatching) => binary('<', a, b, m);
export const eqv = (a: Expr, b: Expr | number) => binary('==', a, b);
export const and = (a: Expr, b: Expr, m?: VectorMatching) => binary('and', a, b, m);
export const or = (a: Expr, b: Expr, m?: VectorMatching) => binary('or', a, b, m);
