/**
 * tempo.yaml as a typed object, for the release line the image pins. Tempo refuses to start on an unknown key,
 * so each form holds only keys its release parses (checked against the 3.0.3 and 2.10.8 key lists):
 * - 3.x: the ingester became `live_store`, the compactor `backend_scheduler` + `backend_worker`;
 *   retention is read from `backend_worker.compaction.block_retention` (the scheduler's copy is parsed but
 *   never used for retention) and from the per-tenant `overrides.defaults.compaction.block_retention`.
 *   https://grafana.com/docs/tempo/latest/set-up-for-tracing/setup-tempo/upgrade/
 * - 2.x: `ingester` and `compactor.compaction.block_retention`.
 * Both use the scoped `overrides.defaults.*` form (3.0 refuses the legacy flat one).
 *
 * Compression: Tempo has no block compression setting any more: vParquet4 blocks are always compressed with
 * snappy (the v2 block format and its `v2_encoding` are gone in 3.0 and unused by vParquet4 in 2.x), so the
 * seed's "enable gzip" has nothing to set and nothing is rendered for it.
 */
import { KafkaConfig } from '../config/deployment';
import { TempoConfig } from '../config/tempo';
import { TlsConfig } from '../config/tls';
import { otlpServerTls, serverTls } from '../k8s/tls';
import { TRACE_ID_LABEL } from '../log-format';
import { tempoStorage } from './object-store';
import { TEMPO_OVERRIDES_DIR, TEMPO_OVERRIDES_FILE } from './overrides';
import { TEMPO_DATA_DIR } from '../topology/tempo';

/** The ConfigMap key (and file name) of tempo.yaml; lib/diff finds the file in rendered output by it. */
export const TEMPO_CONFIG_KEY = 'tempo.yaml';
/** How long an INACTIVE, ownerless partition stays in the ring (live_store.partition_ring.delete_inactive_partition_after; upstream's jsonnet downscale_delay). */
export const LIVE_STORE_DOWNSCALE_DELAY = '35m';
/** Owners a new partition waits for before it goes ACTIVE (see tempoConfig). */
export const LIVE_STORE_MIN_PARTITION_OWNERS = 1;

/**
 * Whether this release line can pad trace ids in its answers to 32 hex digits
 * (modules/overrides/config.go ReadOverrides.LeftPadTraceIDs exists in 3.x; 2.10 has no such setting).
 */
export const padsTraceIds = (major: 2 | 3): boolean => major === 3;

export interface TempoConfigInputs {
  readonly tempo: TempoConfig;
  readonly major: 2 | 3;
  /** Prometheus remote-write URL for the metrics-generator. */
  readonly remoteWriteUrl: string;
  readonly tls: TlsConfig;
  /** Distributed mode: Kafka, the ring and the addresses, all from the topology's Services. */
  readonly distributed?: TempoDistributedWiring;
}

export interface TempoDistributedWiring {
  readonly kafka: KafkaConfig;
  /** block_builder.partitions_per_instance: the pod with ordinal k consumes partitions k·P … k·P+P-1 (modules/blockbuilder/config.go). */
  readonly partitionsPerBlockBuilder: number;
  readonly gossip: { readonly joinMember: string; readonly clusterLabel: string; readonly port: number };
  readonly frontendAddress: string;
  readonly backendSchedulerAddress: string;
  readonly cache?: string;
}

export function tempoConfig({ tempo, major, remoteWriteUrl, tls, distributed }: TempoConfigInputs): Record<string, unknown> {
  const dir = (sub: string) => `${TEMPO_DATA_DIR}/${sub}`;
  const { ingestion, retention } = tempo;
  // OpenTelemetry receiver TLS settings (configtls.ServerConfig), re-read as cert-manager renews them.
  const receiverTls = otlpServerTls(tls);
  // Unset: the release's own default (3.x live_store 50 MiB, livestore/config.go; 2.x ingester 500 MiB, ingester/config.go).
  const maxBlockBytes = ingestion.maxBlockBytes !== undefined ? { max_block_bytes: ingestion.maxBlockBytes } : {};

  const storage = {
    trace: {
      ...tempoStorage(tempo, dir('blocks')),
      wal: { path: dir('wal') },
      block: { version: 'vParquet4' },
      pool: { max_workers: tempo.pool.maxWorkers, queue_depth: tempo.pool.queueDepth },
    },
  };

  const ingest =
    major === 3
      ? {
          live_store: {
            max_trace_idle: ingestion.traceIdlePeriod,
            max_trace_live: ingestion.traceLivePeriod,
            ...maxBlockBytes,
            max_block_duration: ingestion.maxBlockDuration,
            wal: { path: dir('live-store/traces') },
            shutdown_marker_dir: dir('live-store/shutdown-marker'),
          },
          backend_scheduler: { local_work_path: dir('backend-scheduler') },
          backend_worker: {
            ...(distributed
              ? {
                  backend_scheduler_addr: distributed.backendSchedulerAddress,
                  // Tenant blocklist polling is sharded over workers only with a ring (compaction.md).
                  ring: { kvstore: { store: 'memberlist' } },
                }
              : {}),
            compaction: { block_retention: retention.warm },
          },
        }
      : {
          ingester: {
            trace_idle_period: ingestion.traceIdlePeriod,
            trace_live_period: ingestion.traceLivePeriod,
            ...maxBlockBytes,
            max_block_duration: ingestion.maxBlockDuration,
          },
          compactor: { compaction: { block_retention: retention.warm } },
        };

  const d = distributed;
  const scaleOut = d
    ? {
        // The team creates the topic with the stated partitions; Tempo must neither create it nor change the
        // brokers' num.partitions (auto_create_topic_default_partitions defaults to 1000, pkg/ingest/config.go).
        ingest: { kafka: { address: d.kafka.address, topic: d.kafka.topic, auto_create_topic_enabled: false, auto_create_topic_default_partitions: 0 } },
        memberlist: { join_members: [d.gossip.joinMember], bind_port: d.gossip.port, cluster_label: d.gossip.clusterLabel },
        // Defaults to 0, which fails validation (modules/blockbuilder/config.go).
        block_builder: { partitions_per_instance: d.partitionsPerBlockBuilder },
        querier: { frontend_worker: { frontend_address: d.frontendAddress } },
        ...(d.cache
          ? {
              cache: {
                caches: [{ roles: ['bloom', 'parquet-footer', 'frontend-search'], memcached: { addresses: d.cache, timeout: '500ms', max_idle_conns: 16, consistent_hash: true } }],
              },
            }
          : {}),
      }
    : {};
  // - delete_inactive_partition_after: a partition marked INACTIVE for a scale-down whose live-stores are gone
  //   has no owner, and every live-store query fails on it (dskit ring/partition_instance_ring.go) until it is
  //   deleted: 13h by default (livestore/partition_ring.go). Upstream's jsonnet uses 35m and keeps the pod that
  //   long (rollout-operator delayed downscale); the README's scale-down procedure waits the same time.
  // - min_partition_owners_count 1: a new partition (fresh install, scale-up) goes ACTIVE once one zone owns it.
  //   With one per zone required, a zone down at that moment (pinZones: a real zone outage) keeps it PENDING and
  //   distributors write to ACTIVE partitions only: a fresh install would ingest nothing. The late zone loses no
  //   data (it consumes the partition from Kafka when it joins); upstream keeps the same default.
  const liveStoreRing = d ? { partition_ring: { min_partition_owners_count: LIVE_STORE_MIN_PARTITION_OWNERS, delete_inactive_partition_after: LIVE_STORE_DOWNSCALE_DELAY } } : {};

  return {
    // Every request carries X-Scope-OrgID; without it everything is filed under "single-tenant".
    ...(tempo.authEnabled ? { multitenancy_enabled: true } : {}),
    stream_over_http_enabled: true,
    server: { http_listen_port: tempo.ports.http, grpc_listen_port: tempo.ports.grpc, ...serverTls(tls) },
    distributor: {
      receivers: {
        otlp: {
          protocols: {
            // Receivers bind to localhost unless told otherwise.
            grpc: { endpoint: `0.0.0.0:${tempo.ports.otlpGrpc}`, ...receiverTls },
            http: { endpoint: `0.0.0.0:${tempo.ports.otlpHttp}`, ...receiverTls },
          },
        },
      },
    },
    ...scaleOut,
    ...(major === 3 && d ? { ...ingest, live_store: { ...(ingest as { live_store: object }).live_store, ...liveStoreRing } } : ingest),
    query_frontend: { search: { max_duration: retention.hot } },
    ...(tempo.metricsGenerator.enabled
      ? { metrics_generator: { storage: { path: dir('generator/wal'), remote_write: [{ url: remoteWriteUrl, send_exemplars: true }] } } }
      : {}),
    storage,
    overrides: {
      ...(Object.keys(tempo.tenants).length ? { per_tenant_override_config: `${TEMPO_OVERRIDES_DIR}/${TEMPO_OVERRIDES_FILE}` } : {}),
      defaults: {
        // Distributed: each distributor enforces limit / healthy distributors (its ring, distributor.go), so the
        // tenant's rate stays what is set while the autoscaler adds distributors and the sampler spreads spans
        // over all of them. The default `local` lets every distributor take the whole rate: the limit would grow
        // with the replica count. One binary has one distributor: nothing to divide.
        ingestion: { max_traces_per_user: tempo.limits.maxTracesPerUser, ...(d ? { rate_strategy: 'global' } : {}) },
        global: { max_bytes_per_trace: tempo.limits.maxBytesPerTrace },
        compaction: { block_retention: retention.warm },
        // Trace ids in search and query results keep their leading zeros, so they match the 32 hex digits the logs carry.
        ...(padsTraceIds(major) ? { read: { left_pad_trace_ids: true } } : {}),
        ...(tempo.metricsGenerator.enabled
          ? // Exemplars are labelled with the name Grafana's Prometheus datasource links by (default "traceID").
            { metrics_generator: { processors: ['service-graphs', 'span-metrics'], trace_id_label_name: TRACE_ID_LABEL } }
          : {}),
      },
    },
    usage_report: { reporting_enabled: false },
  };
}
