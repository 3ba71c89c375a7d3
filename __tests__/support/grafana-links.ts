/**
 * What Grafana does with the links this project provisions, evaluated instead of snapshotted:
 * - the Loki derived field (public/app/plugins/datasource/loki/getDerivedFields.ts): with matcherType "label",
 *   the value of the first label key (stream labels and structured metadata alike) its regex matches; otherwise
 *   the regex's first group on the line;
 * - the Tempo → Loki query (`tracesToLogsV2.query`): provisioning's expansion applied (./grafana-vars.ts), Grafana's variables
 *   substituted, then the LogQL evaluated on one stored entry with the subset of LogQL the project emits (stream
 *   matchers, line filters `|=` / `|~`, label filters on labels and structured metadata). Anything else throws,
 *   so a new query shape cannot pass unevaluated. Parsing uses the official grammar (@grafana/lezer-logql).
 */
import { parser } from '@grafana/lezer-logql';

export interface StoredEntry {
  line: string;
  labels: Record<string, string>;
  structuredMetadata: Record<string, string>;
}

export function derivedValue(field: { matcherType?: string; matcherRegex: string }, entry: StoredEntry): string | undefined {
  if (field.matcherType === 'label') {
    const labels = { ...entry.labels, ...entry.structuredMetadata };
    const key = Object.keys(labels).find((k) => new RegExp(field.matcherRegex).test(k));
    return key === undefined ? undefined : labels[key];
  }
  return new RegExp(field.matcherRegex).exec(entry.line)?.[1];
}

/** Substitutes Grafana link variables `${name}` (and `$name`) from a map; an unknown variable throws. */
export function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([\w.]+)\}|\$(__[\w.]+)/g, (_, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    if (!(name in vars)) throw new Error(`no value for Grafana variable ${name}`);
    return vars[name];
  });
}

/** Throws with the position of the first error node when the official grammar does not accept the query. */
export function parseLogql(query: string) {
  const tree = parser.parse(query);
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) throw new Error(`LogQL does not parse at ${n.from}: ${JSON.stringify(query)}`);
    },
  });
  return tree;
}

const stringValue = (text: string): string => (text.startsWith('`') ? text.slice(1, -1) : JSON.parse(text));

function matcher(op: string, value: string, actual: string | undefined): boolean {
  const v = actual ?? '';
  switch (op) {
    case 'Eq':
      return v === value;
    case 'Neq':
      return v !== value;
    case 'Re':
      return new RegExp(`^(?:${value})$`).test(v);
    case 'Nre':
      return !new RegExp(`^(?:${value})$`).test(v);
    default:
      throw new Error(`matcher operator ${op} not modelled`);
  }
}

/** Whether a LogQL log query selects the entry. */
export function selects(query: string, entry: StoredEntry): boolean {
  const tree = parseLogql(query);
  const text = (n: { from: number; to: number }) => query.slice(n.from, n.to);
  let ok = true;
  let inPipeline = false;
  const cursor = tree.cursor();
  const visit = (): void => {
    const name = cursor.name;
    if (name === 'PipelineExpr') inPipeline = true;
    if (name === 'Matcher') {
      const node = cursor.node;
      const id = node.getChild('Identifier')!;
      const value = node.getChild('String')!;
      const op = ['Eq', 'Neq', 'Re', 'Nre'].find((o) => node.getChild(o))!;
      const labels = inPipeline ? { ...entry.labels, ...entry.structuredMetadata } : entry.labels;
      ok &&= matcher(op, stringValue(text(value)), labels[text(id)]);
      return;
    }
    if (name === 'LineFilter') {
      const node = cursor.node;
      const filter = node.getChild('Filter')!;
      const value = stringValue(text(node.getChild('String')!));
      if (filter.getChild('PipeExact')) ok &&= entry.line.includes(value);
      else if (filter.getChild('PipeMatch')) ok &&= new RegExp(value).test(entry.line);
      else throw new Error(`line filter ${text(filter)} not modelled`);
      return;
    }
    if (!['LogQL', 'Expr', 'LogExpr', 'Selector', 'Matchers', 'PipelineExpr', 'PipelineStage', 'Pipe', 'LabelFilter', 'LineFilters'].includes(name)) {
      throw new Error(`LogQL node ${name} (${JSON.stringify(text(cursor))}) not modelled`);
    }
    if (cursor.firstChild()) {
      do visit();
      while (cursor.nextSibling());
      cursor.parent();
    }
  };
  visit();
  return ok;
}
