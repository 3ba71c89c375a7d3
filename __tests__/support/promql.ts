/** PromQL checks with the official grammar (@prometheus-io/lezer-promql). */
import { parser } from '@prometheus-io/lezer-promql';

/** Syntax errors lezer found in a PromQL expression (error nodes), with their position. */
export function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({ enter: (n) => void (n.type.isError && errors.push(`error at ${n.from}: ${JSON.stringify(expr.slice(n.from, n.from + 20))}`)) });
  return errors;
}

/** Label matchers in an expression, [label, op, value], read from the parse tree. */
export function labelMatchers(expr: string): [string, string, string][] {
  const out: [string, string, string][] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.name !== 'UnquotedLabelMatcher') return;
      const m = /^(\w+)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")$/.exec(expr.slice(n.from, n.to));
      if (m) out.push([m[1], m[2], JSON.parse(m[3])]);
    },
  });
  return out;
}

/** Whether a matcher selects at least one of the values (`=` exact, `=~` anchored regex). */
export function selectsAny(op: string, value: string, candidates: string[]): boolean {
  return op === '=' ? candidates.includes(value) : candidates.some((c) => new RegExp(`^(?:${value})$`).test(c));
}
