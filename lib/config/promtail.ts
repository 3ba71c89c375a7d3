import { z } from 'zod';
import { dnsLabel, image, port, resources } from './primitives';
import { IMAGES } from '../images';

export const promtailSchema = z
  .strictObject({
    image: image.default(IMAGES.promtail).describe('Promtail image (3.6.x, the last line; Grafana Alloy is its successor)'),
    namespace: dnsLabel
      .default('observability-agent')
      .describe('namespace of the Promtail DaemonSet: Pod Security "privileged" because it mounts host paths; the stack namespace stays "restricted"'),
    ports: z.strictObject({ http: port.default(3101).describe('HTTP port (readiness, metrics)') }).prefault({}),
    resources: resources({ cpu: '100m', memory: '128Mi', memoryLimit: '256Mi' }),
  })
  .prefault({});
export type PromtailConfig = z.infer<typeof promtailSchema>;
