/**
 * Object storage settings shared by Tempo and Loki: one shape, so both read credentials the same way.
 */
import { z } from 'zod';
import { dnsLabel, s3BucketName, secretKeyRef } from './primitives';

/**
 * How the pod authenticates to S3. Exactly one of:
 * - `secret`: an existing Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, passed as env vars;
 * - `roleArn`: IAM roles for service accounts (EKS), set as the ServiceAccount's role-arn annotation.
 */
export const s3Credentials = z.union(
  [
    z.strictObject({ secret: dnsLabel.describe('name of an existing Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY') }),
    z.strictObject({
      roleArn: z
        .string()
        .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/, { error: (i) => `expected an IAM role ARN like "arn:aws:iam::123456789012:role/tempo", got ${JSON.stringify(i.input)}` })
        .describe('IAM role assumed through IRSA (eks.amazonaws.com/role-arn on the ServiceAccount)'),
    }),
  ],
  { error: () => 'expected either { secret: <Secret name> } or { roleArn: <IAM role ARN> }' },
);
export type S3Credentials = z.infer<typeof s3Credentials>;

const HOST_PORT = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/;

/**
 * AWS's regional S3 endpoint (https://docs.aws.amazon.com/general/latest/gr/s3.html; the China regions are under
 * amazonaws.com.cn). The default rather than the global `s3.amazonaws.com`, which serves us-east-1: a bucket in
 * another region is reached there only through redirects (path-style requests get a 301 PermanentRedirect),
 * and the global name is not covered by egress rules or VPC endpoints limited to the cluster's region.
 */
export function awsS3Endpoint(region: string): string {
  return `s3.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

export const s3Settings = z
  .strictObject({
    endpoint: z
      .string()
      .regex(HOST_PORT, { error: (i) => `expected a host name like "s3.eu-west-1.amazonaws.com" or "minio.storage.svc.cluster.local:9000" (no scheme), got ${JSON.stringify(i.input)}` })
      .optional()
      .describe('S3 or S3-compatible endpoint host[:port] (MinIO, Ceph RGW); default: the regional AWS endpoint of `region` (s3.<region>.amazonaws.com); it also gets a NetworkPolicy egress rule'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: (i) => `expected an AWS region like "us-east-1", got ${JSON.stringify(i.input)}` }).default('us-east-1').describe('bucket region (S3-compatible stores accept any)'),
    forcePathStyle: z.boolean().default(false).describe('path-style requests (http://host/bucket/key), which MinIO and Ceph RGW need'),
    insecure: z.boolean().default(false).describe('plain HTTP to the endpoint; outside dev also set insecureEndpoint'),
    insecureEndpoint: z.string().optional().describe('outside dev, repeat the endpoint here to confirm that plain HTTP to it is intended'),
    credentials: s3Credentials.optional().describe('how the pod authenticates; required with backend s3'),
  })
  // The endpoint's default depends on the region, so it is filled in here, after both are parsed.
  .transform((s) => ({ ...s, endpoint: s.endpoint ?? awsS3Endpoint(s.region) }))
  .prefault({});
export type S3Settings = z.infer<typeof s3Settings>;

/**
 * Google Cloud Storage. Both engines use Google's application default credentials when the config names no
 * key (Loki pkg/storage/chunk/client/gcp, Tempo tempodb/backend/gcs): GKE workload identity, or a key file
 * named by GOOGLE_APPLICATION_CREDENTIALS.
 */
export const gcsSettings = z
  .strictObject({
    serviceAccount: z
      .email({ error: (i) => `expected a Google service account e-mail like "loki@my-project.iam.gserviceaccount.com", got ${JSON.stringify(i.input)}` })
      .optional()
      .describe('GKE workload identity: the Google service account (iam.gke.io/gcp-service-account on the ServiceAccount)'),
    keySecret: secretKeyRef.optional().describe('or a Secret key holding a service account JSON key, mounted and named by GOOGLE_APPLICATION_CREDENTIALS'),
  })
  .prefault({});
export type GcsSettings = z.infer<typeof gcsSettings>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Azure Blob Storage; `bucket` is the container (it must exist). */
export const azureSettings = z
  .strictObject({
    accountName: z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, { error: (i) => `expected a storage account name (3-24 lowercase letters and digits), got ${JSON.stringify(i.input)}` })
      .optional()
      .describe('storage account name; required with backend azure'),
    clientId: z
      .string()
      .regex(GUID, { error: (i) => `expected a client id (a GUID like "00000000-0000-0000-0000-000000000000"), got ${JSON.stringify(i.input)}` })
      .optional()
      .describe('Azure workload identity: the managed identity or app client id (azure.workload.identity/client-id on the ServiceAccount)'),
    accountKeySecret: secretKeyRef.optional().describe('or a Secret key holding the storage account key'),
  })
  .prefault({});
export type AzureSettings = z.infer<typeof azureSettings>;

export const backend = z.enum(['s3', 'gcs', 'azure', 'filesystem']);
export type Backend = z.infer<typeof backend>;

/** The object storage part of Loki's and Tempo's settings, checked by `objectStorageRules`. */
export interface ObjectStorage {
  readonly backend: Backend;
  readonly bucket?: string;
  readonly s3: S3Settings;
  readonly gcs: GcsSettings;
  readonly azure: AzureSettings;
}

const show = (v: unknown) => JSON.stringify(v);

/** Naming rules per store: S3 (bucketnamingrules), GCS (cloud.google.com/storage/docs/buckets#naming), Azure containers. */
function bucketProblem(store: Backend, name: string): string | undefined {
  if (store === 's3') {
    const r = s3BucketName.safeParse(name);
    return r.success ? undefined : r.error.issues[0].message;
  }
  if (store === 'gcs') {
    const ok = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(name) && !/^goog/.test(name) && !/google|g00gle/.test(name) && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
    return ok ? undefined : `expected a GCS bucket name (3-63 lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit, no "goog" prefix and no "google"), got ${show(name)}`;
  }
  if (store === 'azure') {
    const ok = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(name);
    return ok ? undefined : `expected an Azure container name (3-63 lowercase letters, digits and single "-", starting and ending with a letter or digit), got ${show(name)}`;
  }
  return undefined;
}

export interface Issue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Cross-field rules of one component's object storage; paths are relative to the component. */
export function objectStorageRules(store: ObjectStorage): Issue[] {
  const issues: Issue[] = [];
  const need = (path: string[], what: string) => issues.push({ path, message: `missing, expected ${what} when backend is ${store.backend}` });
  if (store.backend === 'filesystem') return issues;
  if (!store.bucket) need(['bucket'], store.backend === 'azure' ? 'the container name' : `a${store.backend === 's3' ? 'n S3' : ' GCS'} bucket name`);
  else {
    const problem = bucketProblem(store.backend, store.bucket);
    if (problem) issues.push({ path: ['bucket'], message: problem });
  }
  if (store.backend === 's3') {
    if (!store.s3.credentials) need(['s3', 'credentials'], '{ secret: <Secret name> } or { roleArn: <IAM role ARN> }');
  }
  if (store.backend === 'gcs') {
    const ways = [store.gcs.serviceAccount, store.gcs.keySecret].filter(Boolean).length;
    if (ways !== 1) {
      issues.push({ path: ['gcs'], message: `expected exactly one of gcs.serviceAccount (GKE workload identity) or gcs.keySecret (a JSON key in a Secret) when backend is gcs, got ${ways}` });
    }
  }
  if (store.backend === 'azure') {
    if (!store.azure.accountName) need(['azure', 'accountName'], 'the storage account name');
    const ways = [store.azure.clientId, store.azure.accountKeySecret].filter(Boolean).length;
    if (ways !== 1) {
      issues.push({ path: ['azure'], message: `expected exactly one of azure.clientId (workload identity) or azure.accountKeySecret (the account key in a Secret) when backend is azure, got ${ways}` });
    }
  }
  return issues;
}

/** Environments where plain HTTP to an object store is accepted without a second statement. */
export const PLAIN_HTTP_ENVIRONMENTS = ['dev'];

/**
 * Plain HTTP to object storage is refused outside dev unless it is stated twice: `insecure: true` and
 * `insecureEndpoint` repeating the endpoint. Tying the confirmation to the endpoint means pointing the
 * stack at another store later asks again, and a copied `insecure: true` alone never ships to production.
 */
export function plainHttpRules(environment: string, store: ObjectStorage): Issue[] {
  if (store.backend !== 's3') return [];
  const { insecure, insecureEndpoint, endpoint } = store.s3;
  if (insecureEndpoint !== undefined && !insecure) {
    return [{ path: ['s3', 'insecureEndpoint'], message: `expected no insecureEndpoint when s3.insecure is false, got ${show(insecureEndpoint)}` }];
  }
  if (!insecure || PLAIN_HTTP_ENVIRONMENTS.includes(environment) || insecureEndpoint === endpoint) return [];
  return [
    {
      path: ['s3', 'insecureEndpoint'],
      message: `${insecureEndpoint === undefined ? 'missing' : `got ${show(insecureEndpoint)}`}, expected ${show(endpoint)} (s3.insecure sends object data and credentials over plain HTTP; outside dev, repeat the endpoint here to confirm)`,
    },
  ];
}

/** `host[:port]` split, with the port the protocol implies when none is written. */
export function hostPortOf(endpoint: string, defaultPort: number): { host: string; port: number } {
  const [host, port] = endpoint.split(':');
  return { host, port: port ? Number(port) : defaultPort };
}

/** Whether an S3 endpoint (host[:port]) is AWS itself rather than an S3-compatible store. */
export function isAwsEndpoint(endpoint: string): boolean {
  return /(^|\.)amazonaws\.com(\.cn)?(:\d+)?$/.test(endpoint);
}
