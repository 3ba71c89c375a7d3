/**
 * loki.yaml for monolithic Loki 3.7 (`-target=all`), as a typed object serialized once with toYaml.
 * Every key here is in Loki 3.7.6's configuration reference (docs/sources/shared/configuration.md); the
 * seed's removed keys (`shared_store`, `enforce_metric_name`, `max_look_back_period`, `table_manager`) are not.
 */
import { TlsConfig } from '../config/tls';
import { serverTls, TLS_FILES } from '../k8s/tls';
import { LokiConfig, LokiSchemaPeriod } from '../config/loki';
import { LokiTiers } from './tiers';
import { LokiStorage, lokiStorage } from './object-store';
import { LOKI_RUNTIME_DIR, LOKI_RUNTIME_FILE } from './overrides';
import { LOKI_DATA_DIR } from '../topology/loki';
import { durationMs, formatDurationMs, quantityValue } from '../config/primitives';

/** The ConfigMap key (and file name) of loki.yaml; lib/diff finds the file in rendered output by it. */
export const LOKI_CONFIG_KEY = 'loki.yaml';

/**
 * Where the ruler reads rule files (ruler.storage local): one folder per tenant, each a mounted ConfigMap
 * (pkg/ruler/rulestore/local/local.go lists `<directory>/<tenant>/<file>`; a missing directory is an error on every
 * rule sync). Outside the PVC: rules come from git, not from the API.
 */
export const LOKI_RULES_DIR = '/etc/loki-rules';

/**
 * Targets that run the ruler. Only the single binary: distributed mode renders no ruler workload and no
 * rules ConfigMap, as upstream's distributed layouts do by default (ksonnet config.libsonnet `ruler_enabled:
 * false`; the Loki chart's distributed-values.yaml leaves `ruler.replicas` at 0). No rule is shipped and none
 * is configurable yet, so a ruler there would evaluate nothing; when rules become configurable, a `ruler` target
 * joins the topology (a ring member, sharded as in the single binary).
 */
export const LOKI_RULER_TARGETS: readonly string[] = ['all'];

/** The tenant Loki files everything under when auth_enabled is false (the fake-auth tenant, docs: operations/multi-tenancy.md). */
export const LOKI_SINGLE_TENANT = 'fake';

/**
 * gRPC message limit of every Loki server and of the querier's clients, in bytes: upstream's 100 MB (ksonnet
 * config.libsonnet `grpc_server_max_msg_size: 100 << 20`). dskit's server default is 4 MiB
 * (server/server.go `server.grpc-max-recv-msg-size-bytes`), below its own client default of 100 << 20
 * (grpcclient/grpcclient.go): index-gateway answers and query results above 4 MiB would fail at the server.
 */
export const GRPC_MAX_MSG_BYTES = 100 << 20;

/** Concurrent gRPC streams per client connection (ksonnet config.libsonnet; dskit's default is 100). */
const GRPC_MAX_CONCURRENT_STREAMS = 1000;

/**
 * http_server_write_timeout as a multiple of the query timeout. A query's context expires at query_timeout
 * (pkg/querier/http.go WrapQuerySpanAndTimeout) and the answer is written after that, so the write timeout must
 * be longer (dskit's default is 30s, below Loki's 1m query_timeout). The Loki chart's ratio: 600s / 300s.
 */
export const HTTP_WRITE_TIMEOUT_PER_QUERY_TIMEOUT = 2;

/**
 * ingester.wal.replay_memory_ceiling as a share of the ingesting container's memory limit. Past the ceiling a
 * replay flushes to storage instead of growing (docs operations/storage/wal.md); the default of 4 GB is above
 * most limits, so a large replay is OOM-killed, restarts and replays again. Upstream: "up to ~50% of available
 * memory" (ksonnet config.libsonnet); the docs say ~75%, but in the single binary the same process also runs
 * the querier, distributor and ruler, so the lower of the two.
 */
export const WAL_REPLAY_SHARE_OF_MEMORY_LIMIT = 0.5;

/** `<n>MB` as Loki's ByteSize reads it: datasize's MB is 2^20 bytes (vendor/github.com/c2h5oh/datasize). */
export function walReplayCeiling(memoryLimit: string): string {
  return `${Math.floor((quantityValue(memoryLimit) * WAL_REPLAY_SHARE_OF_MEMORY_LIMIT) / 2 ** 20)}MB`;
}

/** Index period: compactor retention only works on 24h index tables (operations/storage/retention.md). */
const INDEX_PERIOD = '24h';

interface ShipperDirs {
  active_index_directory: string;
  cache_location: string;
  cache_ttl?: string;
}

/**
 * Addresses and ring settings the topology gives the config (lib/topology/loki.ts, built from the chart's
 * Services): nothing here is typed, every host comes from a Service object.
 */
export interface LokiWiring {
  /** Memory limit of the pods that run the ingester (the single binary, or the ingesters): sizes the WAL replay. */
  readonly ingesterMemoryLimit: string;
  /** memberlist ring (HA single binary and distributed). */
  readonly gossip?: { readonly joinMember: string; readonly clusterLabel: string; readonly port: number; readonly replicationFactor: number };
  /** Distributed only. */
  readonly distributed?: {
    readonly compactorGrpc: string;
    readonly schedulerAddress: string;
    readonly indexGatewayAddress: string;
    readonly tailProxyUrl: string;
    readonly chunksCache?: string;
    readonly resultsCache?: string;
  };
}

/** The pod IP, expanded by Loki from the environment (`-config.expand-env=true`): the address every ring and memberlist advertise. */
export const POD_IP_ENV = 'POD_IP';

interface GrpcClientLimits {
  max_send_msg_size: number;
  max_recv_msg_size: number;
}

interface MemcachedClient {
  addresses: string;
  timeout: string;
  max_idle_conns?: number;
  consistent_hash: boolean;
}

export interface LokiYaml {
  auth_enabled: boolean;
  server: {
    http_listen_port: number;
    grpc_listen_port: number;
    log_level: string;
    http_server_write_timeout: string;
    grpc_server_max_recv_msg_size: number;
    grpc_server_max_send_msg_size: number;
    grpc_server_max_concurrent_streams: number;
    http_tls_config?: { cert_file: string; key_file: string };
  };
  common: {
    path_prefix: string;
    replication_factor: number;
    instance_addr?: string;
    ring: { instance_addr?: string; kvstore: { store: 'inmemory' | 'memberlist' } };
    compactor_grpc_address?: string;
    storage: LokiStorage;
  };
  memberlist?: { join_members: string[]; bind_port: number; cluster_label: string };
  frontend?: { scheduler_address: string; tail_proxy_url: string; tail_tls_config?: { tls_ca_path: string } };
  frontend_worker: { scheduler_address?: string; query_frontend_grpc_client: GrpcClientLimits; query_scheduler_grpc_client: GrpcClientLimits };
  ingester: {
    chunk_idle_period: string;
    chunk_retain_period: string;
    max_chunk_age: string;
    chunk_encoding: string;
    wal: { dir: string; flush_on_shutdown?: boolean; replay_memory_ceiling: string };
  };
  chunk_store_config?: { chunk_cache_config: { memcached: { batch_size: number; parallelism: number }; memcached_client: MemcachedClient } };
  query_range?: { cache_results: boolean; results_cache: { cache: { memcached_client: MemcachedClient } } };
  schema_config: {
    configs: { from: string; store: string; object_store: string; schema: string; index: { prefix: string; period: string } }[];
  };
  storage_config: { tsdb_shipper: ShipperDirs & { index_gateway_client?: { server_address: string } }; boltdb_shipper?: ShipperDirs & { index_gateway_client?: { server_address: string } } };
  ruler?: {
    storage: { type: 'local'; local: { directory: string } };
    rule_path: string;
    wal: { dir: string };
    enable_sharding?: boolean;
  };
  compactor: {
    working_directory: string;
    compaction_interval: string;
    retention_enabled: boolean;
    retention_delete_delay: string;
    delete_request_store: string;
  };
  limits_config: {
    retention_period: string;
    max_query_lookback: string;
    reject_old_samples: boolean;
    reject_old_samples_max_age: string;
    allow_structured_metadata: boolean;
    query_timeout: string;
  };
  runtime_config?: { file: string };
  analytics: { reporting_enabled: boolean };
}

/**
 * Whether Loki may store structured metadata (Promtail's trace_id). Loki refuses to start when it is allowed
 * and the ACTIVE period (the last whose `from` <= the day the pod starts, pkg/storage/config/schema_config.go
 * ActivePeriodConfig) is not tsdb + v13 (pkg/loki/validation.go validateSchemaRequirements). Synth must not
 * depend on the date it runs, so this is decided from the config alone: allowed only when every listed period
 * is tsdb + v13. While an older period is still listed (a v11 -> v13 migration), it is off, Promtail stops
 * sending structured metadata, and `| json | trace_id="..."` still finds lines because trace_id stays in
 * the JSON line. Drop the old periods once their data has aged out to turn it back on.
 */
export function structuredMetadataAllowed(periods: readonly LokiSchemaPeriod[]): boolean {
  return periods.every((p) => p.store === 'tsdb' && p.schema === 'v13');
}

export function lokiConfig(loki: LokiConfig, tiers: LokiTiers, tls: TlsConfig, wiring: LokiWiring): LokiYaml {
  const objectStore = loki.backend;
  const hasBoltdb = loki.schemaPeriods.some((p) => p.store === 'boltdb-shipper');
  const { gossip, distributed } = wiring;
  const gateway = distributed ? { index_gateway_client: { server_address: distributed.indexGatewayAddress } } : {};
  const cacheClient = (addresses: string, timeout: string): MemcachedClient => ({ addresses, timeout, max_idle_conns: 16, consistent_hash: true });
  return {
    auth_enabled: loki.authEnabled,
    server: {
      http_listen_port: loki.ports.http,
      grpc_listen_port: loki.ports.grpc,
      log_level: 'info',
      http_server_write_timeout: formatDurationMs(durationMs(loki.queryTimeout) * HTTP_WRITE_TIMEOUT_PER_QUERY_TIMEOUT),
      grpc_server_max_recv_msg_size: GRPC_MAX_MSG_BYTES,
      grpc_server_max_send_msg_size: GRPC_MAX_MSG_BYTES,
      grpc_server_max_concurrent_streams: GRPC_MAX_CONCURRENT_STREAMS,
      ...serverTls(tls),
    },
    common: {
      path_prefix: LOKI_DATA_DIR,
      ...(gossip
        ? {
            // A write needs floor(RF/2)+1 acknowledgements (dskit ring/replication_strategy.go).
            replication_factor: gossip.replicationFactor,
            // Copied into every ring and into memberlist.advertise_addr (pkg/loki/config_wrapper.go
            // applyInstanceConfigs): each pod advertises its own IP, never loopback.
            instance_addr: `\${${POD_IP_ENV}}`,
            // Anything set under common.ring is copied into every ring, so the store must be stated too
            // (dskit's default store is consul).
            ring: { kvstore: { store: 'memberlist' as const } },
            ...(distributed ? { compactor_grpc_address: distributed.compactorGrpc } : {}),
          }
        : {
            // One monolithic replica: without this, common.replication_factor (default 3) is copied into the
            // ingester ring and every push fails for want of three ingesters (pkg/loki/config_wrapper.go).
            replication_factor: 1,
            ring: { instance_addr: '127.0.0.1', kvstore: { store: 'inmemory' as const } },
          }),
      storage: lokiStorage(loki, LOKI_DATA_DIR),
    },
    ...(gossip ? { memberlist: { join_members: [gossip.joinMember], bind_port: gossip.port, cluster_label: gossip.clusterLabel } } : {}),
    ...(distributed
      ? {
          // Both sides resolve every scheduler from the headless Service (scheduler_address, not the ring).
          frontend: {
            scheduler_address: distributed.schedulerAddress,
            tail_proxy_url: distributed.tailProxyUrl,
            ...(tls.enabled ? { tail_tls_config: { tls_ca_path: TLS_FILES.ca } } : {}),
          },
        }
      : {}),
    // Queriers (in every mode: `all` runs one) send results to the frontend and take work from the scheduler
    // over these clients; pkg/querier/worker/scheduler_processor.go refuses a result at the client's
    // max_recv_msg_size. Equal to the servers' limits, so neither side is the smaller one. The newer keys, not
    // `grpc_client_config`, which Loki refuses alongside them (pkg/loki/config_wrapper.go).
    frontend_worker: {
      ...(distributed ? { scheduler_address: distributed.schedulerAddress } : {}),
      query_frontend_grpc_client: { max_send_msg_size: GRPC_MAX_MSG_BYTES, max_recv_msg_size: GRPC_MAX_MSG_BYTES },
      query_scheduler_grpc_client: { max_send_msg_size: GRPC_MAX_MSG_BYTES, max_recv_msg_size: GRPC_MAX_MSG_BYTES },
    },
    ingester: {
      chunk_idle_period: loki.ingester.chunkIdlePeriod,
      chunk_retain_period: loki.ingester.chunkRetainPeriod,
      max_chunk_age: loki.ingester.maxChunkAge,
      chunk_encoding: loki.ingester.chunkEncoding,
      // With replicas, a pod leaving flushes its chunks instead of leaving them to a WAL replay elsewhere.
      wal: { dir: `${LOKI_DATA_DIR}/wal`, ...(gossip ? { flush_on_shutdown: true } : {}), replay_memory_ceiling: walReplayCeiling(wiring.ingesterMemoryLimit) },
    },
    ...(distributed?.chunksCache
      ? {
          // Values of the Loki chart's rendered config (memcached.md): chunk fetches are large, results small.
          chunk_store_config: { chunk_cache_config: { memcached: { batch_size: 256, parallelism: 10 }, memcached_client: cacheClient(distributed.chunksCache, '2000ms') } },
        }
      : {}),
    ...(distributed?.resultsCache ? { query_range: { cache_results: true, results_cache: { cache: { memcached_client: cacheClient(distributed.resultsCache, '500ms') } } } } : {}),
    schema_config: {
      configs: loki.schemaPeriods.map((p) => ({
        from: p.from,
        store: p.store,
        object_store: objectStore,
        schema: p.schema,
        index: { prefix: p.indexPrefix, period: INDEX_PERIOD },
      })),
    },
    storage_config: {
      tsdb_shipper: {
        active_index_directory: `${LOKI_DATA_DIR}/tsdb-index`,
        cache_location: `${LOKI_DATA_DIR}/tsdb-cache`,
        cache_ttl: tiers.indexCacheTtl,
        ...gateway,
      },
      ...(hasBoltdb
        ? { boltdb_shipper: { active_index_directory: `${LOKI_DATA_DIR}/boltdb-index`, cache_location: `${LOKI_DATA_DIR}/boltdb-cache`, cache_ttl: tiers.indexCacheTtl, ...gateway } }
        : {}),
    },
    // The single binary runs the ruler (target all). Rules are read from mounted files; its scratch and WAL
    // paths default to relative folders ("ruler-wal"), which would land on the read-only root filesystem.
    // Distributed mode runs no ruler (see LOKI_RULER_TARGETS), so it gets no ruler block.
    ...(distributed
      ? {}
      : {
          ruler: {
            storage: { type: 'local' as const, local: { directory: LOKI_RULES_DIR } },
            rule_path: `${LOKI_DATA_DIR}/rules-temp`,
            wal: { dir: `${LOKI_DATA_DIR}/ruler-wal` },
            // With replicas, every pod reads the same rule files: without sharding each would evaluate (and
            // alert on) every rule. The ruler ring owns each group once (pkg/ruler/base/ruler_ring.go: replication
            // factor 1; ruler.go instanceOwnsRuleGroup) and takes memberlist from common.ring
            // (pkg/loki/config_wrapper.go applyConfigToRings).
            ...(gossip ? { enable_sharding: true } : {}),
          },
        }),
    compactor: {
      working_directory: `${LOKI_DATA_DIR}/compactor`,
      compaction_interval: '10m',
      retention_enabled: true,
      // Chunks marked for deletion are removed after this delay, so a mistaken retention change can be undone.
      retention_delete_delay: '2h',
      // Required with retention_enabled (pkg/compactor/config.go Validate): delete requests live in the same store.
      delete_request_store: objectStore,
    },
    limits_config: {
      retention_period: tiers.retentionPeriod,
      max_query_lookback: tiers.maxQueryLookback,
      reject_old_samples: true,
      reject_old_samples_max_age: loki.rejectOldSamplesMaxAge,
      allow_structured_metadata: structuredMetadataAllowed(loki.schemaPeriods),
      // Loki's own default, stated because the server's write timeout is derived from it.
      query_timeout: formatDurationMs(durationMs(loki.queryTimeout)),
    },
    // Per-tenant limits (lib/loki/overrides.ts), reloaded without a restart.
    ...(Object.keys(loki.tenants).length ? { runtime_config: { file: `${LOKI_RUNTIME_DIR}/${LOKI_RUNTIME_FILE}` } } : {}),
    // No usage reports to stats.grafana.org from inside the cluster.
    analytics: { reporting_enabled: false },
  };
}
