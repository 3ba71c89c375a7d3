import { z } from 'zod';
import { duration } from './primitives';

const rateError = (i: { input: unknown }) => `expected a rate between 0 and 1, got ${JSON.stringify(i.input)}`;
const rate = z.number({ error: rateError }).min(0, { error: rateError }).max(1, { error: rateError });

/**
 * `service.name` as OpenTelemetry carries it: any non-empty string (the semantic conventions put no grammar on
 * it); we refuse only what cannot be a real name or would be invisible in Grafana.
 */
const serviceName = z
  .string()
  .regex(/^[^\s\p{Cc}](.*[^\s\p{Cc}])?$/u, { error: (i) => `expected a service.name (non-empty, no leading/trailing space or control characters), got ${JSON.stringify(i.input)}` })
  .max(255, { error: (i) => `expected a service.name of at most 255 characters, got ${String(i.input).length}` });

export const samplingSchema = z
  .strictObject({
    defaultRate: rate.default(0.1).describe('share of ordinary traces kept (0..1), for every service not listed in services'),
    services: z
      .record(serviceName, rate)
      .default({})
      .describe('per service.name rate (0..1) replacing defaultRate for traces of that service, e.g. { checkout: 0.5, healthcheck: 0.01 }'),
    alwaysSampleErrors: z.boolean().default(true).describe('keep every trace with an ERROR span'),
    slowRequestThreshold: duration.default('1s').describe('keep every trace at least this long'),
    honorPriority: z.boolean().default(true).describe('keep every trace with a span attribute sample.priority >= 1'),
  })
  .prefault({});
export type SamplingConfig = z.infer<typeof samplingSchema>;

/** The span attribute applications set to force a keep (an integer >= 1). */
export const PRIORITY_ATTRIBUTE = 'sample.priority';
/** The resource attribute naming the service a span comes from. */
export const SERVICE_NAME_ATTRIBUTE = 'service.name';

/** The rate the gateway applies to traces of `service`: its own if listed, `defaultRate` otherwise. */
export function rateFor(sampling: Pick<SamplingConfig, 'defaultRate' | 'services'>, service: string): number {
  return Object.prototype.hasOwnProperty.call(sampling.services, service) ? sampling.services[service] : sampling.defaultRate;
}
