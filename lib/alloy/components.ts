/**
 * The Alloy components (and config blocks) this project renders, with the arguments, nested blocks and
 * exports of the pinned release, Alloy v1.18.1 (grafana/alloy tag v1.18.1, commit 6012ec4a). Kinds (attr or
 * block), required/optional and repeatability follow the `alloy:"..."` struct tags the decoder enforces
 * (syntax/vm/struct_decoder.go); the Go file of each component is named on it. Only what a per-node log
 * pipeline uses is listed: a component, argument or block missing here is refused by the structural check
 * (lib/alloy/validate.ts) until someone adds it from the release's source.
 */

export type AttrType =
  | 'string'
  | 'number'
  | 'bool'
  /** A string Go's time.ParseDuration reads ("250ms", "24h"; no "d"), or 0. */
  | 'duration'
  /** A byte size string with unit ("1MiB"), or 0. */
  | 'size'
  | 'secret'
  | 'list(string)'
  | 'map(string)'
  /** list(map(string)): discovery targets, usually a reference to another component's export. */
  | 'targets'
  /** list(capsule(LogsReceiver)): references only (`loki.write.default.receiver`), never strings. */
  | 'receivers';

export interface AttrSpec {
  readonly type: AttrType;
  readonly required?: boolean;
}

export interface BlockSpec {
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  readonly blocks?: Readonly<Record<string, NestedBlockSpec>>;
}

export interface NestedBlockSpec extends BlockSpec {
  /** Must be present whenever its parent is. */
  readonly required?: boolean;
  /** May appear more than once (in the written order). */
  readonly repeatable?: boolean;
}

export interface ComponentSpec extends BlockSpec {
  /** Fields other components may reference as `<name>.<label>.<field>`. */
  readonly exports: Readonly<Record<string, string>>;
}

const opt = (type: AttrType): AttrSpec => ({ type });
const req = (type: AttrType): AttrSpec => ({ type, required: true });

/** internal/component/common/config/types.go TLSConfig */
const TLS_CONFIG: NestedBlockSpec = {
  attrs: {
    ca_pem: opt('string'),
    ca_file: opt('string'),
    cert_pem: opt('string'),
    cert_file: opt('string'),
    key_pem: opt('secret'),
    key_file: opt('string'),
    server_name: opt('string'),
    insecure_skip_verify: opt('bool'),
    min_version: opt('string'),
  },
};

/** The HTTP client settings shared by discovery.kubernetes and loki.write endpoints (common/config/types.go), without the auth blocks we never render. */
const HTTP_CLIENT_ATTRS: Record<string, AttrSpec> = {
  bearer_token_file: opt('string'),
  proxy_url: opt('string'),
  no_proxy: opt('string'),
  proxy_from_environment: opt('bool'),
  follow_redirects: opt('bool'),
  enable_http2: opt('bool'),
};

/** A loki.process stage block: every stage.* is optional and repeatable, run in the written order. */
const stage = (attrs: Record<string, AttrSpec>): NestedBlockSpec => ({ attrs, repeatable: true });

export const COMPONENTS: Readonly<Record<string, ComponentSpec>> = {
  /** internal/component/discovery/kubernetes/kubernetes.go */
  'discovery.kubernetes': {
    attrs: { api_server: opt('string'), role: req('string'), kubeconfig_file: opt('string'), ...HTTP_CLIENT_ATTRS },
    blocks: {
      tls_config: TLS_CONFIG,
      namespaces: { attrs: { own_namespace: opt('bool'), names: opt('list(string)') } },
      selectors: { attrs: { role: req('string'), label: opt('string'), field: opt('string') }, repeatable: true },
      attach_metadata: { attrs: { node: opt('bool'), namespace: opt('bool') } },
    },
    exports: { targets: 'list(map(string))' },
  },
  /** internal/component/discovery/relabel/relabel.go, rules from internal/component/common/relabel/relabel.go */
  'discovery.relabel': {
    attrs: { targets: req('targets') },
    blocks: {
      rule: {
        repeatable: true,
        attrs: {
          source_labels: opt('list(string)'),
          separator: opt('string'),
          regex: opt('string'),
          modulus: opt('number'),
          target_label: opt('string'),
          replacement: opt('string'),
          action: opt('string'),
        },
      },
    },
    exports: { output: 'list(map(string))', rules: 'capsule(RelabelRules)' },
  },
  /** internal/component/loki/source/file/file.go */
  'loki.source.file': {
    attrs: {
      targets: req('targets'),
      forward_to: req('receivers'),
      encoding: opt('string'),
      tail_from_end: opt('bool'),
      legacy_positions_file: opt('string'),
      on_positions_file_error: opt('string'),
    },
    blocks: {
      file_watch: { attrs: { min_poll_frequency: opt('duration'), max_poll_frequency: opt('duration') } },
      file_match: { attrs: { enabled: opt('bool'), sync_period: opt('duration'), ignore_older_than: opt('duration') } },
    },
    exports: {},
  },
  /** internal/component/loki/source/kubernetes/kubernetes.go */
  'loki.source.kubernetes': {
    attrs: { targets: req('targets'), forward_to: req('receivers') },
    blocks: {
      client: { attrs: { api_server: opt('string'), kubeconfig_file: opt('string'), ...HTTP_CLIENT_ATTRS }, blocks: { tls_config: TLS_CONFIG } },
      clustering: { attrs: { enabled: req('bool') } },
    },
    exports: {},
  },
  /** internal/component/loki/process/process.go and stages/*.go */
  'loki.process': {
    attrs: { forward_to: req('receivers') },
    blocks: {
      'stage.cri': stage({ max_partial_lines: opt('number'), max_partial_line_size: opt('number'), max_partial_line_size_truncate: opt('bool') }),
      'stage.json': stage({ expressions: opt('map(string)'), regex: opt('string'), source: opt('string'), drop_malformed: opt('bool') }),
      'stage.labels': stage({ values: req('map(string)'), source_type: opt('string') }),
      'stage.static_labels': stage({ values: req('map(string)') }),
      'stage.label_drop': stage({ values: req('list(string)') }),
      'stage.label_keep': stage({ values: req('list(string)') }),
      'stage.structured_metadata': stage({ values: opt('map(string)'), regex: opt('string') }),
    },
    exports: { receiver: 'capsule(LogsReceiver)' },
  },
  /** internal/component/loki/write/write.go and types.go */
  'loki.write': {
    attrs: { external_labels: opt('map(string)'), max_streams: opt('number') },
    blocks: {
      endpoint: {
        repeatable: true,
        attrs: {
          name: opt('string'),
          url: req('string'),
          batch_wait: opt('duration'),
          batch_size: opt('size'),
          remote_timeout: opt('duration'),
          headers: opt('map(string)'),
          min_backoff_period: opt('duration'),
          max_backoff_period: opt('duration'),
          max_backoff_retries: opt('number'),
          tenant_id: opt('string'),
          retry_on_http_429: opt('bool'),
          ...HTTP_CLIENT_ATTRS,
        },
        blocks: { tls_config: TLS_CONFIG },
      },
    },
    exports: { receiver: 'capsule(LogsReceiver)' },
  },
};

/** Top-level blocks written without a label (internal/runtime/logging/options.go). */
export const CONFIG_BLOCKS: Readonly<Record<string, BlockSpec>> = {
  logging: { attrs: { level: opt('string'), format: opt('string') } },
};

/** Standard-library functions and constants the rendered configs may use (syntax/internal/stdlib/stdlib.go). */
export const STDLIB_FUNCTIONS = new Set(['sys.env', 'coalesce', 'string.format', 'string.join', 'array.concat', 'file.path_join']);
export const STDLIB_CONSTANTS = new Set(['constants.hostname', 'constants.os', 'constants.arch', 'constants.version']);
