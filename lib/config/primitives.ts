/**
 * Value types shared by every component's part of the environment schema.
 * Each one validates once and says what it expected, so the charts never re-check a value.
 */
import { z } from 'zod';

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

/** Go `time.ParseDuration` units: what Loki and Tempo read (Go has no `d`; write `168h` for a week). */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export const duration = z.string({ error: (i) => `expected a duration like "72h", got ${show(i.input)}` }).regex(GO_DURATION, {
  error: (i) => `expected a duration like "72h" or "5m" (units ns, us, ms, s, m, h), got ${show(i.input)}`,
});

/** Milliseconds of a Go duration string already validated by `duration`. */
export function durationMs(text: string): number {
  let total = 0;
  for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(n) * UNIT_MS[unit];
  return total;
}

export const port = z
  .number({ error: (i) => `expected a port number 1-65535, got ${show(i.input)}` })
  .int({ error: (i) => `expected a whole port number, got ${show(i.input)}` })
  .min(1, { error: (i) => `expected a port number 1-65535, got ${show(i.input)}` })
  .max(65535, { error: (i) => `expected a port number 1-65535, got ${show(i.input)}` });

/** RFC 1123 label: what Kubernetes accepts for namespace and Service names. */
export const dnsLabel = z
  .string({ error: (i) => `expected a DNS label (lowercase letters, digits, "-"), got ${show(i.input)}` })
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    error: (i) => `expected a DNS label (1-63 lowercase letters, digits or "-", starting and ending alphanumeric), got ${show(i.input)}`,
  });

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export const s3BucketName = z
  .string({ error: (i) => `expected an S3 bucket name, got ${show(i.input)}` })
  .superRefine((name, ctx) => {
    const problems: string[] = [];
    if (name.length < 3 || name.length > 63) problems.push('3-63 characters');
    if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) problems.push('lowercase letters, digits, "." and "-", starting and ending with a letter or digit');
    if (name.includes('..')) problems.push('no two adjacent periods');
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) problems.push('not an IP address');
    if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name)) problems.push('no reserved prefix or suffix');
    if (problems.length) ctx.addIssue({ code: 'custom', message: `expected a valid S3 bucket name (${problems.join('; ')}), got ${show(name)}` });
  });

/** Image reference pinned by tag or digest; `latest` and untagged images are refused. */
export const image = z
  .string({ error: (i) => `expected an image like "grafana/tempo:3.0.3", got ${show(i.input)}` })
  .regex(/^[a-z0-9][a-z0-9._\/:-]*(:[\w][\w.-]{0,127})(@sha256:[a-f0-9]{64})?$|^[a-z0-9][a-z0-9._\/:-]*@sha256:[a-f0-9]{64}$/, {
    error: (i) => `expected an image pinned by tag or digest like "grafana/tempo:3.0.3", got ${show(i.input)}`,
  })
  .refine((ref) => !/:latest(@|$)/.test(ref), { error: (i) => `expected a pinned version, got ${show(i.input)} (":latest" changes under you)` });

/** The version in an image tag, for the `app.kubernetes.io/version` label and version-aware rendering. */
export function imageVersion(ref: string): string {
  const tag = ref.replace(/@sha256:.*$/, '').split('/').pop()!.split(':')[1];
  return tag ?? ref.split('@sha256:')[1].slice(0, 12);
}

const QUANTITY = /^\d+(\.\d+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;
export const quantity = (what: string) =>
  z.string({ error: (i) => `expected a Kubernetes ${what} quantity, got ${show(i.input)}` }).regex(QUANTITY, {
    error: (i) => `expected a Kubernetes ${what} quantity like ${what === 'CPU' ? '"500m"' : '"512Mi"'}, got ${show(i.input)}`,
  });

/** Requests for scheduling and a memory limit (no CPU limit: throttling hurts latency more than it protects). */
export const resources = (defaults: { cpu: string; memory: string; memoryLimit: string }) =>
  z
    .strictObject({
      cpu: quantity('CPU').default(defaults.cpu).describe('CPU request'),
      memory: quantity('memory').default(defaults.memory).describe('memory request'),
      memoryLimit: quantity('memory').default(defaults.memoryLimit).describe('memory limit (the container is OOM-killed above it)'),
    })
    .prefault({});
export type Resources = z.infer<ReturnType<typeof resources>>;

/** A key of an existing Secret; the value never passes through this repository. */
export const secretKeyRef = z.strictObject({
  name: dnsLabel.describe('name of an existing Secret in the namespace'),
  key: z.string().min(1).describe('key inside that Secret'),
});
export type SecretKeyRef = z.infer<typeof secretKeyRef>;
