/**
 * Typed OpenTelemetry Collector (contrib v0.159.0) configurations for the two tiers of the traces gateway.
 * Keys follow the v0.159.0 component configs: the exporter type is `otlp_grpc` (`otlp` is a deprecated
 * alias), telemetry metrics use `readers` (`address` is gone), health_check listens on all interfaces so the
 * kubelet can probe it (its default is localhost:13133).
 * https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/processor/tailsamplingprocessor/README.md
 */
import { CollectorConfig } from '../config/collector';
import { durationMs } from '../config/primitives';
import { SamplingConfig } from '../config/sampling';

const ALL_INTERFACES = '0.0.0.0';

export interface TailSamplingPolicy {
  name: string;
  type: 'status_code' | 'latency' | 'probabilistic';
  status_code?: { status_codes: ('ERROR' | 'OK' | 'UNSET')[] };
  latency?: { threshold_ms: number };
  probabilistic?: { sampling_percentage: number };
}

/**
 * The sampling rules as tail-sampling policies. Top-level policies are OR'ed: a trace is kept when any one
 * keeps it, so errors and slow traces are always kept and `defaultRate` applies to the rest.
 */
export function samplingPolicies(sampling: SamplingConfig): TailSamplingPolicy[] {
  return [
    ...(sampling.alwaysSampleErrors ? [{ name: 'keep-errors', type: 'status_code' as const, status_code: { status_codes: ['ERROR' as const] } }] : []),
    { name: 'keep-slow', type: 'latency', latency: { threshold_ms: durationMs(sampling.slowRequestThreshold) } },
    // sampling_percentage is a percentage (0-100), not a ratio; round away float noise (0.1 * 100).
    { name: 'probabilistic', type: 'probabilistic', probabilistic: { sampling_percentage: Math.round(sampling.defaultRate * 100 * 1e6) / 1e6 } },
  ];
}

function common(collector: CollectorConfig) {
  return {
    extensions: { health_check: { endpoint: `${ALL_INTERFACES}:${collector.ports.health}` } },
    // Refuse data before the container is OOM-killed; limits are relative to the container's memory limit.
    memoryLimiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
    telemetry: {
      metrics: { level: 'normal', readers: [{ pull: { exporter: { prometheus: { host: ALL_INTERFACES, port: collector.ports.metrics } } } }] },
    },
  };
}

/** Load-balancing tier: receives OTLP from applications, routes each trace by id to one sampler pod. */
export function gatewayConfig(collector: CollectorConfig, samplerHost: string): Record<string, unknown> {
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
        resolver: { dns: { hostname: samplerHost, port: collector.ports.otlpGrpc, interval: '5s', timeout: '1s' } },
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
export function samplerConfig(collector: CollectorConfig, sampling: SamplingConfig, tempoOtlpGrpc: string, tempoCaFile?: string, tempoTenantId?: string): Record<string, unknown> {
  const c = common(collector);
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
    // Verify Tempo's certificate when it serves TLS; plaintext (insecure) otherwise.
    // Multi-tenant Tempo files each request under its X-Scope-OrgID (gRPC metadata on every export).
    exporters: {
      otlp_grpc: {
        endpoint: tempoOtlpGrpc,
        tls: tempoCaFile ? { ca_file: tempoCaFile } : { insecure: true },
        ...(tempoTenantId ? { headers: { 'X-Scope-OrgID': tempoTenantId } } : {}),
      },
    },
    service: {
      extensions: ['health_check'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter', 'tail_sampling', 'batch'], exporters: ['otlp_grpc'] } },
      telemetry: c.telemetry,
    },
  };
}
