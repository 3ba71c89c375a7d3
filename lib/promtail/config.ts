/**
 * promtail.yaml for Promtail 3.6 (its last release line), as a typed object serialized once with toYaml.
 * Keys from grafana/loki@v3.6.15 clients/pkg/promtail/config and clients/pkg/logentry/stages.
 */
import { STREAM_LABELS, STRUCTURED_METADATA_FIELDS } from '../log-format';

/** Where kubelet writes container logs: /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log */
export const POD_LOGS_DIR = '/var/log/pods';
/** Mount point of the writable hostPath that keeps read positions across Promtail restarts. */
export const POSITIONS_DIR = '/run/promtail';

/** Prometheus relabel rule (prometheus/model/relabel); unset fields take Prometheus's defaults. */
export interface RelabelRule {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  replacement?: string;
  action?: 'replace' | 'keep' | 'drop' | 'labelmap' | 'labeldrop' | 'labelkeep';
  target_label?: string;
}

export type PipelineStage =
  | { cri: Record<string, never> }
  | { labeldrop: string[] }
  | { json: { expressions: Record<string, string> } }
  /** metadata name -> extracted key; null means "the extracted key of the same name" (stages/labels.go). */
  | { structured_metadata: Record<string, string | null> };

export interface ScrapeConfig {
  job_name: string;
  kubernetes_sd_configs: { role: 'pod' }[];
  relabel_configs: RelabelRule[];
  pipeline_stages: PipelineStage[];
}

export interface PromtailYaml {
  server: { http_listen_port: number; grpc_listen_port: number; log_level: string };
  positions: { filename: string };
  clients: { url: string; tenant_id?: string; tls_config?: { ca_file: string } }[];
  scrape_configs: ScrapeConfig[];
}

export interface PromtailConfigProps {
  readonly httpPort: number;
  /** Loki's push endpoint, from the Loki construct. */
  readonly pushUrl: string;
  /** Sent as X-Scope-OrgID when Loki runs multi-tenant. */
  readonly tenantId?: string;
  /** Whether Loki accepts structured metadata (LokiChart.structuredMetadata); it rejects pushes carrying it otherwise. */
  readonly structuredMetadata: boolean;
  /** CA that signs Loki's certificate, when Loki serves TLS. */
  readonly caFile?: string;
}

const meta = (name: string) => `__meta_kubernetes_pod_${name}`;

/**
 * Stream labels: namespace, pod, container, app, and job.
 * `app` is the pod's app.kubernetes.io/name label, else its `app` label, else the container name (the
 * first non-empty of the three). `job` is the same value, whatever the namespace, so the seed's query
 * `{job="ybuilt-api"}` selects the logs of every pod labelled app.kubernetes.io/name=ybuilt-api; add
 * `namespace="..."` to tell environments apart. (loki-stack's `namespace/app` job would not match it.)
 */
export function podRelabelRules(): RelabelRule[] {
  return [...streamLabelRules(), podLogPathRule()];
}

/** The stream labels alone (namespace, pod, container, app, job), shared with Alloy's discovery.relabel. */
export function streamLabelRules(): RelabelRule[] {
  return [
    {
      source_labels: [meta('label_app_kubernetes_io_name'), meta('label_app'), meta('container_name')],
      // First non-empty value of the `;`-joined sources (Prometheus anchors the regex at both ends).
      regex: ';*([^;]+).*',
      target_label: STREAM_LABELS.app,
    },
    { source_labels: [STREAM_LABELS.app], target_label: STREAM_LABELS.job },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: [meta('name')], target_label: 'pod' },
    { source_labels: [meta('container_name')], target_label: 'container' },
  ];
}

/**
 * The kubelet's file for this container: /var/log/pods/*<uid>/<container>/*.log, a glob
 * (production/ksonnet/promtail/scrape_config.libsonnet in grafana/loki). Shared with Alloy's file mode.
 */
export function podLogPathRule(): RelabelRule {
  return {
    source_labels: [meta('uid'), meta('container_name')],
    separator: '/',
    replacement: `${POD_LOGS_DIR}/*$1/*.log`,
    target_label: '__path__',
  };
}

/**
 * cri: parse "<time> <stream> <flags> <content>" and join partial lines; then drop the file-path label the
 * file target adds (`filename` holds the pod uid: one more stream per pod with nothing `pod` does not say);
 * then read trace_id and span_id from the JSON line and keep them as structured metadata, never as a label (one stream per
 * trace would explode Loki's index). Field names come from the log line contract (lib/log-format.ts).
 */
export function podPipelineStages(structuredMetadata: boolean): PipelineStage[] {
  const fields = STRUCTURED_METADATA_FIELDS;
  return [
    { cri: {} },
    { labeldrop: ['filename'] },
    ...(structuredMetadata
      ? [{ json: { expressions: Object.fromEntries(fields.map((f) => [f, f])) } }, { structured_metadata: Object.fromEntries(fields.map((f) => [f, null])) }]
      : []),
  ];
}

export function promtailConfig(props: PromtailConfigProps): PromtailYaml {
  return {
    // gRPC 0: Promtail serves nothing over gRPC; 0 picks a free port instead of clashing with anything.
    server: { http_listen_port: props.httpPort, grpc_listen_port: 0, log_level: 'info' },
    positions: { filename: `${POSITIONS_DIR}/positions.yaml` },
    clients: [{ url: props.pushUrl, ...(props.tenantId ? { tenant_id: props.tenantId } : {}), ...(props.caFile ? { tls_config: { ca_file: props.caFile } } : {}) }],
    scrape_configs: [
      {
        job_name: 'kubernetes-pods',
        // Promtail itself narrows role pod to spec.nodeName=$HOSTNAME (targets/file/filetargetmanager.go):
        // the DaemonSet sets HOSTNAME from the node name.
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: podRelabelRules(),
        pipeline_stages: podPipelineStages(props.structuredMetadata),
      },
    ],
  };
}
