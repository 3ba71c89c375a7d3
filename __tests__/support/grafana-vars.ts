/**
 * What happens to a query string between our rendered output and the engine that parses it:
 *
 * 1. Provisioning files (datasources, not dashboard JSON) go through Grafana's environment expansion: the
 *    value is split on `$$` (a literal `$`), each part through Go's os.ExpandEnv, joined with `$`
 *    (grafana/grafana pkg/services/provisioning/values/values.go, interpolateValue). A variable that is not
 *    set in Grafana's environment becomes the empty string, so an unescaped `${__tags}` or `$__range` in a
 *    datasource silently vanishes; we expand with an empty environment to see exactly that.
 * 2. Grafana replaces its template variables when a query runs (public/app/features/variables/utils.ts,
 *    variableRegex): `$name`, `[[name]]`, `${name}`, `${name.fieldPath}`, `${name:format}`. We substitute
 *    realistic values; a variable we do not know is reported, not left in the query.
 */

/** W3C trace-context example ids: what Tempo and the loggers carry. */
export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const SPAN_ID = '00f067aa0ba902b7';
/** A service name as it appears in span attributes and log labels. */
export const SERVICE = 'ybuilt-api';

const isShellSpecial = (c: string) => '*#$@!?-0123456789'.includes(c);
const isAlphaNum = (c: string) => /[A-Za-z0-9_]/.test(c);

/** Go's os.ExpandEnv with an empty environment (src/os/env.go: Expand, getShellName). */
function goExpandEnv(s: string): string {
  let out = '';
  let i = 0;
  for (let j = 0; j < s.length; j++) {
    if (s[j] !== '$' || j + 1 >= s.length) continue;
    out += s.slice(i, j);
    const rest = s.slice(j + 1);
    let name = '';
    let w = 0;
    if (rest[0] === '{') {
      if (rest.length > 2 && isShellSpecial(rest[1]) && rest[2] === '}') [name, w] = [rest[1], 3];
      else {
        const close = rest.indexOf('}');
        if (close === 1) [name, w] = ['', 2];
        else if (close > 1) [name, w] = [rest.slice(1, close), close + 1];
        else [name, w] = ['', 1];
      }
    } else if (isShellSpecial(rest[0])) [name, w] = [rest[0], 1];
    else {
      while (w < rest.length && isAlphaNum(rest[w])) w++;
      name = rest.slice(0, w);
    }
    // An unset variable expands to ''; "$" not followed by a name stays; bad syntax is eaten (as Go does).
    if (name === '' && w === 0) out += '$';
    j += w;
    i = j + 1;
  }
  return out + s.slice(i);
}

/** A string value of a Grafana provisioning file as Grafana reads it. */
export function provisioningExpand(value: string): string {
  return value.split('$$').map(goExpandEnv).join('$');
}

/** Grafana's built-in variables, with the values a real query would get. */
const BUILT_IN: Record<string, string> = {
  __interval: '30s',
  __interval_ms: '30000',
  __rate_interval: '2m',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
  __auto: '30s',
  __from: '1764410000000',
  __to: '1764413600000',
  '__value.raw': TRACE_ID,
  '__value.text': TRACE_ID,
  '__value.numeric': '1',
  '__span.traceId': TRACE_ID,
  '__span.spanId': SPAN_ID,
  '__span.id': SPAN_ID,
  '__span.name': 'GET /api/jobs',
  '__trace.traceId': TRACE_ID,
  '__trace.id': TRACE_ID,
  '__field.name': SERVICE,
  '__series.name': SERVICE,
};
/** Field paths that stand for a label or attribute value: `${__field.labels.job}`, `${__span.tags["service.name"]}`. */
const ANY_VALUE = /^(__field\.labels\.|__span\.tags|__data\.fields\.)/;

// public/app/features/variables/utils.ts
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Replaces Grafana variables; `vars` adds the query's own (`__tags`, dashboard variables). */
export function substitute(query: string, vars: Record<string, string> = {}): { text: string; unknown: string[] } {
  const unknown: string[] = [];
  const text = query.replace(VARIABLE, (match, plain, bracket, _fmt, braced, fieldPath) => {
    const name = plain ?? bracket ?? braced;
    const key = fieldPath ? `${name}.${fieldPath}` : name;
    const value = vars[key] ?? BUILT_IN[key] ?? (ANY_VALUE.test(key) ? SERVICE : undefined);
    if (value === undefined) unknown.push(match);
    return value ?? match;
  });
  return { text, unknown };
}
