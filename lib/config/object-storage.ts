/**
 * Object storage settings shared by Tempo and Loki: one shape, so both read credentials the same way.
 */
import { z } from 'zod';
import { dnsLabel } from './primitives';

/**
 * How the pod authenticates to S3. Exactly one of:
 * - `secret`: an existing Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, passed as env vars;
 * - `roleArn`: IAM roles for service accounts (EKS), set as the ServiceAccount's role-arn annotation.
 */
export const s3Credentials = z.union(
  [
    z.strictObject({ secret: dnsLabel.describe('existing Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY') }),
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

export const s3Settings = z
  .strictObject({
    endpoint: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, { error: (i) => `expected a host name like "s3.amazonaws.com" (no scheme), got ${JSON.stringify(i.input)}` }).default('s3.amazonaws.com').describe('S3 endpoint host'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: (i) => `expected an AWS region like "us-east-1", got ${JSON.stringify(i.input)}` }).default('us-east-1').describe('bucket region'),
    credentials: s3Credentials.optional().describe('how the pod authenticates; required with backend s3'),
  })
  .prefault({});
export type S3Settings = z.infer<typeof s3Settings>;

export const backend = z.enum(['s3', 'filesystem']);
