/**
 * How Tempo and Loki pods reach and authenticate to their object store, from `<component>.backend` and the
 * store's settings. No key is ever written to dist/: credentials come from existing Secrets or from the
 * cloud's workload identity.
 * - S3 `{ secret }`: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from that Secret as env vars (Loki's AWS SDK
 *   chain and Tempo's minio-go chain both read them; so do MinIO and Ceph RGW). `{ roleArn }`: IRSA, the
 *   ServiceAccount carries the role ARN (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
 * - GCS: Google application default credentials in both engines. Workload identity: the ServiceAccount is
 *   annotated with the Google service account (https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity);
 *   key file: the Secret key mounted read-only and named by GOOGLE_APPLICATION_CREDENTIALS.
 * - Azure: workload identity (https://azure.github.io/azure-workload-identity/docs/): the ServiceAccount names
 *   the client id, the pod carries `azure.workload.identity/use: "true"` so the webhook injects
 *   AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE, and the engines set `use_federated_token`.
 *   Account key: AZURE_STORAGE_KEY from the Secret. Tempo reads that variable itself when
 *   storage_account_key is empty (tempodb/backend/azure/azure_helpers.go getStorageAccountKey); Loki has no
 *   such fallback (pkg/storage/chunk/client/azure NewSharedKeyCredential takes account_key only), so its
 *   config says `account_key: ${AZURE_STORAGE_KEY}` and Loki runs with -config.expand-env=true.
 */
import * as k8s from '../../imports/k8s';
import { ObjectStorage } from '../config/object-storage';

export const AWS_KEY_ID = 'AWS_ACCESS_KEY_ID';
export const AWS_SECRET_KEY = 'AWS_SECRET_ACCESS_KEY';
export const AZURE_KEY_ENV = 'AZURE_STORAGE_KEY';
const GCS_KEY_DIR = '/var/run/secrets/gcs';
const GCS_KEY_FILE = 'key.json';
const GCS_VOLUME = 'gcs-key';

export interface ObjectStorageAccess {
  readonly env: k8s.EnvVar[];
  readonly volumes: k8s.Volume[];
  readonly mounts: k8s.VolumeMount[];
  readonly serviceAccountAnnotations?: Record<string, string>;
  /** Labels the pod template needs (Azure workload identity's webhook selects on one). */
  readonly podLabels: Record<string, string>;
}

const secretEnv = (name: string, ref: { name: string; key: string }): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });

export function objectStorageAccess(store: ObjectStorage): ObjectStorageAccess {
  const none: ObjectStorageAccess = { env: [], volumes: [], mounts: [], podLabels: {} };
  switch (store.backend) {
    case 's3': {
      const creds = store.s3.credentials;
      if (creds && 'roleArn' in creds) return { ...none, serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': creds.roleArn } };
      if (creds) return { ...none, env: [AWS_KEY_ID, AWS_SECRET_KEY].map((key) => secretEnv(key, { name: creds.secret, key })) };
      return none;
    }
    case 'gcs': {
      const { serviceAccount, keySecret } = store.gcs;
      if (serviceAccount) return { ...none, serviceAccountAnnotations: { 'iam.gke.io/gcp-service-account': serviceAccount } };
      if (!keySecret) return none;
      return {
        ...none,
        env: [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: `${GCS_KEY_DIR}/${GCS_KEY_FILE}` }],
        volumes: [{ name: GCS_VOLUME, secret: { secretName: keySecret.name, items: [{ key: keySecret.key, path: GCS_KEY_FILE }], defaultMode: 0o440 } }],
        mounts: [{ name: GCS_VOLUME, mountPath: GCS_KEY_DIR, readOnly: true }],
      };
    }
    case 'azure': {
      const { clientId, accountKeySecret } = store.azure;
      if (clientId) {
        return { ...none, serviceAccountAnnotations: { 'azure.workload.identity/client-id': clientId }, podLabels: { 'azure.workload.identity/use': 'true' } };
      }
      if (accountKeySecret) return { ...none, env: [secretEnv(AZURE_KEY_ENV, accountKeySecret)] };
      return none;
    }
    default:
      return none;
  }
}
