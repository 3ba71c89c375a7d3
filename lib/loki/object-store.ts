/**
 * Loki's object store under `common.storage` (the legacy clients, Loki 3.7's default family; the Thanos
 * clients need `use_thanos_objstore` and a different key set) and the store name `schema_config` and the
 * compactor's delete requests use. Keys from Loki 3.7.6 pkg/storage/chunk/client/{aws,gcp,azure}.
 */
import { LokiConfig } from '../config/loki';
import { isAwsEndpoint } from '../config/object-storage';
import { AZURE_KEY_ENV } from '../k8s/object-storage';

export interface LokiS3 {
  bucketnames: string;
  region: string;
  endpoint: string;
  /** Path-style requests: MinIO and Ceph RGW. */
  s3forcepathstyle?: boolean;
  /** http:// instead of https:// in front of a scheme-less endpoint (s3_storage_client.go). */
  insecure?: boolean;
  /** Dual-stack endpoints exist on AWS only. */
  disable_dualstack?: boolean;
}
export interface LokiGcs {
  bucket_name: string;
}
export interface LokiAzure {
  account_name: string;
  container_name: string;
  use_federated_token?: boolean;
  account_key?: string;
}
export interface LokiFilesystem {
  chunks_directory: string;
}
export type LokiStorage = { s3: LokiS3 } | { gcs: LokiGcs } | { azure: LokiAzure } | { filesystem: LokiFilesystem };

/** Whether loki.yaml refers to an environment variable, so Loki must run with -config.expand-env=true. */
export function lokiConfigReadsEnv(loki: LokiConfig): boolean {
  return loki.backend === 'azure' && !loki.azure.clientId && Boolean(loki.azure.accountKeySecret);
}

export function lokiStorage(loki: LokiConfig, dataDir: string): LokiStorage {
  const bucket = loki.bucket!;
  switch (loki.backend) {
    case 's3': {
      const { s3 } = loki;
      return {
        s3: {
          bucketnames: bucket,
          region: s3.region,
          endpoint: s3.endpoint,
          ...(s3.forcePathStyle ? { s3forcepathstyle: true } : {}),
          ...(s3.insecure ? { insecure: true } : {}),
          ...(isAwsEndpoint(s3.endpoint) ? {} : { disable_dualstack: true }),
        },
      };
    }
    case 'gcs':
      // No service_account key: empty means Google's default credentials (workload identity or the key file).
      return { gcs: { bucket_name: bucket } };
    case 'azure':
      return {
        azure: {
          account_name: loki.azure.accountName!,
          container_name: bucket,
          ...(loki.azure.clientId ? { use_federated_token: true } : { account_key: `\${${AZURE_KEY_ENV}}` }),
        },
      };
    case 'filesystem':
      return { filesystem: { chunks_directory: `${dataDir}/chunks` } };
  }
}
