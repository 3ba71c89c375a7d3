/**
 * config.alloy of the Alloy log agent: the same stream labels and structured metadata as Promtail's
 * promtail.yaml (lib/promtail/config.ts), from Alloy v1.18.1 components
 * (https://grafana.com/docs/alloy/latest/reference/components/):
 *
 *   discovery.kubernetes (pods of this node) → discovery.relabel (stream labels; file path in file mode)
 *   → loki.source.file (node files) | loki.source.kubernetes (API) → loki.process → loki.write (Loki's push URL)
 */
import { STRUCTURED_METADATA_FIELDS } from '../log-format';
import { podLogPathRule, RelabelRule, streamLabelRules } from '../promtail/config';
import { AlloyFile, block, Block, component, concat, env, ref } from './syntax';

/** Where Alloy reads pod logs: the kubelet's files on the node, or the API server's pods/log endpoint. */
export type AlloyLogSource = 'files' | 'api';

/** The environment variable the DaemonSet fills with spec.nodeName (the pod's own node). */
export const NODE_NAME_ENV = 'HOSTNAME';

export interface AlloyLogPipelineProps {
  readonly source: AlloyLogSource;
  /** Loki's push endpoint, from the Loki construct. */
  readonly pushUrl: string;
  /** Sent as X-Scope-OrgID when Loki runs multi-tenant. */
  readonly tenantId?: string;
  /** Whether Loki accepts structured metadata (LokiChart.structuredMetadata). */
  readonly structuredMetadata: boolean;
  /** CA that signs Loki's certificate, when Loki serves TLS. */
  readonly caFile?: string;
}

/** Prometheus relabel rules as discovery.relabel `rule` blocks (the same fields and semantics). */
function ruleBlock(r: RelabelRule): Block {
  return block('rule', { source_labels: r.source_labels, separator: r.separator, regex: r.regex, replacement: r.replacement, action: r.action, target_label: r.target_label });
}

/**
 * The stages Promtail runs (podPipelineStages), in Alloy's spelling: cri (file mode only: lines from the API
 * arrive without the CRI prefix), drop the label the source adds that Promtail's streams do not carry
 * (`filename` from loki.source.file, `instance` = "ns/pod:container" from loki.source.kubernetes), then
 * trace_id and span_id from the JSON line into structured metadata (only when Loki can store it).
 */
export function podLogStages(source: AlloyLogSource, structuredMetadata: boolean): Block[] {
  return [
    ...(source === 'files' ? [block('stage.cri')] : []),
    block('stage.label_drop', { values: [source === 'files' ? 'filename' : 'instance'] }),
    ...(structuredMetadata
      ? [
          block('stage.json', { expressions: Object.fromEntries(STRUCTURED_METADATA_FIELDS.map((f) => [f, f])) }),
          block('stage.structured_metadata', { values: Object.fromEntries(STRUCTURED_METADATA_FIELDS.map((f) => [f, ''])) }),
        ]
      : []),
  ];
}

export function alloyLogPipeline(props: AlloyLogPipelineProps): AlloyFile {
  const write = component('loki.write', 'loki', {}, [
    block('endpoint', { url: props.pushUrl, tenant_id: props.tenantId }, props.caFile ? [block('tls_config', { ca_file: props.caFile })] : []),
  ]);
  const process = component('loki.process', 'pods', { forward_to: [ref(write, 'receiver')] }, podLogStages(props.source, props.structuredMetadata));
  // The API server filters by node: each replica sees only its node's pods, whatever the cluster size.
  const discovery = component('discovery.kubernetes', 'pods', { role: 'pod' }, [
    block('selectors', { role: 'pod', field: concat('spec.nodeName=', env(NODE_NAME_ENV)) }),
  ]);
  const rules = [...streamLabelRules(), ...(props.source === 'files' ? [podLogPathRule()] : [])];
  const relabel = component('discovery.relabel', 'pods', { targets: ref(discovery, 'targets') }, rules.map(ruleBlock));
  const targets = { targets: ref(relabel, 'output'), forward_to: [ref(process, 'receiver')] };
  const source =
    props.source === 'files'
      ? // __path__ is a glob (the restart number of the file varies), so matching must be switched on.
        component('loki.source.file', 'pods', targets, [block('file_match', { enabled: true })])
      : component('loki.source.kubernetes', 'pods', targets);
  return { blocks: [block('logging', { level: 'info', format: 'logfmt' }), discovery, relabel, source, process, write] };
}
