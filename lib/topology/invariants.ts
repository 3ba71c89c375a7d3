/**
 * Invariants across a topology, checked in one place at synth time (called where the config is loaded,
 * lib/config/load.ts, so each problem is reported with its key path and the arithmetic that fails). Upstream's charts leave these to the
 * user; here a config whose own numbers cannot work does not render.
 */
import { ComponentOverrides } from '../config/deployment';
import { StackConfig } from '../config/schema';
import { MEMORY_LIMITER } from '../otelcol/config';
import { tempoMajor } from '../config/tempo';
import { LOKI_REPLICATION_FACTOR, lokiSize, lokiTopology } from './loki';
import { LOKI_SIZES, LOKI_TIER_GB_PER_DAY, mebibytes } from './sizing';
import { liveStoresPerZone, tempoIngestMBps, tempoTopology } from './tempo';
import { Topology, TopologyProblem } from './types';

/**
 * What happens on a cluster with fewer nodes than ring pods, said wherever the replica count of a ring is refused:
 * quorum pods carry required anti-affinity (lib/topology/loki.ts RING_MEMBER), so the extra pods wait.
 */
const ONE_PER_NODE = `Each pod also needs a node of its own (required anti-affinity on kubernetes.io/hostname): with fewer nodes than pods, the extra pods stay Pending`;

/** Targets whose replica count is fixed by their state: autoscalers would break partitions, rings or singletons. */
const NEVER_AUTOSCALED = new Set(['ingester', 'compactor', 'index-gateway', 'live-store', 'block-builder', 'backend-scheduler', 'metrics-generator']);

export function deploymentProblems(c: StackConfig): TopologyProblem[] {
  return [...lokiProblems(c), ...tempoProblems(c), ...samplerProblems(c)];
}

/**
 * The tail sampler holds up to numTraces traces per pod until it decides; the memory limiter starts refusing
 * spans at its soft limit, so numTraces × averageTraceBytes must fit under it or spans are dropped at load.
 */
function samplerProblems(c: StackConfig): TopologyProblem[] {
  const s = c.collector.sampler;
  const limitMiB = mebibytes(s.resources.memoryLimit);
  const softPercent = MEMORY_LIMITER.limitPercentage - MEMORY_LIMITER.spikeLimitPercentage;
  const softMiB = (limitMiB * softPercent) / 100;
  const needMiB = (s.numTraces * s.averageTraceBytes) / 1048576;
  if (needMiB <= softMiB) return [];
  return [
    {
      path: ['collector', 'sampler', 'numTraces'],
      message:
        `expected at most ${Math.floor((softMiB * 1048576) / s.averageTraceBytes)} traces, got ${s.numTraces}: ${s.numTraces} × ${s.averageTraceBytes} B = ${round(needMiB)} MiB, ` +
        `above the memory limiter's soft limit of ${softPercent}% of memoryLimit ${s.resources.memoryLimit} = ${round(softMiB)} MiB`,
    },
  ];
}

function lokiProblems(c: StackConfig): TopologyProblem[] {
  const d = c.loki.deployment;
  const at = (...p: (string | number)[]) => ['loki', 'deployment', ...p];
  const out: TopologyProblem[] = [];
  if (d.mode === 'single-binary') {
    if (d.replicas === 2) {
      out.push({
        path: at('replicas'),
        message: `expected 1, or 3 and more, got 2: with replication factor ${LOKI_REPLICATION_FACTOR} a write needs ${quorum(LOKI_REPLICATION_FACTOR)} of ${LOKI_REPLICATION_FACTOR} acknowledgements (floor(${LOKI_REPLICATION_FACTOR}/2)+1), so 2 replicas stop ingesting when either one is down. ${ONE_PER_NODE}`,
      });
    }
    if (d.replicas > 1 && c.loki.backend === 'filesystem') out.push({ path: ['loki', 'backend'], message: `expected an object store (s3, gcs or azure) with ${d.replicas} replicas (every replica must read the chunks the others flushed), got ${c.loki.backend}` });
    for (const key of ['size', 'components'] as const) {
      if (key === 'components' ? Object.values(d.components).some(Boolean) : d[key] !== undefined) out.push({ path: at(key), message: `expected no ${key} in single-binary mode (it sizes distributed components), got ${JSON.stringify(d[key])}` });
    }
  } else {
    if (c.loki.backend === 'filesystem') out.push({ path: ['loki', 'backend'], message: `expected an object store (s3, gcs or azure) in distributed mode (every component reads the same one), got ${c.loki.backend}` });
    if (d.replicas !== 1) out.push({ path: at('replicas'), message: `expected no replicas in distributed mode (set components.<name>.replicas), got ${d.replicas}` });
  }
  const t = lokiTopology(c.loki, c.namespace);
  out.push(...tableProblems(t, d.components, at));
  if (t.mode === 'distributed') {
    const ingesters = t.workloads.find((w) => w.target === 'ingester')!;
    if (ingesters.replicas < LOKI_REPLICATION_FACTOR) {
      out.push({
        path: at('components', 'ingester', 'replicas'),
        message: `expected at least ${LOKI_REPLICATION_FACTOR} ingesters (the replication factor: each stream is written to ${LOKI_REPLICATION_FACTOR}), got ${ingesters.replicas}. ${ONE_PER_NODE}`,
      });
    }
    // Ingester memory vs declared ingest, on upstream's smallest tier's ratio: 6 ingesters of 4 GiB for
    // 3 TB/day at replication factor 3, i.e. 4096 MiB per 1500 GB/day of replicated stream data.
    const size = d.size;
    if (size && typeof size === 'object') {
      const small = LOKI_SIZES.small.ingester;
      const mibPerGB = mebibytes(small.resources.memory) / ((LOKI_TIER_GB_PER_DAY.small * LOKI_REPLICATION_FACTOR) / small.replicas);
      const share = (size.ingestGBPerDay * LOKI_REPLICATION_FACTOR) / ingesters.replicas;
      const need = Math.ceil(share * mibPerGB);
      const have = mebibytes(ingesters.resources.memoryLimit);
      if (have < need) {
        out.push({
          path: at('components', 'ingester', 'resources', 'memoryLimit'),
          message:
            `expected at least ${need}Mi per ingester, got ${ingesters.resources.memoryLimit}: ${size.ingestGBPerDay} GB/day × RF ${LOKI_REPLICATION_FACTOR} / ${ingesters.replicas} ingesters = ` +
            `${round(share)} GB/day each × ${round(mibPerGB, 2)} MiB per GB/day (upstream ${lokiSize(c.loki)} tier: ${small.resources.memory} per ${round((LOKI_TIER_GB_PER_DAY.small * LOKI_REPLICATION_FACTOR) / small.replicas)} GB/day)`,
        });
      }
    }
  }
  return out;
}

function tempoProblems(c: StackConfig): TopologyProblem[] {
  const tempo = c.tempo;
  const d = tempo.deployment;
  const at = (...p: (string | number)[]) => ['tempo', 'deployment', ...p];
  const out: TopologyProblem[] = [];
  if (d.mode === 'single-binary') {
    if (d.replicas > 1) {
      out.push({
        path: at('replicas'),
        message: `expected 1, got ${d.replicas}: every -target=all replica runs its own backend scheduler (a singleton) and keeps recent traces only in its own live-store, so queries miss what other replicas hold; use mode: distributed to scale`,
      });
    }
    if (tempo.kafka) out.push({ path: ['tempo', 'kafka'], message: 'expected no kafka in single-binary mode (the single binary does not read Kafka), got a kafka block' });
    for (const key of ['size', 'components'] as const) {
      if (key === 'components' ? Object.values(d.components).some(Boolean) : d[key] !== undefined) out.push({ path: at(key), message: `expected no ${key} in single-binary mode (it sizes distributed components), got ${JSON.stringify(d[key])}` });
    }
    return out;
  }
  if (tempoMajor(tempo.image) === 2) {
    out.push({
      path: ['tempo', 'image'],
      message: `expected a Tempo 3.x image in distributed mode, got ${JSON.stringify(tempo.image)}: 2.10's distributed layout (ingesters and compactors on a gRPC ring, no Kafka) is not rendered; run 2.10 as a single binary or move to 3.x`,
    });
  }
  if (tempo.backend === 'filesystem') out.push({ path: ['tempo', 'backend'], message: `expected an object store (s3, gcs or azure) in distributed mode (every component reads the same one), got ${tempo.backend}` });
  if (d.replicas !== 1) out.push({ path: at('replicas'), message: `expected no replicas in distributed mode (set components.<name>.replicas), got ${d.replicas}` });
  if (!tempo.kafka) {
    out.push({ path: ['tempo', 'kafka'], message: 'missing, expected {address, topic, partitions} in distributed mode (distributors write to Kafka; live-stores and block-builders read it)' });
    return out;
  }
  const t = tempoTopology(tempo, c.namespace);
  out.push(...tableProblems(t, d.components, at));
  const partitions = tempo.kafka.partitions;
  const perZone = liveStoresPerZone(t);
  if (partitions < perZone) {
    out.push({
      path: ['tempo', 'kafka', 'partitions'],
      message: `expected at least ${perZone} partitions, got ${partitions}: each live-store owns the partition of its ordinal, so ${perZone} live-stores per zone need partitions 0..${perZone - 1}`,
    });
  }
  const builders = t.workloads.find((w) => w.target === 'block-builder')!;
  if (builders.replicas > partitions) {
    out.push({
      path: at('components', 'block-builder', 'replicas'),
      message: `expected at most ${partitions} block-builders (one partition or more each), got ${builders.replicas}: ${builders.replicas - partitions} would idle`,
    });
  }
  // Capacity: live-stores per zone vs declared ingest (upstream: 1 live-store per 6-10 MB/s).
  const mbps = tempoIngestMBps(tempo);
  if (typeof d.size === 'object' && perZone * 10 < mbps) {
    out.push({
      path: at('components', 'live-store', 'replicas'),
      message: `expected at least ${Math.ceil(mbps / 10)} live-stores per zone, got ${perZone}: ${d.size.spansPerSecond} spans/s × ${d.bytesPerSpan} B = ${round(mbps, 1)} MB/s, and one live-store takes at most 10 MB/s`,
    });
  }
  return out;
}

/** Rules every table obeys, whatever the engine. */
function tableProblems(t: Topology, overrides: Record<string, ComponentOverrides | undefined>, at: (...p: (string | number)[]) => (string | number)[]): TopologyProblem[] {
  const out: TopologyProblem[] = [];
  for (const w of t.workloads) {
    if (t.mode !== 'distributed') continue;
    const where = (...p: string[]) => at('components', w.target, ...p);
    if (w.autoscaling && (w.singleton || NEVER_AUTOSCALED.has(w.target))) {
      out.push({ path: where('autoscaling'), message: `expected no autoscaling on ${w.target} (${w.singleton ? 'a singleton' : 'its replica count follows its ring or partitions; scale it by replicas'}), got ${JSON.stringify(w.autoscaling)}` });
    }
    if (w.autoscaling && w.autoscaling.minReplicas < 2) out.push({ path: where('autoscaling', 'minReplicas'), message: `expected at least 2, got ${w.autoscaling.minReplicas}` });
    const asked = overrides[w.target]?.replicas;
    if (w.singleton && asked !== undefined && asked !== 1) {
      out.push({ path: where('replicas'), message: `expected 1 (${w.target} is a singleton: ${w.target === 'compactor' ? 'one compactor applies retention, elected through its ring' : 'one scheduler hands out every compaction job'}), got ${asked}` });
    }
  }
  // Zones of one component are several workloads of one target: report each problem once.
  return out.filter((p, i) => out.findIndex((q) => q.message === p.message && q.path.join('.') === p.path.join('.')) === i);
}

function quorum(rf: number): number {
  return Math.floor(rf / 2) + 1;
}

function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
