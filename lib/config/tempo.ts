import { z } from 'zod';
import { backend, s3Settings } from './object-storage';
import { duration, image, port, resources, s3BucketName } from './primitives';
import { IMAGES } from '../images';

export const tempoSchema = z
  .strictObject({
    image: image.default(IMAGES.tempo).describe('Tempo image; a 2.x tag renders the 2.x config form (ingester/compactor), 3.x the live-store/backend-worker form'),
    backend: backend.default('s3').describe('trace storage: s3, or filesystem on the PVC (dev)'),
    bucket: s3BucketName.optional().describe('S3 bucket for trace blocks; required with backend s3'),
    s3: s3Settings.describe('S3 endpoint, region and credentials'),
    retention: z
      .strictObject({
        hot: duration.default('72h').describe('hot tier'),
        warm: duration.default('336h').describe('warm tier'),
        archive: duration.default('720h').describe('archive tier'),
      })
      .prefault({})
      .describe('retention tiers, hot <= warm <= archive'),
    ports: z
      .strictObject({
        http: port.default(3200).describe('HTTP API and query port'),
        grpc: port.default(9095).describe('internal gRPC port'),
        otlpGrpc: port.default(4317).describe('OTLP gRPC receiver'),
        otlpHttp: port.default(4318).describe('OTLP HTTP receiver'),
      })
      .prefault({}),
    storageGiB: z.number().int().positive().default(10).describe('PVC size for the WAL and local blocks'),
    resources: resources({ cpu: '500m', memory: '2Gi', memoryLimit: '4Gi' }),
  })
  .prefault({});
export type TempoConfig = z.infer<typeof tempoSchema>;
