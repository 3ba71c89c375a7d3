/**
 * Every image the stack runs, pinned in one place so a person or a bot bumps a version here only.
 * Environment files may override a component's `image`; the schema defaults come from this map.
 */
export const IMAGES = {
  tempo: 'grafana/tempo:3.0.3',
  loki: 'grafana/loki:3.7.6',
  promtail: 'grafana/promtail:3.6.15',
  alloy: 'grafana/alloy:v1.18.1',
  grafana: 'grafana/grafana:13.2.0',
  otelCollector: 'otel/opentelemetry-collector-contrib:0.159.0',
} as const;

/** memcached for Loki's and Tempo's caches in distributed mode: the pins both community charts use (Loki 18.11.0, tempo-distributed 3.3.0). */
export const CACHE_IMAGES = {
  memcached: 'memcached:1.6.45-alpine',
  exporter: 'prom/memcached-exporter:v0.17.0',
} as const;

/**
 * Grafana's rollout-operator (Apache-2.0), which rolls distributed Tempo's live-store zones one at a time
 * (charts/rollout-operator.ts); the release its Helm chart and jsonnet pin (operations/rollout-operator/images.libsonnet).
 */
export const OPERATOR_IMAGES = {
  rolloutOperator: 'grafana/rollout-operator:v0.38.1',
} as const;
