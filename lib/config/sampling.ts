import { z } from 'zod';
import { duration } from './primitives';

export const samplingSchema = z
  .strictObject({
    defaultRate: z
      .number({ error: (i) => `expected a rate between 0 and 1, got ${JSON.stringify(i.input)}` })
      .min(0, { error: (i) => `expected a rate between 0 and 1, got ${JSON.stringify(i.input)}` })
      .max(1, { error: (i) => `expected a rate between 0 and 1, got ${JSON.stringify(i.input)}` })
      .default(0.1)
      .describe('share of ordinary traces kept (0..1)'),
    alwaysSampleErrors: z.boolean().default(true).describe('keep every trace with an ERROR span'),
    slowRequestThreshold: duration.default('1s').describe('keep every trace at least this long'),
  })
  .prefault({});
export type SamplingConfig = z.infer<typeof samplingSchema>;
