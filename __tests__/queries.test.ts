/**
 * Every PromQL, LogQL and TraceQL query the project ships parses with the official grammars, after Grafana's
 * provisioning expansion and template-variable substitution (see support/grafana-vars.ts and
 * support/queries.ts for where queries are collected from and why).
 */
import { Environment } from '../lib/config/schema';
import { ENVIRONMENTS, env, envFrom, findObject, K8sObject, objects } from './helpers';
import { TRACE_ID, provisioningExpand, substitute } from './support/grafana-vars';
import { PROMTOOL, PROMTOOL_MISSING, promtoolProblems, promtoolRuleProblems, promtoolRuleProblemsAll } from './support/promtool';
import { asRun, checkQuery, shippedQueries, ShippedQuery } from './support/queries';

const SCENARIOS: Record<string, () => Environment> = {
  ...Object.fromEntries(ENVIRONMENTS.map((name) => [name, () => env(name)])),
  'span metrics, multi-tenant Loki and TLS': () =>
    envFrom('tempo: {backend: filesystem, metricsGenerator: {enabled: true}}\nloki: {backend: filesystem, authEnabled: true, tenantId: ybuilt}\ntls: {enabled: true, certManager: {issuerName: ca}}'),
  'no span metrics': () => envFrom('tempo: {backend: filesystem, metricsGenerator: {enabled: false}}\nloki: {backend: filesystem}'),
  // Tempo 2.10 drops leading zeros of trace ids; a boltdb-shipper period turns structured metadata off: the
  // trace → logs query and the derived field take their other forms.
  'Tempo 2.10': () => envFrom('tempo: {backend: filesystem, image: "grafana/tempo:2.10.1"}\nloki: {backend: filesystem}'),
  'Loki without structured metadata': () =>
    envFrom('tempo: {backend: filesystem}\nloki: {backend: filesystem, schemaPeriods: [{from: "2023-01-01", store: boltdb-shipper, schema: v12}, {from: "2024-01-01", store: tsdb, schema: v13}]}'),
};

const problemsOf = (objs: K8sObject[]) => {
  const { queries, problems } = shippedQueries(objs);
  return [...problems, ...queries.flatMap((q) => checkQuery(q) ?? [])];
};

describe('shipped queries parse with the official grammars', () => {
  const rendered = Object.entries(SCENARIOS).map(([name, make]) => [name, objects(make())] as const);

  test.each(rendered)('%s: every dashboard target, datasource link and rule query parses', (_name, objs) => {
    expect(problemsOf(objs)).toEqual([]);
  });

  const promql = () => rendered.flatMap(([name, objs]) => shippedQueries(objs).queries.filter((q) => q.language === 'promql').map((q) => ({ where: `${name}: ${q.where}`, text: asRun(q).text })));
  if (PROMTOOL) {
    test('every PromQL query also type-checks with Prometheus\' own parser (promtool)', () => {
      expect(promtoolProblems(promql())).toEqual([]);
    });
  } else {
    console.warn(`queries.test.ts: skipped the promtool checks: ${PROMTOOL_MISSING}`);
    test.skip(`every PromQL query also type-checks with Prometheus' own parser: ${PROMTOOL_MISSING}`, () => undefined);
  }

  (PROMTOOL ? test : test.skip)(`every PrometheusRule loads in Prometheus: templates, durations and names too (promtool${PROMTOOL ? '' : `: ${PROMTOOL_MISSING}`})`, () => {
    const rules = rendered.flatMap(([name, objs]) => objs.filter((o) => o.kind === 'PrometheusRule').map((o) => [`${name}: PrometheusRule ${o.metadata.name}`, o] as const));
    expect(rules.length).toBeGreaterThan(0);
    expect(promtoolRuleProblemsAll(rules.map(([where, o]) => [where, o.spec.groups]))).toEqual([]);
  });

  test('the check sees every kind of query the project ships', () => {
    // Guards the test above against collecting nothing: each place a query lives is found at least once.
    const all = rendered.flatMap(([, objs]) => shippedQueries(objs).queries);
    const seen = all.map((q) => `${q.language} ${q.where}`);
    const places = [
      /^promql ConfigMap grafana-dashboards\/.* panel /,
      /^logql ConfigMap grafana-dashboards\/.* panel /,
      /^traceql ConfigMap grafana-dashboards\/.* panel /,
      /^logql .* datasource tempo tracesToLogsV2/,
      /^promql .* datasource tempo tracesToMetrics\.queries\[1\]/,
      /^\S+ .* datasource loki derivedFields\[0\] .*\.matcherRegex$/,
      /^tempo-link .* datasource loki derivedFields\[0\] .*\.url$/,
      /^prometheus-label .* datasource prometheus exemplarTraceIdDestinations\[0\]\.name$/,
    ];
    expect(places.filter((p) => !seen.some((w) => p.test(w))).map(String)).toEqual([]);
  });
});

describe('the query check', () => {
  const q = (language: ShippedQuery['language'], raw: string, extra: Partial<ShippedQuery> = {}): ShippedQuery => ({ where: 'test', language, raw, vars: {}, ...extra });

  test('fails when a PromQL, LogQL or TraceQL query is malformed', () => {
    expect(checkQuery(q('promql', 'rate(http_requests_total[5m]'))).toBe(
      'test: promql "rate(http_requests_total[5m]": syntax error at offset 28: rate(http_requests_total[5m]⟨here⟩',
    );
    expect(checkQuery(q('logql', '{job="ybuilt-api"} | json | trace_id=4bf92f35'))).toMatch(/^test: logql .*: syntax error at offset 38/);
    expect(checkQuery(q('traceql', '{ span.http.status_code >= }'))).toMatch(/^test: traceql .*: syntax error/);
    // Valid in one language is not valid in another: the grammar follows the datasource.
    expect(checkQuery(q('promql', '{job="ybuilt-api"} | json'))).toMatch(/syntax error/);
    expect(checkQuery(q('logql', 'sum(rate(http_requests_total[5m]))'))).toMatch(/syntax error/);
  });

  test('fails when a rendered dashboard target is broken (end to end, through the ConfigMap)', () => {
    const objs = JSON.parse(JSON.stringify(objects(env('dev')))) as K8sObject[];
    const cm = findObject(objs, 'ConfigMap', 'grafana-dashboards');
    const file = Object.keys(cm.data).find((k) => cm.data[k].includes('"expr"') && cm.data[k].includes('"prometheus"'))!;
    const dashboard = JSON.parse(cm.data[file]);
    const target = dashboard.panels.flatMap((p: any) => p.targets).find((t: any) => t.datasource.type === 'prometheus');
    target.expr = target.expr.replace(/\)$/, '');
    cm.data[file] = JSON.stringify(dashboard);
    const problems = problemsOf(objs);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^ConfigMap grafana-dashboards/${file} panel ".+" target A: promql .*syntax error at offset`));
  });

  (PROMTOOL ? test : test.skip)(`fails when a PromQL query is well-formed but mistyped (promtool${PROMTOOL ? '' : `: ${PROMTOOL_MISSING}`})`, () => {
    // The lezer grammar accepts these; Prometheus refuses them when the query runs.
    const queries = [
      { where: 'a', text: 'rate(http_requests_total)' },
      { where: 'b', text: 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])), 1)' },
      { where: 'c', text: 'sum(rate(http_requests_total[5m]))' },
    ];
    for (const q of queries.slice(0, 2)) expect(checkQuery({ where: q.where, language: 'promql', raw: q.text })).toBeUndefined();
    const problems = promtoolProblems(queries);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^a: "rate\(http_requests_total\)": .*expected type range vector in call to function "rate", got instant vector/);
    expect(problems[1]).toMatch(/^b: .*expected 2 argument\(s\) in call to "histogram_quantile", got 3/);
  });

  (PROMTOOL ? test : test.skip)(`fails when a rule does not load in Prometheus (promtool${PROMTOOL ? '' : `: ${PROMTOOL_MISSING}`})`, () => {
    const rule = { alert: 'LokiDown', expr: 'up{job="loki"} == 0', for: '5m', annotations: { summary: '{{ $labels.job }} is down' } };
    expect(promtoolRuleProblems('ok', [{ name: 'stack', rules: [rule] }])).toEqual([]);
    // In one promtool run (as the shipped rules are checked), each bad set is named and the good ones are not.
    const problems = promtoolRuleProblemsAll([
      ['duration', [{ name: 'stack', rules: [{ ...rule, for: 'five minutes' }] }]],
      ['fine', [{ name: 'stack', rules: [rule] }]],
      ['template', [{ name: 'stack', rules: [{ ...rule, annotations: { summary: '{{ $labels.job is down' } }] }]],
      ['duplicate', [{ name: 'stack', rules: [rule] }, { name: 'stack', rules: [rule] }]],
    ]);
    expect(problems.filter((p) => p.startsWith('duration: '))).toEqual(['duration: not a valid duration string: "five minutes"']);
    expect(problems.filter((p) => p.startsWith('template: ')).join('\n')).toMatch(/^template: group "stack", rule 1, "LokiDown": annotation "summary": template: .*function "is" not defined/);
    expect(problems.filter((p) => p.startsWith('duplicate: ')).join('\n')).toMatch(/^duplicate: .*groupname: "stack" is repeated/);
    expect(problems.filter((p) => p.startsWith('fine: '))).toEqual([]);
  });

  test('fails when a provisioning file lets Grafana expand a variable from its environment', () => {
    // `$__range` in a datasource file is read as an (unset) environment variable: `[$__range]` becomes `[]`.
    expect(provisioningExpand('rate(x[$__range]) $$__range ${__tags} $${__tags} "a$"')).toBe('rate(x[]) $__range  ${__tags} "a$"');
    expect(checkQuery(q('promql', 'sum(rate(traces_spanmetrics_calls_total[$__range]))', { provisioning: true }))).toMatch(/as run: "sum\(rate\(traces_spanmetrics_calls_total\[\]\)\)".*syntax error/);
    expect(checkQuery(q('promql', 'sum(rate(traces_spanmetrics_calls_total[$$__range]))', { provisioning: true }))).toBeUndefined();
  });

  test('fails when a query uses a Grafana variable nobody defines', () => {
    expect(checkQuery(q('logql', '{job="$jobb"} |= "${__value.raw}"'))).toBe(`test: logql "{job=\\"$jobb\\"} |= \\"\${__value.raw}\\"" (as run: "{job=\\"$jobb\\"} |= \\"${TRACE_ID}\\""): unknown Grafana variable $jobb`);
    expect(substitute('{job="$job"} | json | trace_id="${trace_id}" [[job]] ${job:regex}', { job: 'ybuilt-api', trace_id: TRACE_ID }).text).toBe(
      `{job="ybuilt-api"} | json | trace_id="${TRACE_ID}" ybuilt-api ybuilt-api`,
    );
  });

  test('fails when a derived field cannot link, or an exemplar label is not a label name', () => {
    expect(checkQuery(q('derived-field-regex', '"trace_id":"[0-9a-f]{32}"'))).toMatch(/has no capture group/);
    expect(checkQuery(q('derived-field-regex', '"trace_id":"([0-9a-f]{32}"'))).toMatch(/not a JavaScript regular expression/);
    expect(checkQuery(q('derived-field-label-regex', '^trace_id($'))).toMatch(/not a JavaScript regular expression/);
    expect(checkQuery(q('derived-field-label-regex', '^trace_id$'))).toBeUndefined();
    expect(checkQuery(q('prometheus-label', 'trace-id'))).toMatch(/not a Prometheus label name/);
    expect(checkQuery(q('tempo-link', TRACE_ID))).toBeUndefined();
    expect(checkQuery(q('tempo-link', '{ trace:id = "x" '))).toMatch(/syntax error/);
  });

  test('PrometheusRule expressions and rule files in the Loki ruler ConfigMap are collected and checked (PromQL and LogQL)', () => {
    // The rendered stack, with rules where the alerting work will put them: a PrometheusRule, and a rule file in
    // the ConfigMap the Loki StatefulSet mounts for its ruler (so the LogQL classification follows the real mount).
    const objs = JSON.parse(JSON.stringify(objects(env('dev')))) as K8sObject[];
    findObject(objs, 'ConfigMap', 'loki-rules').data = {
      'rules.yaml': 'groups:\n- name: logs\n  rules:\n  - alert: Errors\n    expr: sum(rate({job="ybuilt-api"} |= "error" [5m])) > 1\n  - alert: Broken\n    expr: sum(rate({job="ybuilt-api"} |= error [5m]))\n',
    };
    objs.push({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'stack', namespace: 'observability' },
      spec: { groups: [{ name: 'tempo', rules: [{ alert: 'TempoDown', expr: 'up{job="tempo"} == 0' }, { record: 'job:x:rate5m', expr: 'sum by (job) (rate(x[5m])' }] }] },
    });
    const rules = shippedQueries(objs).queries.filter((x) => / group /.test(x.where));
    expect(rules.map((x) => `${x.language} ${x.where}`)).toEqual([
      'logql ConfigMap loki-rules/rules.yaml group logs alert Errors',
      'logql ConfigMap loki-rules/rules.yaml group logs alert Broken',
      'promql PrometheusRule stack group tempo alert TempoDown',
      'promql PrometheusRule stack group tempo record job:x:rate5m',
    ]);
    expect(problemsOf(objs).map((p) => p.split(':')[0])).toEqual(['ConfigMap loki-rules/rules.yaml group logs alert Broken', 'PrometheusRule stack group tempo record job']);
  });

  test('fails when a query cannot be classified (a rule file no engine mounts, a datasource type with no grammar)', () => {
    const objs: K8sObject[] = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orphan-rules' }, data: { 'r.yaml': 'groups: [{name: g, rules: [{alert: A, expr: up == 0}]}]' } }];
    expect(shippedQueries(objs).problems).toEqual(['ConfigMap orphan-rules/r.yaml: a rule-group file mounted by no workload: cannot tell whether it holds PromQL or LogQL']);
  });
});
