/**
 * Typed OpenTelemetry Collector (contrib v0.159.0) configurations for the two tiers of the traces gateway.
 * Keys follow the v0.159.0 component configs: the exporter type is `otlp_grpc` (`otlp` is a deprecated
 * alias), telemetry metrics use `readers` (`address` is gone), health_check listens on all interfaces so the
 * kubelet can probe it (its default is localhost:13133). Field kinds (string, duration, integer) come from the
 * Go config structs, see ./types.ts: a number cannot reach a string field (or the reverse) without a compile error.
 * https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/processor/tailsamplingprocessor/README.md
 */
import { CollectorConfig } from '../config/collector';
import { durationMs } from '../config/primitives';
import { PRIORITY_ATTRIBUTE, SamplingConfig, SERVICE_NAME_ATTRIBUTE } from '../config/sampling';
// Types only: the zod schemas behind them are not loaded at synth (they cost more than the whole collector
// chart); the tests run every rendered config through them (__tests__/otel-collector.test.ts).
import type { LeafPolicy, MemoryLimiterConfig, OtelcolConfig, TailSamplingPolicy, TelemetryConfig } from './types';

export type { TailSamplingPolicy } from './types';

const ALL_INTERFACES = '0.0.0.0';

/**
 * memory_limiter, relative to the container's memory limit: data is refused above the soft limit
 * (limit − spike = 60 %) and collected forcibly above the hard limit (80 %). The sampler's capacity check
 * (lib/topology/invariants.ts) reads the same numbers.
 */
export const MEMORY_LIMITER = { limitPercentage: 80, spikeLimitPercentage: 20 } as const;

/**
 * One salt for every probabilistic policy. The evaluator keeps a trace when FNV-1a(salt + trace id) is at most
 * rate × 2^64 (contrib internal/sampling/probabilistic.go), so with one salt the kept sets of two rates are
 * nested: a trace kept at 1% is also kept at 10%, and rates compose predictably instead of adding up.
 */
export const SAMPLING_HASH_SALT = 'grafana-stack-tail-sampling';

/** sampling_percentage is a percentage (0-100), not a ratio; round away float noise (0.1 * 100). */
const percentage = (rate: number) => Math.round(rate * 100 * 1e6) / 1e6;
const probabilistic = (name: string, rate: number): LeafPolicy => ({
  name,
  type: 'probabilistic',
  probabilistic: { hash_salt: SAMPLING_HASH_SALT, sampling_percentage: percentage(rate) },
});

/**
 * The sampling rules as tail-sampling policies. Top-level policies are OR'ed (any Sampled keeps the trace), so:
 * - errors, slow traces and `sample.priority >= 1` are kept whatever the service;
 * - a listed service is kept at its own rate: `and`(service.name is S, probabilistic rate);
 * - every other trace at `defaultRate`: `and`(service.name is none of the listed, probabilistic default). The
 *   "none of" is a string_attribute with invert_match: alone at top level its InvertNotSampled would veto the
 *   error/slow/priority keeps too (deprecated inverted decisions); inside `and` it is a plain no
 *   (internal/sampling/and.go), so it only stops the default rate from applying on top of a listed service's.
 * A trace whose spans come from several listed services is kept at the highest of their rates (the kept hash
 * ranges are nested, see SAMPLING_HASH_SALT). A listed service at rate 0 gets no policy of its own.
 */
export function samplingPolicies(sampling: SamplingConfig): TailSamplingPolicy[] {
  // Policy and sub-policy names are unique: they label the processor's per-policy metrics.
  const listed = Object.keys(sampling.services).sort();
  const policies: TailSamplingPolicy[] = [];
  if (sampling.alwaysSampleErrors) policies.push({ name: 'keep-errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } });
  // threshold_ms is an int64 compared with the trace's whole milliseconds: a sub-millisecond threshold rounds up.
  policies.push({ name: 'keep-slow', type: 'latency', latency: { threshold_ms: Math.ceil(durationMs(sampling.slowRequestThreshold)) } });
  if (sampling.honorPriority) {
    // numeric_attribute compares the attribute's integer value; both bounds set so no release's "unset bound" rule matters.
    policies.push({ name: 'keep-priority', type: 'numeric_attribute', numeric_attribute: { key: PRIORITY_ATTRIBUTE, min_value: 1, max_value: Number.MAX_SAFE_INTEGER } });
  }
  for (const service of listed) {
    const rate = sampling.services[service];
    if (rate === 0) continue;
    const name = `service-rate/${service}`;
    policies.push({
      name,
      type: 'and',
      and: { and_sub_policy: [{ name: `${name}/match`, type: 'string_attribute', string_attribute: { key: SERVICE_NAME_ATTRIBUTE, values: [service] } }, probabilistic(`${name}/rate`, rate)] },
    });
  }
  if (sampling.defaultRate > 0) {
    policies.push(
      listed.length === 0
        ? probabilistic('default-rate', sampling.defaultRate)
        : {
            name: 'default-rate',
            type: 'and',
            and: {
              and_sub_policy: [
                { name: 'default-rate/not-listed', type: 'string_attribute', string_attribute: { key: SERVICE_NAME_ATTRIBUTE, values: listed, invert_match: true } },
                probabilistic('default-rate/rate', sampling.defaultRate),
              ],
            },
          },
    );
  }
  return policies;
}

function common(collector: CollectorConfig): { extensions: OtelcolConfig['extensions']; memoryLimiter: MemoryLimiterConfig; telemetry: TelemetryConfig } {
  return {
    extensions: { health_check: { endpoint: `${ALL_INTERFACES}:${collector.ports.health}` } },
    // Refuse data before the container is OOM-killed; limits are relative to the container's memory limit.
    memoryLimiter: { check_interval: '1s', limit_percentage: MEMORY_LIMITER.limitPercentage, spike_limit_percentage: MEMORY_LIMITER.spikeLimitPercentage },
    telemetry: {
      metrics: { level: 'normal', readers: [{ pull: { exporter: { prometheus: { host: ALL_INTERFACES, port: collector.ports.metrics } } } }] },
    },
  };
}

/** Load-balancing tier: receives OTLP from applications, routes each trace by id to one sampler pod. */
export function gatewayConfig(collector: CollectorConfig, samplerHost: string): OtelcolConfig {
  const c = common(collector);
  return {
    extensions: c.extensions,
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `${ALL_INTERFACES}:${collector.ports.otlpGrpc}` },
          http: { endpoint: `${ALL_INTERFACES}:${collector.ports.otlpHttp}` },
        },
      },
    },
    processors: { memory_limiter: c.memoryLimiter },
    exporters: {
      loadbalancing: {
        routing_key: 'traceID',
        protocol: { otlp: { tls: { insecure: true } } },
        // The headless Service resolves to the sampler pods' IPs; re-resolved every 5s as pods come and go.
        // DNSResolver.Port is a Go string: a YAML number here stops the gateway at start.
        resolver: { dns: { hostname: samplerHost, port: String(collector.ports.otlpGrpc), interval: '5s', timeout: '1s' } },
      },
    },
    service: {
      extensions: ['health_check'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter'], exporters: ['loadbalancing'] } },
      telemetry: c.telemetry,
    },
  };
}

/** Sampling tier: buffers each trace for `decisionWait`, applies the policies, exports kept traces to Tempo. */
/**
 * Where the sampler sends what it keeps: one endpoint (the single binary), or every distributor behind a headless
 * Service. gRPC holds one connection to one pod, so a ClusterIP in front of autoscaled distributors feeds one of
 * them; the load-balancing exporter resolves the headless name itself every `interval` and keeps a connection per
 * pod (contrib exporter/loadbalancingexporter resolver_dns.go), so new distributors get traffic within seconds.
 * It dials pod IPs: with TLS, `serverName` is the Service name the certificate carries.
 */
export type TempoExport = { readonly endpoint: string } | { readonly discoveryHost: string; readonly port: number; readonly serverName: string };

export function samplerConfig(collector: CollectorConfig, sampling: SamplingConfig, tempo: TempoExport, tempoCaFile?: string, tempoTenantId?: string): OtelcolConfig {
  const c = common(collector);
  const client = {
    tls: tempoCaFile ? { ca_file: tempoCaFile } : { insecure: true },
    ...(tempoTenantId ? { headers: { 'X-Scope-OrgID': tempoTenantId } } : {}),
  };
  return {
    extensions: c.extensions,
    receivers: { otlp: { protocols: { grpc: { endpoint: `${ALL_INTERFACES}:${collector.ports.otlpGrpc}` } } } },
    processors: {
      memory_limiter: c.memoryLimiter,
      tail_sampling: {
        decision_wait: collector.sampler.decisionWait,
        num_traces: collector.sampler.numTraces,
        policies: samplingPolicies(sampling),
      },
      // After sampling, as the batch processor's README asks.
      batch: { timeout: '200ms', send_batch_size: 8192 },
    },
    // Verify Tempo's certificate when it serves TLS; plaintext (insecure) otherwise. The client presents no
    // certificate, so there is nothing for reload_interval to re-read (configtls reloads cert/key, not the CA).
    // Multi-tenant Tempo files each request under its X-Scope-OrgID (gRPC metadata on every export).
    exporters: 'endpoint' in tempo ? { otlp_grpc: { endpoint: tempo.endpoint, ...client } } : {
      loadbalancing: {
        // Any key spreads the load; by trace id a kept trace's spans reach one distributor together.
        routing_key: 'traceID',
        protocol: { otlp: { ...client, tls: tempoCaFile ? { ca_file: tempoCaFile, server_name_override: tempo.serverName } : { insecure: true } } },
        // DNSResolver.Port is a Go string.
        resolver: { dns: { hostname: tempo.discoveryHost, port: String(tempo.port), interval: '5s', timeout: '1s' } },
      },
    },
    service: {
      extensions: ['health_check'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling', 'batch'], exporters: ['endpoint' in tempo ? 'otlp_grpc' : 'loadbalancing'] } },
      telemetry: c.telemetry,
    },
  };
}
