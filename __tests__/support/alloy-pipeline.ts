/**
 * The Alloy counterpart of promtail-pipeline.ts: evaluates a rendered config.alloy (parsed with the project's
 * own parser) for one log line of one discovered container, following the references the config declares:
 *
 *   discovery.kubernetes (role, field selector on the node) → discovery.relabel (Prometheus relabelling, the
 *   same evaluator as Promtail's) → loki.source.file | loki.source.kubernetes → loki.process stages →
 *   loki.write.
 *
 * Semantics from grafana/alloy v1.18.1: loki.source.file drops `__` labels and adds `filename` (the matched
 * file; `__path__` is a glob only with file_match.enabled); loki.source.kubernetes needs namespace, pod,
 * container and UID, drops `__` labels, defaults `job` to the component id and `instance` to
 * "ns/pod:container", and gets lines without the CRI prefix (kubetail/target.go, tailer.go); loki.process
 * starts each entry's extracted map from its labels; stage.cri adds the `stream` label (stages/cri.go);
 * stage.structured_metadata takes extracted values and moves labels of the same name (structured_metadata.go).
 * Anything else (another component, stage, operator or function) throws, so it cannot pass unevaluated.
 */
import { parseAlloy } from '../../lib/alloy/parse';
import { Binary, Block, Call, Identifier, Value } from '../../lib/alloy/syntax';
import { CRI, jmes, PipelineResult, relabel } from './promtail-pipeline';

export interface AlloyRunOptions {
  /** The node the Alloy pod runs on (its HOSTNAME env var, spec.nodeName). */
  readonly node: string;
  /** Environment variables of the Alloy container besides HOSTNAME. */
  readonly env?: Record<string, string>;
}

export interface AlloyResult extends PipelineResult {
  /** The loki.write endpoint the entry goes to. */
  endpoint: { url: string; tenantId?: string; caFile?: string };
  /** For loki.source.file, the glob it tails. */
  path?: string;
}

type Attrs = Record<string, Value>;
const attrsOf = (b: Block): Attrs => Object.fromEntries(b.body.filter((s) => s.kind === 'attr').map((s) => [s.name, (s as { value: Value }).value]));
const blocksOf = (b: Block, name?: string): Block[] => b.body.filter((s): s is Block => s.kind === 'block' && (name === undefined || s.name === name));

function evaluate(v: Value, vars: Record<string, string>): string {
  if (typeof v === 'string') return v;
  if (v instanceof Binary && v.op === '+') return evaluate(v.left, vars) + evaluate(v.right, vars);
  if (v instanceof Call && v.fn === 'sys.env' && v.args.length === 1 && typeof v.args[0] === 'string') return vars[v.args[0]] ?? '';
  throw new Error(`expression ${JSON.stringify(v)} is not evaluated by this test helper`);
}

/** The kubelet's log file for a container (its first run): /var/log/pods/<ns>_<pod>_<uid>/<container>/0.log */
export function kubeletLogFile(t: Record<string, string>): string {
  return `/var/log/pods/${t.__meta_kubernetes_namespace}_${t.__meta_kubernetes_pod_name}_${t.__meta_kubernetes_pod_uid}/${t.__meta_kubernetes_pod_container_name}/0.log`;
}

/** doublestar glob (what file_match uses): `*` and `?` stay within a path segment, `**` crosses them. */
export function globMatches(glob: string, path: string): boolean {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*|\*|\?/g, (m) => (m === '**' ? '.*' : m === '*' ? '[^/]*' : '[^/]'));
  return new RegExp(`^${re}$`).test(path);
}

/**
 * Runs one line, as the container runtime wrote it to the node (CRI format), from the container that
 * `discovered` describes (the `__meta_kubernetes_*` labels pod discovery gives it). Returns undefined when the
 * config does not ship that container's logs (another node, dropped by relabelling, file not matched).
 */
export function runAlloyPipeline(configText: string, criLine: string, discovered: Record<string, string>, opts: AlloyRunOptions): AlloyResult | undefined {
  const file = parseAlloy(configText);
  const vars = { HOSTNAME: opts.node, ...opts.env };
  const byRef = (v: Value, field: string): Block => {
    if (!(v instanceof Identifier)) throw new Error(`expected a reference, got ${JSON.stringify(v)}`);
    const id = v.path.slice(0, -2).join('.');
    const label = v.path[v.path.length - 2];
    if (v.path[v.path.length - 1] !== field) throw new Error(`reference ${v.path.join('.')}: expected the ${field} export`);
    const found = file.blocks.filter((b) => b.name === id && b.label === label);
    if (found.length !== 1) throw new Error(`reference ${v.path.join('.')} does not name one component`);
    return found[0];
  };

  const sources = file.blocks.filter((b) => b.name === 'loki.source.file' || b.name === 'loki.source.kubernetes');
  if (sources.length !== 1) throw new Error(`expected one log source component, found ${sources.length}`);
  const source = sources[0];
  const sourceArgs = attrsOf(source);

  // discovery.relabel ← discovery.kubernetes
  const relabelBlock = byRef(sourceArgs.targets, 'output');
  if (relabelBlock.name !== 'discovery.relabel') throw new Error(`${relabelBlock.name} as targets is not evaluated by this test helper`);
  const discovery = byRef(attrsOf(relabelBlock).targets, 'targets');
  if (discovery.name !== 'discovery.kubernetes' || attrsOf(discovery).role !== 'pod') throw new Error('only discovery.kubernetes with role pod is evaluated by this test helper');
  for (const selector of blocksOf(discovery, 'selectors')) {
    const sel = attrsOf(selector);
    if (sel.label !== undefined) throw new Error('label selectors are not evaluated by this test helper');
    if (sel.field === undefined) continue;
    // The only field selector pod discovery is given here: spec.nodeName=<node>.
    const m = /^spec\.nodeName=(.*)$/.exec(evaluate(sel.field, vars));
    if (!m) throw new Error(`field selector ${evaluate(sel.field, vars)} is not evaluated by this test helper`);
    if (discovered.__meta_kubernetes_pod_node_name !== m[1]) return undefined;
  }
  const rules = blocksOf(relabelBlock, 'rule').map((r) => attrsOf(r) as any);
  const target = relabel(discovered, rules);
  if (!target) return undefined;

  const publicLabels = Object.fromEntries(Object.entries(target).filter(([k]) => !k.startsWith('__')));
  let labels: Record<string, string>;
  let line: string;
  let path: string | undefined;
  if (source.name === 'loki.source.file') {
    const glob = target.__path__;
    if (!glob) return undefined;
    const match = blocksOf(source, 'file_match')[0];
    const isGlob = match !== undefined && attrsOf(match).enabled === true;
    const onDisk = kubeletLogFile(discovered);
    if (isGlob ? !globMatches(glob, onDisk) : glob !== onDisk) return undefined;
    labels = { ...publicLabels, filename: onDisk };
    line = criLine;
    path = glob;
  } else {
    const ns = target.__meta_kubernetes_namespace;
    const pod = target.__meta_kubernetes_pod_name;
    const container = target.__meta_kubernetes_pod_container_name;
    if (!ns || !pod || !container || !target.__meta_kubernetes_pod_uid) throw new Error('loki.source.kubernetes refuses a target without namespace, pod, container and UID');
    labels = { job: `loki.source.kubernetes.${source.label}`, ...publicLabels };
    if (!('instance' in publicLabels)) labels.instance = `${ns}/${pod}:${container}`;
    // The API server serves the container's output without the runtime's CRI framing.
    const cri = CRI.exec(criLine);
    line = cri ? cri.groups!.content : criLine;
  }

  const forwardTo = sourceArgs.forward_to as Value[];
  if (forwardTo.length !== 1) throw new Error('one forward_to receiver is evaluated by this test helper');
  let next = byRef(forwardTo[0], 'receiver');
  const structuredMetadata: Record<string, string> = {};
  while (next.name === 'loki.process') {
    const extracted: Record<string, unknown> = { ...labels };
    for (const stage of blocksOf(next)) {
      const args = attrsOf(stage);
      switch (stage.name) {
        case 'stage.cri': {
          const m = CRI.exec(line);
          if (!m) break; // not CRI: passed on unchanged
          if (m.groups!.flags === 'P') throw new Error('partial CRI lines are not evaluated by this test helper');
          Object.assign(extracted, { flags: m.groups!.flags, stream: m.groups!.stream, content: m.groups!.content, time: m.groups!.time });
          labels.stream = m.groups!.stream;
          line = m.groups!.content;
          break;
        }
        case 'stage.label_drop':
          for (const name of args.values as string[]) delete labels[name];
          break;
        case 'stage.label_keep':
          for (const name of Object.keys(labels)) if (!(args.values as string[]).includes(name)) delete labels[name];
          break;
        case 'stage.static_labels':
          Object.assign(labels, args.values);
          break;
        case 'stage.json': {
          if (args.source !== undefined || args.regex !== undefined) throw new Error('stage.json source/regex are not evaluated by this test helper');
          let doc: unknown;
          try {
            doc = JSON.parse(line);
          } catch {
            break; // not JSON: the stage is skipped for this line (drop_malformed is off)
          }
          for (const [name, expression] of Object.entries((args.expressions ?? {}) as Record<string, string>)) {
            const value = jmes(doc, expression || name);
            if (value === undefined || value === null) continue;
            extracted[name] = typeof value === 'string' ? value : JSON.stringify(value);
          }
          break;
        }
        case 'stage.labels':
        case 'stage.structured_metadata': {
          if (args.regex !== undefined || (args.source_type ?? 'extracted') !== 'extracted') throw new Error(`${stage.name} regex/source_type are not evaluated by this test helper`);
          for (const [name, src] of Object.entries(args.values as Record<string, string>)) {
            const from = src || name;
            if (stage.name === 'stage.labels') {
              if (typeof extracted[from] === 'string') labels[name] = extracted[from] as string;
              continue;
            }
            if (typeof extracted[from] === 'string') structuredMetadata[name] = extracted[from] as string;
            // A label named like the source moves to structured metadata (extractFromLabels).
            if (from in labels) {
              structuredMetadata[name] = labels[from];
              delete labels[from];
            }
          }
          break;
        }
        default:
          throw new Error(`${stage.name} is not evaluated by this test helper`);
      }
    }
    const out = attrsOf(next).forward_to as Value[];
    if (out.length !== 1) throw new Error('one forward_to receiver is evaluated by this test helper');
    next = byRef(out[0], 'receiver');
  }
  if (next.name !== 'loki.write') throw new Error(`${next.name} is not evaluated by this test helper`);
  const endpoints = blocksOf(next, 'endpoint');
  if (endpoints.length !== 1) throw new Error('one loki.write endpoint is evaluated by this test helper');
  const ep = attrsOf(endpoints[0]);
  const tls = blocksOf(endpoints[0], 'tls_config')[0];
  const endpoint = {
    url: ep.url as string,
    ...(ep.tenant_id !== undefined ? { tenantId: ep.tenant_id as string } : {}),
    ...(tls ? { caFile: attrsOf(tls).ca_file as string } : {}),
  };
  return { labels, structuredMetadata, line, endpoint, ...(path ? { path } : {}) };
}
