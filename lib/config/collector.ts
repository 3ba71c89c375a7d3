import { z } from 'zod';
import { duration, image, port, replicaCount, resources } from './primitives';
import { IMAGES } from '../images';

const replicas = (n: number) => replicaCount(1).default(n);

/**
 * The OpenTelemetry Collector traces gateway: a stateless load-balancing tier that routes every span of a
 * trace (by trace id) to one pod of the sampling tier, which decides with tail sampling and exports to Tempo.
 */
export const collectorSchema = z
  .strictObject({
    image: image.default(IMAGES.otelCollector).describe('OpenTelemetry Collector contrib image'),
    ports: z
      .strictObject({
        otlpGrpc: port.default(4317).describe('OTLP gRPC receiver (applications, and gateway → sampler)'),
        otlpHttp: port.default(4318).describe('OTLP HTTP receiver'),
        health: port.default(13133).describe('health_check extension (probes)'),
        metrics: port.default(8888).describe("the collector's own Prometheus metrics"),
      })
      .prefault({}),
    gateway: z
      .strictObject({
        replicas: replicas(2).describe('load-balancing tier pods (stateless)'),
        resources: resources({ cpu: '200m', memory: '256Mi', memoryLimit: '512Mi' }),
      })
      .prefault({}),
    sampler: z
      .strictObject({
        replicas: replicas(2).describe('tail-sampling tier pods; each trace is routed to one of them by trace id'),
        decisionWait: duration.default('10s').describe('how long a trace is buffered after its first span before the sampling decision'),
        numTraces: z.number().int().positive().default(50000).describe('traces kept in memory per sampler pod while waiting for a decision'),
        averageTraceBytes: z
          .number()
          .int()
          .positive()
          .default(10_000)
          .describe('expected in-memory size of one trace (spans per trace × decoded span size); numTraces × this must fit under the memory limiter'),
        resources: resources({ cpu: '500m', memory: '1Gi', memoryLimit: '2Gi' }),
      })
      .prefault({}),
    serviceName: z
      .string()
      .min(1)
      .optional()
      .describe("OTEL_SERVICE_NAME in the stack namespace's otel-sdk ConfigMap (leave unset when several services share it; per application namespace see applications.namespaces)"),
  })
  .prefault({});
export type CollectorConfig = z.infer<typeof collectorSchema>;
