/**
 * Tempo's `storage.trace` backend block, keys from tempodb/backend/{s3,gcs,azure}/config.go (the same in
 * 3.0.3 and 2.10.8). Credentials are never written here: S3 keys come from the AWS_* environment (minio-go's
 * chain), GCS from Google's default credentials, an Azure account key from AZURE_STORAGE_KEY (read by Tempo
 * when storage_account_key is empty) and Azure workload identity from `use_federated_token`.
 */
import { TempoConfig } from '../config/tempo';

export function tempoStorage(tempo: TempoConfig, blocksDir: string): Record<string, unknown> {
  const bucket = tempo.bucket!;
  switch (tempo.backend) {
    case 's3': {
      const { s3 } = tempo;
      return {
        backend: 's3',
        s3: {
          bucket,
          endpoint: s3.endpoint,
          region: s3.region,
          // Path-style requests, which MinIO and Ceph RGW need (s3.go: BucketLookupType path).
          ...(s3.forcePathStyle ? { forcepathstyle: true } : {}),
          // minio-go `Secure: !insecure`: plain HTTP.
          ...(s3.insecure ? { insecure: true } : {}),
        },
      };
    }
    case 'gcs':
      return { backend: 'gcs', gcs: { bucket_name: bucket } };
    case 'azure':
      return {
        backend: 'azure',
        azure: {
          storage_account_name: tempo.azure.accountName!,
          container_name: bucket,
          ...(tempo.azure.clientId ? { use_federated_token: true } : {}),
        },
      };
    case 'filesystem':
      return { backend: 'local', local: { path: blocksDir } };
  }
}
