/**
 * Starting replicas and resources per component, from upstream's sizing guidance; every number can be
 * overridden per component in config (`<engine>.deployment.components.<name>`).
 *
 * Loki: docs/sources/setup/size/_index.md (v3.7.6), requests at p90 per tier: < 3 TB/day, 3-30 TB/day,
 * ~30 TB/day. Upstream gives requests only; the memory limit here is twice the request, the ratio the
 * single binary already uses, so a query burst has room before the OOM killer.
 * Tempo: docs/sources/tempo/set-up-for-tracing/setup-tempo/plan/size.md (v3.0.3): distributor 1 per 10 MB/s
 * (2 CPU, 2 GB), live-store 1 per 6-10 MB/s (1 CPU, 4-20 GB), block-builder 1 per partition (0.5 CPU,
 * 5-10 GB), querier 1 per 1-2 MB/s, query-frontend 2, backend-scheduler 1 (0.5 CPU, 1-2 GB), backend-worker
 * 0.5 CPU, 1-2 GB. Tiers here are those rules applied at 10, 50 and 200 MB/s.
 */
import { LokiComponent, Size, TempoComponent } from '../config/deployment';
import { Resources } from '../config/primitives';

export interface Sizing {
  readonly replicas: number;
  readonly resources: Resources;
  readonly storageGiB?: number;
}

const r = (cpu: string, memoryGi: number): Resources => ({ cpu, memory: `${memoryGi}Gi`, memoryLimit: `${memoryGi * 2}Gi` });
const rMi = (cpu: string, memoryMi: number): Resources => ({ cpu, memory: `${memoryMi}Mi`, memoryLimit: `${memoryMi * 2}Mi` });

export const LOKI_SIZES: Record<Size, Record<LokiComponent, Sizing>> = {
  small: {
    ingester: { replicas: 6, resources: r('2', 4), storageGiB: 50 },
    distributor: { replicas: 4, resources: rMi('2', 512) },
    'index-gateway': { replicas: 4, resources: r('500m', 2), storageGiB: 50 },
    querier: { replicas: 10, resources: r('1', 1) },
    'query-frontend': { replicas: 2, resources: r('1', 2) },
    'query-scheduler': { replicas: 2, resources: rMi('1', 512) },
    compactor: { replicas: 1, resources: r('2', 10), storageGiB: 50 },
  },
  medium: {
    ingester: { replicas: 90, resources: r('2', 6), storageGiB: 100 },
    distributor: { replicas: 40, resources: r('2', 1) },
    'index-gateway': { replicas: 10, resources: r('500m', 4), storageGiB: 100 },
    querier: { replicas: 100, resources: rMi('1500m', 2048) },
    'query-frontend': { replicas: 8, resources: r('1', 2) },
    'query-scheduler': { replicas: 2, resources: rMi('1', 512) },
    compactor: { replicas: 1, resources: r('6', 20), storageGiB: 100 },
  },
  large: {
    ingester: { replicas: 150, resources: r('4', 8), storageGiB: 150 },
    distributor: { replicas: 100, resources: r('2', 1) },
    'index-gateway': { replicas: 20, resources: r('1', 4), storageGiB: 150 },
    querier: { replicas: 250, resources: rMi('1500m', 3072) },
    'query-frontend': { replicas: 16, resources: r('1', 4) },
    'query-scheduler': { replicas: 2, resources: rMi('2', 512) },
    compactor: { replicas: 1, resources: r('6', 40), storageGiB: 150 },
  },
};

/** Upper bound of each Loki tier in GB/day (docs: < 3 TB/day, 3-30 TB/day, ~30 TB/day and beyond). */
export const LOKI_TIER_GB_PER_DAY: Record<Size, number> = { small: 3_000, medium: 30_000, large: Infinity };

export function lokiSizeFor(ingestGBPerDay: number): Size {
  return (Object.keys(LOKI_TIER_GB_PER_DAY) as Size[]).find((s) => ingestGBPerDay <= LOKI_TIER_GB_PER_DAY[s])!;
}

/** Ingest rate each Tempo tier is sized for, MB/s. */
export const TEMPO_TIER_MB_PER_S: Record<Size, number> = { small: 10, medium: 50, large: 200 };

/** Upstream's per-replica throughput rules (size.md), MB/s per pod. */
export const TEMPO_MB_PER_S_PER_POD = { distributor: 10, 'live-store': 8, querier: 2 } as const;

export function tempoSizing(mbPerSecond: number): Record<TempoComponent, Sizing> {
  const per = (c: keyof typeof TEMPO_MB_PER_S_PER_POD, min: number) => Math.max(min, Math.ceil(mbPerSecond / TEMPO_MB_PER_S_PER_POD[c]));
  const liveStores = per('live-store', 2);
  const big = mbPerSecond > TEMPO_TIER_MB_PER_S.small;
  return {
    distributor: { replicas: per('distributor', 2), resources: r('2', 2) },
    // Per zone; the partitions of the Kafka topic must cover them.
    'live-store': { replicas: liveStores, resources: r('1', big ? 10 : 4), storageGiB: 10 },
    // One per partition group; partitions_per_instance is derived from tempo.kafka.partitions.
    'block-builder': { replicas: liveStores, resources: r('500m', 5) },
    querier: { replicas: Math.min(per('querier', 2), 100), resources: r('1', big ? 10 : 4) },
    'query-frontend': { replicas: 2, resources: r('1', 4) },
    'backend-scheduler': { replicas: 1, resources: r('500m', 1), storageGiB: 1 },
    'backend-worker': { replicas: Math.max(2, Math.ceil(mbPerSecond / 25)), resources: r('500m', 1) },
    'metrics-generator': { replicas: 2, resources: r('1', 2), storageGiB: 10 },
  };
}

/** memcached per upstream: Loki chunks `-m 4096 -I 2m`, results `-m 1024 -I 5m`, three replicas each (operations/caching.md). */
export const MEMCACHED = {
  lokiChunks: { memoryMB: 4096, maxItemSize: '2m' },
  lokiResults: { memoryMB: 1024, maxItemSize: '5m' },
  // Tempo jsonnet v3.0.3: one shared cache, -m 1024 -I 5m -c 4096.
  tempo: { memoryMB: 1024, maxItemSize: '5m' },
  replicas: 3,
} as const;

/** jsonnet-libs memcached: request = 1.2 × -m + 100 MiB, limit = 1.5 × -m. */
export function memcachedResources(memoryMB: number): Resources {
  return { cpu: '500m', memory: `${Math.ceil(memoryMB * 1.2 + 100)}Mi`, memoryLimit: `${Math.ceil(memoryMB * 1.5)}Mi` };
}

/** Kubernetes memory quantity → MiB (values already validated by the schema). */
export function mebibytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$/.exec(q);
  if (!m) return NaN;
  const n = Number(m[1]);
  const f: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, k: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576, T: 1e12 / 1048576, m: 1e-3 / 1048576 };
  return n * (m[2] ? f[m[2]] : 1 / 1048576);
}
