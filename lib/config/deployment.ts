/**
 * How Loki and Tempo are deployed: the engines' own modes (one binary, or one workload per `-target`), sizes
 * from upstream's sizing guidance and per-component overrides. Only the user's interface lives here; the
 * workloads each choice produces are built from it in lib/topology/ and checked there against each other.
 */
import { z } from 'zod';
import { dnsLabel, quantity } from './primitives';

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

export const LOKI_COMPONENTS = ['distributor', 'ingester', 'querier', 'query-frontend', 'query-scheduler', 'index-gateway', 'compactor'] as const;
export type LokiComponent = (typeof LOKI_COMPONENTS)[number];

export const TEMPO_COMPONENTS = [
  'distributor',
  'live-store',
  'block-builder',
  'querier',
  'query-frontend',
  'backend-scheduler',
  'backend-worker',
  'metrics-generator',
] as const;
export type TempoComponent = (typeof TEMPO_COMPONENTS)[number];

export const SIZES = ['small', 'medium', 'large'] as const;
export type Size = (typeof SIZES)[number];

const count = (what: string) =>
  z.number({ error: (i) => `expected a whole number of ${what}, got ${show(i.input)}` }).int({ error: (i) => `expected a whole number of ${what}, got ${show(i.input)}` });

export const autoscalingSchema = z
  .strictObject({
    minReplicas: count('replicas').min(2, { error: (i) => `expected at least 2 (one pod is no availability while the autoscaler reacts), got ${show(i.input)}` }),
    maxReplicas: count('replicas').min(2, { error: (i) => `expected at least 2, got ${show(i.input)}` }),
    targetCPUUtilization: count('percent').min(10).max(100).default(60).describe('average CPU use, in percent of the request, the autoscaler aims for (upstream charts: 60)'),
  })
  .superRefine((a, ctx) => {
    if (a.maxReplicas < a.minReplicas) ctx.addIssue({ code: 'custom', path: ['maxReplicas'], message: `expected at least minReplicas (${a.minReplicas}), got ${a.maxReplicas}` });
  });
export type Autoscaling = z.infer<typeof autoscalingSchema>;

/** Overrides of one component; anything left out comes from the size. */
const componentSchema = z.strictObject({
  replicas: count('replicas').min(1, { error: (i) => `expected at least 1 replica, got ${show(i.input)}` }).optional().describe('pods (from the size when left out)'),
  resources: z
    .strictObject({
      cpu: quantity('CPU').optional().describe('CPU request'),
      memory: quantity('memory').optional().describe('memory request'),
      memoryLimit: quantity('memory').optional().describe('memory limit'),
    })
    .optional()
    .describe('requests and memory limit (each from the size when left out)'),
  storageGiB: count('GiB').min(1).optional().describe('volume claim size where the component keeps a WAL or local blocks'),
  autoscaling: z
    .union([z.literal(false), autoscalingSchema])
    .optional()
    .describe('HorizontalPodAutoscaler on CPU, or false for none; distributors and queriers autoscale by default (from their replicas to twice that)'),
});
export type ComponentOverrides = z.infer<typeof componentSchema>;

const components = <T extends readonly string[]>(names: T) =>
  z.strictObject(Object.fromEntries(names.map((n) => [n, componentSchema.optional()])) as { [K in T[number]]: z.ZodOptional<typeof componentSchema> }).prefault({} as never);

const lokiLoad = z.strictObject({
  ingestGBPerDay: z.number().positive().describe('expected log volume in GB per day; picks the upstream sizing tier'),
});
const tempoLoad = z.strictObject({
  spansPerSecond: z.number().positive().describe('expected spans per second; with tempo.deployment.bytesPerSpan gives MB/s, which sizes distributors, live-stores and queriers'),
});

export const lokiDeploymentSchema = z
  .strictObject({
    mode: z.enum(['single-binary', 'distributed']).default('single-binary').describe('single-binary (-target=all) or distributed (one workload per target)'),
    replicas: count('replicas')
      .min(1)
      .default(1)
      .describe('single-binary pods: 1, or 3 and more for HA (memberlist ring, replication factor 3); 2 is refused because a write needs 2 of 3 acknowledgements'),
    size: z.union([z.enum(SIZES), lokiLoad]).optional().describe('distributed: small | medium | large (upstream tiers < 3, 3-30, ~30 TB/day) or {ingestGBPerDay}; small when left out'),
    components: components(LOKI_COMPONENTS).describe('distributed: per-component replicas, resources, storageGiB and autoscaling over the size'),
    caches: z.boolean().default(true).describe('distributed: memcached for chunks and query results'),
  })
  .prefault({});
export type LokiDeployment = z.infer<typeof lokiDeploymentSchema>;

export const tempoDeploymentSchema = z
  .strictObject({
    mode: z.enum(['single-binary', 'distributed']).default('single-binary').describe('single-binary (-target=all, one replica) or distributed (one workload per target, Kafka ingest; Tempo 3 only)'),
    replicas: count('replicas').min(1).default(1).describe('single-binary pods; only 1 is valid (Tempo 3 runs one backend scheduler and one in-process live-store per binary)'),
    size: z.union([z.enum(SIZES), tempoLoad]).optional().describe('distributed: small | medium | large or {spansPerSecond}; small when left out'),
    bytesPerSpan: count('bytes').min(1).default(500).describe('average encoded span size, for sizing from spansPerSecond and the collector capacity check'),
    zones: z
      .array(dnsLabel)
      .min(1)
      .max(3)
      .refine((zs) => new Set(zs).size === zs.length, { error: (i) => `expected distinct zone names, got ${show(i.input)}` })
      .default(['zone-a', 'zone-b'])
      .describe('distributed: live-store zones (one StatefulSet each, every partition owned once per zone)'),
    pinZones: z
      .boolean()
      .default(false)
      .describe('distributed: the zones are real topology.kubernetes.io/zone values; pin each live-store StatefulSet to its zone, so losing a zone loses one owner per partition'),
    rolloutMaxUnavailable: count('pods')
      .min(1, { error: (i) => `expected at least 1 pod, got ${show(i.input)}` })
      .default(25)
      .describe(
        "distributed, two or more zones: live-store pods of one zone the rollout-operator restarts at once (rollout-max-unavailable; upstream's jsonnet: 25); it rolls one zone at a time and only while every other zone is Ready",
      ),
    components: components(TEMPO_COMPONENTS).describe('distributed: per-component replicas, resources, storageGiB and autoscaling over the size'),
    caches: z.boolean().default(true).describe('distributed: memcached for bloom filters, parquet footers and search results'),
  })
  .prefault({});
export type TempoDeployment = z.infer<typeof tempoDeploymentSchema>;

/**
 * Tempo 3.0.3's distributors hand the Kafka client kgo.ProducerBatchMaxBytes(16_000_000) (pkg/ingest/config.go
 * producerBatchMaxBytes, pkg/ingest/writer_client.go): records of one partition are batched up to that size
 * (50 ms linger), whatever `producer_max_record_size_bytes` (at least 1 MiB) cuts a single record to. The broker
 * checks each batch against the topic's max.message.bytes; franz-go fails MESSAGE_TOO_LARGE without retry
 * (vendored kgo sink.go). So no producer setting fits the broker default: the topic has to take the batch.
 */
export const TEMPO_PRODUCER_BATCH_MAX_BYTES = 16_000_000;
/** Kafka's default message.max.bytes (broker) and max.message.bytes (topic): 1 MiB + 12 bytes of log overhead. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

export const kafkaSchema = z.strictObject({
  address: z
    .string()
    .regex(/^[a-z0-9.-]+:\d{1,5}$/, { error: (i) => `expected one bootstrap address host:port (Tempo reads a single seed broker), got ${show(i.input)}` })
    .describe('Kafka bootstrap host:port (ingest.kafka.address)'),
  topic: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,249}$/, { error: (i) => `expected a Kafka topic name (letters, digits, ".", "_", "-"), got ${show(i.input)}` })
    .describe('topic, created by the team before deploying (Tempo is told not to create it)'),
  partitions: count('partitions').min(1).describe('partitions of that topic: at least the live-stores per zone, and at least the block-builders'),
  maxMessageBytes: count('bytes')
    .min(TEMPO_PRODUCER_BATCH_MAX_BYTES, {
      error: (i) =>
        `expected at least ${TEMPO_PRODUCER_BATCH_MAX_BYTES}, got ${show(i.input)}: Tempo's distributors send record batches of up to ${TEMPO_PRODUCER_BATCH_MAX_BYTES} bytes per partition ` +
        `(a fixed producer batch size; producer_max_record_size_bytes bounds one record, not the batch), and a broker refuses a batch above the topic's ` +
        `max.message.bytes (default ${KAFKA_DEFAULT_MAX_MESSAGE_BYTES}) with MESSAGE_TOO_LARGE, which the producer does not retry: those spans are lost. ` +
        `Create or alter the topic with --config max.message.bytes=${TEMPO_PRODUCER_BATCH_MAX_BYTES} and state it here`,
    })
    .describe(`the topic's max.message.bytes, set by the team: at least ${TEMPO_PRODUCER_BATCH_MAX_BYTES} (Tempo's producer batch; the broker default ${KAFKA_DEFAULT_MAX_MESSAGE_BYTES} refuses its batches)`),
});
export type KafkaConfig = z.infer<typeof kafkaSchema>;
