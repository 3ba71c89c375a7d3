/**
 * Every query the project ships, collected from the rendered objects (not from the code that builds them,
 * so a new dashboard, datasource link or rule is covered without touching this file), and parsed with the
 * official grammars in strict mode (a syntax error throws instead of becoming an error node):
 * @prometheus-io/lezer-promql (what Prometheus' own UI uses), @grafana/lezer-logql and
 * @grafana/lezer-traceql (what Grafana's query editors use).
 *
 * Where queries live in rendered output:
 * - dashboard JSON in ConfigMaps: each panel target, by its datasource's type (prometheus/loki `expr`,
 *   tempo `query` for TraceQL, `serviceMapQuery`);
 * - datasource provisioning YAML in ConfigMaps: Tempo's tracesToMetrics queries and tracesToLogsV2 (the
 *   custom query, or the one Grafana builds from the tag mapping), Loki's derived fields, Prometheus'
 *   exemplar trace-id label;
 * - PrometheusRule objects (`expr`), and rule-group files in ConfigMaps mounted by Loki (LogQL, Loki's ruler).
 */
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { parser as logqlParser } from '@grafana/lezer-logql';
import { parser as traceqlParser } from '@grafana/lezer-traceql';
import { load } from 'js-yaml';
import { K8sObject } from '../helpers';
import { provisioningExpand, SERVICE, substitute, TRACE_ID, SPAN_ID } from './grafana-vars';

export type Language = 'promql' | 'logql' | 'traceql' | 'tempo-link' | 'prometheus-label' | 'derived-field-regex' | 'derived-field-label-regex';

export interface ShippedQuery {
  /** Where it was found, for the failure message. */
  readonly where: string;
  readonly language: Language;
  /** The text as rendered. */
  readonly raw: string;
  /** Written in a Grafana provisioning file (environment-expanded by Grafana before use). */
  readonly provisioning?: boolean;
  /** Grafana variables this query may use besides the built-in ones; undefined: not a Grafana query, no substitution. */
  readonly vars?: Record<string, string>;
}

const strict = { promql: promqlParser.configure({ strict: true }), logql: logqlParser.configure({ strict: true }), traceql: traceqlParser.configure({ strict: true }) };

/** The parse error of a query in a grammar, or undefined when it parses with no error node. */
export function parseError(language: 'promql' | 'logql' | 'traceql', text: string): string | undefined {
  try {
    strict[language].parse(text);
    return undefined;
  } catch (e) {
    const at = Number(/No parse at (\d+)/.exec((e as Error).message)?.[1] ?? NaN);
    return Number.isNaN(at) ? (e as Error).message : `syntax error at offset ${at}: ${text.slice(0, at)}⟨here⟩${text.slice(at)}`;
  }
}

/** The query as the engine receives it: provisioning-expanded, then with Grafana's variables substituted. */
export function asRun(q: ShippedQuery): { text: string; unknown: string[] } {
  const expanded = q.provisioning ? provisioningExpand(q.raw) : q.raw;
  return q.vars ? substitute(expanded, q.vars) : { text: expanded, unknown: [] };
}

/** What is wrong with one shipped query once Grafana has expanded and substituted it, or undefined. */
export function checkQuery(q: ShippedQuery): string | undefined {
  const { text, unknown } = asRun(q);
  const fail = (why: string) => `${q.where}: ${q.language} ${JSON.stringify(q.raw)}${text !== q.raw ? ` (as run: ${JSON.stringify(text)})` : ''}: ${why}`;
  if (unknown.length) return fail(`unknown Grafana variable ${unknown.join(', ')}`);
  let error: string | undefined;
  switch (q.language) {
    case 'promql':
    case 'logql':
    case 'traceql':
      error = parseError(q.language, text);
      break;
    case 'tempo-link':
      // Tempo's datasource opens a trace when the query is a trace id, and runs TraceQL otherwise.
      error = /^[0-9a-fA-F]{1,32}$/.test(text) ? undefined : parseError('traceql', text);
      break;
    case 'prometheus-label':
      error = parseError('promql', `{${text}="${TRACE_ID}"}`) && `not a Prometheus label name`;
      break;
    case 'derived-field-label-regex':
      // matcherType "label": the regex picks the first label key (stream label or structured metadata) it matches.
      try {
        new RegExp(text);
      } catch (e) {
        error = `not a JavaScript regular expression: ${(e as Error).message}`;
      }
      break;
    case 'derived-field-regex':
      // Grafana runs derived-field regexes in the browser (public/app/plugins/datasource/loki/getDerivedFields.ts):
      // matcherType "regex" links the first capture group of the match on the line.
      try {
        const groups = new RegExp(`${text}|`).exec('')!.length - 1;
        error = groups < 1 ? 'has no capture group for the value to link' : undefined;
      } catch (e) {
        error = `not a JavaScript regular expression: ${(e as Error).message}`;
      }
      break;
  }
  return error && fail(error);
}

interface Datasource {
  uid: string;
  type: string;
  jsonData?: any;
}

/** Text files of ConfigMaps, parsed as YAML/JSON where they are. */
function configFiles(objs: K8sObject[]): { cm: K8sObject; key: string; doc: any }[] {
  return objs
    .filter((o) => o.kind === 'ConfigMap')
    .flatMap((cm) =>
      Object.entries<string>(cm.data ?? {}).flatMap(([key, text]) => {
        try {
          return [{ cm, key, doc: /\.json$/.test(key) ? JSON.parse(text) : load(text) }];
        } catch {
          return [];
        }
      }),
    );
}

const isObject = (x: unknown): x is Record<string, any> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Grafana's getFormattedTags: span attributes mapped to label matchers, `label="value"` joined by ", ". */
function formattedTags(tags: { key: string; value?: string }[] | undefined): string {
  return (tags ?? []).map((t) => `${provisioningExpand(t.value || t.key)}="${SERVICE}"`).join(', ');
}

/** Queries in datasource provisioning: the links between Prometheus, Tempo and Loki. */
function datasourceQueries(where: string, ds: Datasource, typeOf: (uid: string) => string | undefined, problems: string[]): ShippedQuery[] {
  const out: ShippedQuery[] = [];
  const j = ds.jsonData ?? {};
  const at = `${where} datasource ${ds.uid}`;
  const languageOf = (uid: string, what: string): Language | undefined => {
    const type = typeOf(uid);
    const language = type === 'prometheus' ? 'promql' : type === 'loki' ? 'logql' : type === 'tempo' ? 'tempo-link' : undefined;
    if (!language) problems.push(`${at} ${what}: links to datasource ${JSON.stringify(uid)} of type ${type ?? 'unknown'}, which this check has no grammar for`);
    return language;
  };
  const t2l = j.tracesToLogsV2;
  if (t2l) {
    const language = languageOf(t2l.datasourceUid, 'tracesToLogsV2');
    const vars = { __tags: formattedTags(t2l.tags) };
    if (language && t2l.customQuery) out.push({ where: `${at} tracesToLogsV2.query`, language, raw: t2l.query ?? '', provisioning: true, vars });
    else if (language === 'logql' && (t2l.tags ?? []).length) {
      // The query Grafana builds from the tag mapping (public/app/features/explore/TraceView/createSpanLink.tsx, getQueryForLoki).
      const raw = `{\${__tags}}${t2l.filterByTraceID ? ' |="${__span.traceId}"' : ''}${t2l.filterBySpanID ? ' |="${__span.spanId}"' : ''}`;
      out.push({ where: `${at} tracesToLogsV2 (query Grafana builds from tags)`, language, raw, vars });
    }
  }
  const t2m = j.tracesToMetrics;
  if (t2m) {
    const language = languageOf(t2m.datasourceUid, 'tracesToMetrics');
    const vars = { __tags: formattedTags(t2m.tags) };
    (t2m.queries ?? []).forEach((q: any, i: number) => language && out.push({ where: `${at} tracesToMetrics.queries[${i}] (${q.name})`, language, raw: q.query, provisioning: true, vars }));
  }
  (j.derivedFields ?? []).forEach((f: any, i: number) => {
    const w = `${at} derivedFields[${i}] (${f.name})`;
    out.push({ where: `${w}.matcherRegex`, language: f.matcherType === 'label' ? 'derived-field-label-regex' : 'derived-field-regex', raw: f.matcherRegex, provisioning: true });
    if (f.datasourceUid) {
      const language = languageOf(f.datasourceUid, `derivedFields[${i}]`);
      if (language) out.push({ where: `${w}.url`, language, raw: f.url, provisioning: true, vars: {} });
    }
  });
  (j.exemplarTraceIdDestinations ?? []).forEach((d: any, i: number) => {
    out.push({ where: `${at} exemplarTraceIdDestinations[${i}].name`, language: 'prometheus-label', raw: d.name, provisioning: true });
  });
  return out;
}

/** A dashboard variable's value: its current one, else a realistic one for its name. */
function dashboardVars(d: any): Record<string, string> {
  const vars: Record<string, string> = { __dashboard: d.uid ?? 'dashboard' };
  for (const v of d.templating?.list ?? []) {
    const current = Array.isArray(v.current?.value) ? v.current.value[0] : v.current?.value;
    vars[v.name] = current || (/trace/i.test(v.name) ? TRACE_ID : /span/i.test(v.name) ? SPAN_ID : SERVICE);
  }
  return vars;
}

function dashboardQueries(where: string, d: any, typeOf: (uid: string) => string | undefined, problems: string[]): ShippedQuery[] {
  const out: ShippedQuery[] = [];
  const vars = dashboardVars(d);
  for (const v of d.templating?.list ?? []) {
    if (v.type === 'query') problems.push(`${where} variable ${v.name}: query variables are not checked yet; extend __tests__/support/queries.ts`);
  }
  const walk = (panels: any[]) => {
    for (const p of panels ?? []) {
      walk(p.panels);
      for (const t of p.targets ?? []) {
        const ds = t.datasource ?? p.datasource;
        const type = (isObject(ds) ? ds.type : undefined) ?? typeOf(isObject(ds) ? ds.uid : ds);
        const w = `${where} panel ${JSON.stringify(p.title)} target ${t.refId}`;
        if (type === 'prometheus') out.push({ where: w, language: 'promql', raw: t.expr, vars });
        else if (type === 'loki') out.push({ where: w, language: 'logql', raw: t.expr, vars });
        else if (type === 'tempo') {
          if (t.queryType === 'traceql') out.push({ where: w, language: 'traceql', raw: t.query, vars });
          else if (t.queryType === 'traceId') out.push({ where: w, language: 'tempo-link', raw: t.query, vars });
          else if (t.queryType === 'serviceMap') {
            const selectors = [t.serviceMapQuery ?? []].flat();
            selectors.forEach((s: string) => out.push({ where: `${w} serviceMapQuery`, language: 'promql', raw: s, vars }));
          } else if (!['traceqlSearch', 'nativeSearch'].includes(t.queryType) || t.query) problems.push(`${w}: Tempo queryType ${t.queryType} is not checked; extend __tests__/support/queries.ts`);
        } else if (t.expr !== undefined || t.query !== undefined) problems.push(`${w}: datasource type ${type ?? 'unknown'} has no grammar here; extend __tests__/support/queries.ts`);
      }
    }
  };
  walk(d.panels);
  return out;
}

/** Pod specs of the workloads that mount a ConfigMap. */
function mountedBy(objs: K8sObject[], configMap: string): any[] {
  return objs
    .map((o) => o.spec?.template?.spec ?? (o.kind === 'Pod' ? o.spec : undefined))
    .filter((pod) => pod && (pod.volumes ?? []).some((v: any) => v.configMap?.name === configMap || (v.projected?.sources ?? []).some((s: any) => s.configMap?.name === configMap)));
}

function ruleGroupQueries(where: string, groups: any[], language: Language): ShippedQuery[] {
  return groups.flatMap((g: any) =>
    (g.rules ?? []).map((r: any) => ({ where: `${where} group ${g.name} ${r.alert ? `alert ${r.alert}` : `record ${r.record}`}`, language, raw: String(r.expr) })),
  );
}

/** Every query in a set of rendered objects, and what could not be classified. */
export function shippedQueries(objs: K8sObject[]): { queries: ShippedQuery[]; problems: string[] } {
  const problems: string[] = [];
  const files = configFiles(objs);
  const provisioned = files.filter((f) => isObject(f.doc) && Array.isArray(f.doc.datasources));
  const types = new Map<string, string>(provisioned.flatMap((f) => (f.doc.datasources as Datasource[]).map((d) => [d.uid, d.type] as [string, string])));
  const typeOf = (uid: string) => types.get(uid);
  const queries: ShippedQuery[] = [];
  for (const f of provisioned) {
    for (const ds of f.doc.datasources as Datasource[]) queries.push(...datasourceQueries(`ConfigMap ${f.cm.metadata.name}/${f.key}`, ds, typeOf, problems));
  }
  for (const f of files.filter((x) => isObject(x.doc) && Array.isArray(x.doc.panels))) {
    queries.push(...dashboardQueries(`ConfigMap ${f.cm.metadata.name}/${f.key}`, f.doc, typeOf, problems));
  }
  for (const f of files.filter((x) => isObject(x.doc) && Array.isArray(x.doc.groups) && x.doc.groups.some((g: any) => Array.isArray(g?.rules)))) {
    const where = `ConfigMap ${f.cm.metadata.name}/${f.key}`;
    const images: string[] = mountedBy(objs, f.cm.metadata.name).flatMap((pod) => (pod.containers ?? []).map((c: any) => String(c.image)));
    if (images.some((i) => /(^|\/)loki[:@]/.test(i))) queries.push(...ruleGroupQueries(where, f.doc.groups, 'logql'));
    else if (images.some((i) => /(^|\/)prometheus[:@]/.test(i))) queries.push(...ruleGroupQueries(where, f.doc.groups, 'promql'));
    else problems.push(`${where}: a rule-group file mounted by ${images.join(', ') || 'no workload'}: cannot tell whether it holds PromQL or LogQL`);
  }
  for (const rule of objs.filter((o) => o.kind === 'PrometheusRule')) {
    queries.push(...ruleGroupQueries(`PrometheusRule ${rule.metadata.name}`, rule.spec?.groups ?? [], 'promql'));
  }
  return { queries, problems };
}
