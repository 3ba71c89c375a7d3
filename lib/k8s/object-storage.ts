/**
 * How Tempo and Loki pods authenticate to S3, from `<component>.s3.credentials`. Either way no key is ever
 * written to dist/:
 * - `{ secret }`: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY come from that existing Secret as env vars (both
 *   Loki and Tempo use the AWS SDK's default credential chain, which reads them);
 * - `{ roleArn }`: IAM roles for service accounts; the ServiceAccount carries the role ARN and EKS injects
 *   a web identity token into the pod (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
 */
import * as k8s from '../../imports/k8s';
import { S3Credentials } from '../config/object-storage';

export const AWS_KEY_ID = 'AWS_ACCESS_KEY_ID';
export const AWS_SECRET_KEY = 'AWS_SECRET_ACCESS_KEY';

export function s3CredentialEnv(creds: S3Credentials | undefined): k8s.EnvVar[] {
  if (!creds || !('secret' in creds)) return [];
  return [AWS_KEY_ID, AWS_SECRET_KEY].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: creds.secret, key } } }));
}

export function s3ServiceAccountAnnotations(creds: S3Credentials | undefined): Record<string, string> | undefined {
  return creds && 'roleArn' in creds ? { 'eks.amazonaws.com/role-arn': creds.roleArn } : undefined;
}
