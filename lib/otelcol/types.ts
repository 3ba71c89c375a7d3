/**
 * The collector's configuration as the pinned release decodes it: one zod schema per Go config struct of every
 * component the gateway uses, so the TypeScript type of each builder's output (compile time) and the check the
 * tests run on every rendered config come from the same definition. Synth imports the types only. The collector decodes YAML with mapstructure, strictly typed: a YAML
 * number in a Go `string` field (or the reverse) is a config error and the process exits at start. So every
 * field here has the Go field's kind, and only the fields we render are listed (strict objects: an unlisted key
 * is a bug in a builder, not a setting).
 *
 * Upstream files read (core at tag v0.159.0 unless noted; contrib files at recent commits, see each comment):
 * - config/confignet/confignet.go (AddrConfig), config/configgrpc/configgrpc.go (ServerConfig, ClientConfig),
 *   config/confighttp/server.go (ServerConfig), config/configtls/generated_config.go (Config, ClientConfig,
 *   ServerConfig), receiver/otlpreceiver/config.go, internal/memorylimiter/config.go,
 *   processor/batchprocessor/config.go, exporter/otlpexporter/config.go,
 *   service/telemetry/otelconftelemetry/config.go (MetricsConfigV030, readers from go.opentelemetry.io/contrib/otelconf).
 * - contrib processor/tailsamplingprocessor/config.go and internal/sampling/{probabilistic,numeric_tag_filter,
 *   string_tag_filter,and,latency,status_code}.go; exporter/loadbalancingexporter/config.go (DNSResolver.Port is a
 *   `string`); extension/healthcheckextension (internal/healthcheck/config.go: confighttp.ServerConfig squashed).
 */
import { z } from 'zod';
import { duration } from '../config/primitives';

// Go kinds. `time.Duration` fields take a Go duration string ("5s"); a bare number would be read as nanoseconds.
const goString = z.string();
const goDuration = duration;
const goBool = z.boolean();
const goFloat64 = z.number();
const goInt = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);
/** int64 as far as a JavaScript number is exact (±2^53-1); YAML gets the integer digits, which Go parses into int64. */
const goInt64 = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const goUint32 = z.number().int().min(0).max(2 ** 32 - 1);
const goUint64 = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** `host:port` strings (confignet.AddrConfig.Endpoint, configgrpc.ClientConfig.Endpoint). */
const endpoint = goString.regex(/^[^\s:]+:\d{1,5}$/);

/** configtls.Config (the part shared by client and server): paths, and how often to re-read cert and key. */
const tlsConfigFields = {
  ca_file: goString.optional(),
  cert_file: goString.optional(),
  key_file: goString.optional(),
  min_version: goString.optional(),
  /** Re-reads cert_file/key_file this often (configtls certReloader); the CA pool is read once. */
  reload_interval: goDuration.optional(),
};
const tlsClient = z.strictObject({ ...tlsConfigFields, insecure: goBool.optional(), server_name_override: goString.optional() });
/**
 * A receiver serving a certificate must re-read it (cert-manager renews it in place; without reload_interval
 * configtls keeps the first one until the process restarts). The gateway's receivers serve no TLS today; this
 * keeps a future TLS block from forgetting it.
 */
const tlsServer = z
  .strictObject({ ...tlsConfigFields, client_ca_file: goString.optional() })
  .refine((t) => !t.cert_file || t.reload_interval, { path: ['reload_interval'], message: 'missing: a receiver serving cert_file must re-read it (reload_interval)' });

/** receiver/otlpreceiver/config.go: Protocols{GRPC configgrpc.ServerConfig, HTTP HTTPConfig{confighttp.ServerConfig}}. */
const otlpReceiver = z.strictObject({
  protocols: z.strictObject({
    grpc: z.strictObject({ endpoint, tls: tlsServer.optional(), max_recv_msg_size_mib: goInt.optional() }).optional(),
    http: z.strictObject({ endpoint, tls: tlsServer.optional() }).optional(),
  }),
});

/** internal/memorylimiter/config.go: check_interval Duration; the limits are uint32. */
const memoryLimiter = z.strictObject({
  check_interval: goDuration,
  limit_mib: goUint32.optional(),
  spike_limit_mib: goUint32.optional(),
  limit_percentage: goUint32.max(100).optional(),
  spike_limit_percentage: goUint32.max(100).optional(),
});

/** processor/batchprocessor/config.go: timeout Duration, send_batch_size / send_batch_max_size uint32. */
const batch = z.strictObject({ timeout: goDuration, send_batch_size: goUint32, send_batch_max_size: goUint32.optional() });

// ---- tail_sampling (contrib processor/tailsamplingprocessor/config.go and internal/sampling/*.go)
const statusCode = z.enum(['OK', 'ERROR', 'UNSET']);
/** The leaf policies we emit; each `type` carries the block of the same name (PolicyCfg / AndSubPolicyCfg). */
const leafPolicies = [
  z.strictObject({ name: goString, type: z.literal('status_code'), status_code: z.strictObject({ status_codes: z.array(statusCode).min(1) }) }),
  // LatencyCfg.ThresholdMs int64: trace duration (earliest start to latest end) in ms >= threshold_ms.
  z.strictObject({ name: goString, type: z.literal('latency'), latency: z.strictObject({ threshold_ms: goInt64 }) }),
  // NumericAttributeCfg: key string, min_value/max_value int64 (compared with the attribute's Int()).
  z.strictObject({
    name: goString,
    type: z.literal('numeric_attribute'),
    numeric_attribute: z.strictObject({ key: goString, min_value: goInt64, max_value: goInt64, invert_match: goBool.optional() }),
  }),
  // ProbabilisticCfg: hash_salt string, sampling_percentage float64 (0..100, a percentage, not a ratio).
  z.strictObject({
    name: goString,
    type: z.literal('probabilistic'),
    probabilistic: z.strictObject({ hash_salt: goString, sampling_percentage: goFloat64.min(0).max(100) }),
  }),
  // StringAttributeCfg: key string, values []string, invert_match bool.
  z.strictObject({
    name: goString,
    type: z.literal('string_attribute'),
    string_attribute: z.strictObject({ key: goString, values: z.array(goString).min(1), invert_match: goBool.optional() }),
  }),
] as const;
const leafPolicy = z.discriminatedUnion('type', [...leafPolicies]);
/** AndCfg{and_sub_policy []AndSubPolicyCfg}: sampled only when every sub-policy samples (internal/sampling/and.go). */
const andPolicy = z.strictObject({ name: goString, type: z.literal('and'), and: z.strictObject({ and_sub_policy: z.array(leafPolicy).min(1) }) });
export const tailSamplingPolicy = z.discriminatedUnion('type', [...leafPolicies, andPolicy]);
export type TailSamplingPolicy = z.infer<typeof tailSamplingPolicy>;
export type LeafPolicy = z.infer<typeof leafPolicy>;

/** Config: decision_wait Duration, num_traces uint64, policies []PolicyCfg. */
const tailSampling = z.strictObject({ decision_wait: goDuration, num_traces: goUint64.min(1), policies: z.array(tailSamplingPolicy).min(1) });

/**
 * exporter/otlpexporter/config.go squashes configgrpc.ClientConfig: endpoint string, tls configtls.ClientConfig,
 * headers configopaque.MapList (map form accepted: name → value, sent as gRPC metadata).
 */
const otlpGrpcExporter = z.strictObject({ endpoint: endpoint.optional(), tls: tlsClient, headers: z.record(goString, goString).optional() });

/**
 * contrib exporter/loadbalancingexporter/config.go: Protocol{OTLP otlpexporter.Config}, ResolverSettings{DNS
 * *DNSResolver{Hostname string, Port string, Interval, Timeout time.Duration}}, RoutingKey string.
 */
const loadbalancingExporter = z.strictObject({
  routing_key: z.enum(['traceID', 'service', 'resource', 'metric', 'streamID', 'attributes']),
  protocol: z.strictObject({ otlp: otlpGrpcExporter }),
  resolver: z.strictObject({
    dns: z.strictObject({ hostname: goString, port: goString.regex(/^\d{1,5}$/), interval: goDuration, timeout: goDuration }),
  }),
});

/** extension/healthcheckextension: confighttp.ServerConfig squashed, so `endpoint` is a host:port string. */
const healthCheck = z.strictObject({ endpoint });

/** service/config.go; telemetry.metrics is MetricsConfigV030 (level, readers from otelconf: Prometheus{Host *string, Port *int}). */
const service = z.strictObject({
  extensions: z.array(goString),
  pipelines: z.strictObject({
    traces: z.strictObject({ receivers: z.array(goString).min(1), processors: z.array(goString), exporters: z.array(goString).min(1) }),
  }),
  telemetry: z.strictObject({
    metrics: z.strictObject({
      level: z.enum(['none', 'basic', 'normal', 'detailed']),
      readers: z.array(z.strictObject({ pull: z.strictObject({ exporter: z.strictObject({ prometheus: z.strictObject({ host: goString, port: goInt.min(1).max(65535) }) }) }) })),
    }),
  }),
});

/** A whole collector config file: only the component types the two tiers use. */
export const otelcolConfig = z.strictObject({
  extensions: z.strictObject({ health_check: healthCheck }),
  receivers: z.strictObject({ otlp: otlpReceiver }),
  processors: z.strictObject({ memory_limiter: memoryLimiter, tail_sampling: tailSampling.optional(), batch: batch.optional() }),
  exporters: z.strictObject({ loadbalancing: loadbalancingExporter.optional(), otlp_grpc: otlpGrpcExporter.optional() }),
  service,
});
export type OtelcolConfig = z.infer<typeof otelcolConfig>;
export type MemoryLimiterConfig = z.infer<typeof memoryLimiter>;
export type TelemetryConfig = z.infer<typeof service>['telemetry'];

/**
 * Checks a built config against the upstream field kinds and returns it unchanged. A failure is a bug in a
 * builder, reported with the key path.
 */
export function checkedOtelcolConfig(config: OtelcolConfig): OtelcolConfig {
  const result = otelcolConfig.safeParse(config);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`collector config does not match the v0.159.0 field types:\n${lines.join('\n')}`);
  }
  return config;
}
