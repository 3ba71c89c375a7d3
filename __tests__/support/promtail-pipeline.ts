/**
 * A small evaluator of what a rendered promtail.yaml declares, to show which labels and structured metadata
 * one log line gets: Prometheus relabelling of the discovered target (prometheus/model/relabel), then the
 * pipeline stages Promtail 3.6 runs on each line (clients/pkg/logentry/stages). It implements only what the
 * project's config uses and throws on anything else, so a new stage or action cannot pass unevaluated.
 *
 * Not modelled: joining CRI partial (`P`) lines across calls (one call is one line) and timestamps.
 */

export interface PipelineResult {
  /** Stream labels Loki indexes. */
  labels: Record<string, string>;
  structuredMetadata: Record<string, string>;
  /** The line as sent to Loki. */
  line: string;
}

interface Rule {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  replacement?: string;
  action?: string;
  target_label?: string;
}

/** Go regexp.Expand: `$name`/`${name}` with the longest run of word characters as the name. */
function expand(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
    return value ?? '';
  });
}

/** RE2 syntax the config uses is also JavaScript syntax; Prometheus anchors relabel regexes at both ends. */
function anchored(regex: string): RegExp {
  return new RegExp(`^(?:${regex.replace(/\(\?P</g, '(?<')})$`);
}

export function relabel(discovered: Record<string, string>, rules: Rule[]): Record<string, string> | undefined {
  const labels = { ...discovered };
  for (const rule of rules) {
    const action = rule.action ?? 'replace';
    const value = (rule.source_labels ?? []).map((l) => labels[l] ?? '').join(rule.separator ?? ';');
    const match = anchored(rule.regex ?? '(.*)').exec(value);
    switch (action) {
      case 'replace': {
        if (!match) break;
        const target = expand(rule.target_label!, match);
        const result = expand(rule.replacement ?? '$1', match);
        if (result === '') delete labels[target];
        else labels[target] = result;
        break;
      }
      case 'keep':
        if (!match) return undefined;
        break;
      case 'drop':
        if (match) return undefined;
        break;
      default:
        throw new Error(`relabel action ${action} is not evaluated by this test helper`);
    }
  }
  return labels;
}

/** JMESPath subset: a plain field or a dotted path of plain fields. */
export function jmes(doc: unknown, expression: string): unknown {
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(expression)) throw new Error(`JMESPath expression ${expression} is not evaluated by this test helper`);
  let value: unknown = doc;
  for (const key of expression.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

export const CRI = /^(?<time>\S+?) (?<stream>stdout|stderr) (?<flags>\S+?) (?<content>[\s\S]*)$/;

/**
 * Runs one CRI-formatted line from a pod's log file through the first scrape config that keeps the target.
 * `discoveredLabels` are the `__meta_kubernetes_*` labels Kubernetes pod discovery gives the target.
 */
export function runPipeline(promtailConfig: any, criLine: string, discoveredLabels: Record<string, string>): PipelineResult {
  for (const scrape of promtailConfig.scrape_configs as any[]) {
    const target = relabel(discoveredLabels, scrape.relabel_configs ?? []);
    if (!target || !target.__path__) continue;

    // The file target drops `__`-prefixed labels and adds the path of the file it tails (targets/file).
    const labels: Record<string, string> = Object.fromEntries(Object.entries(target).filter(([k]) => !k.startsWith('__')));
    labels.filename = target.__path__;
    const extracted: Record<string, unknown> = {};
    const structuredMetadata: Record<string, string> = {};
    let line = criLine;

    for (const stage of scrape.pipeline_stages ?? []) {
      const [type, config] = Object.entries(stage)[0] as [string, any];
      switch (type) {
        case 'cri': {
          const m = CRI.exec(line);
          if (!m) break; // Promtail logs the mismatch and passes the line on unchanged.
          if (m.groups!.flags === 'P') throw new Error('partial CRI lines are not evaluated by this test helper');
          Object.assign(extracted, m.groups);
          labels.stream = m.groups!.stream;
          line = m.groups!.content;
          break;
        }
        case 'labeldrop':
          for (const name of config as string[]) delete labels[name];
          break;
        case 'json': {
          if (config.source) throw new Error('json stage source is not evaluated by this test helper');
          let doc: unknown;
          try {
            doc = JSON.parse(line);
          } catch {
            break; // Not JSON: Promtail skips the stage for this line (drop_malformed is off).
          }
          for (const [name, expression] of Object.entries(config.expressions as Record<string, string>)) {
            const value = jmes(doc, expression || name);
            if (value === undefined || value === null) continue;
            extracted[name] = typeof value === 'string' ? value : JSON.stringify(value);
          }
          break;
        }
        case 'labels':
        case 'structured_metadata':
          for (const [name, source] of Object.entries(config as Record<string, string | null>)) {
            const value = extracted[source ?? name];
            if (typeof value !== 'string') continue;
            if (type === 'labels') labels[name] = value;
            else {
              structuredMetadata[name] = value;
              delete labels[name]; // stages/structuredmetadata.go: a label of the same name is removed
            }
          }
          break;
        default:
          throw new Error(`pipeline stage ${type} is not evaluated by this test helper`);
      }
    }
    return { labels, structuredMetadata, line };
  }
  throw new Error('no scrape config keeps this target');
}
