import { z } from 'zod';
import { dnsLabel } from './primitives';

/** One application namespace: its name, and optionally the OTEL_SERVICE_NAME its pods get by default. */
const namespace = z.union(
  [
  dnsLabel.describe('namespace name'),
  z.strictObject({
    name: dnsLabel.describe('namespace name'),
    serviceName: z.string().min(1).optional().describe("OTEL_SERVICE_NAME in that namespace's otel-sdk ConfigMap"),
  }),
  ],
  { error: (i) => `expected a namespace name or { name, serviceName }, got ${JSON.stringify(i.input)}` },
);

/**
 * Namespaces whose applications send traces to the gateway: each gets an `otel-sdk` ConfigMap with the SDK
 * settings, and the gateway's NetworkPolicy admits it. Entries are normalized to `{ name, serviceName? }`.
 */
export const applicationsSchema = z
  .strictObject({
    namespaces: z
      .array(namespace)
      .default([])
      .describe('application namespaces wired to the traces gateway: a name, or { name, serviceName }')
      .transform((entries) => entries.map((e) => (typeof e === 'string' ? { name: e } : e))),
  })
  .prefault({});
export type ApplicationsConfig = z.infer<typeof applicationsSchema>;
export type ApplicationNamespace = ApplicationsConfig['namespaces'][number];
