import { z } from 'zod';
import { backend, s3Settings } from './object-storage';
import { duration, image, port, resources, s3BucketName } from './primitives';
import { IMAGES } from '../images';

export const lokiSchema = z
  .strictObject({
    image: image.default(IMAGES.loki).describe('Loki image (3.x)'),
    backend: backend.default('s3').describe('chunk and index storage: s3, or filesystem on the PVC (dev)'),
    bucket: s3BucketName.optional().describe('S3 bucket for chunks and index; required with backend s3'),
    s3: s3Settings.describe('S3 endpoint, region and credentials'),
    retention: z
      .strictObject({
        hot: duration.default('168h').describe('hot tier'),
        warm: duration.default('720h').describe('warm tier'),
        cold: duration.default('2160h').describe('cold tier'),
      })
      .prefault({})
      .describe('retention tiers, hot <= warm <= cold'),
    ports: z
      .strictObject({
        http: port.default(3100).describe('HTTP API (push and query)'),
        grpc: port.default(9095).describe('gRPC port'),
      })
      .prefault({}),
    storageGiB: z.number().int().positive().default(50).describe('PVC size for the WAL, index cache and compactor'),
    resources: resources({ cpu: '500m', memory: '1Gi', memoryLimit: '2Gi' }),
  })
  .prefault({});
export type LokiConfig = z.infer<typeof lokiSchema>;
