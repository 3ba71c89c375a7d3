import { z } from 'zod';
import { dnsLabel, image, port, resources } from './primitives';
import { IMAGES } from '../images';

export const logAgentSchema = z
  .enum(['promtail', 'alloy'])
  .default('promtail')
  .describe('log agent DaemonSet: promtail (end of life since 2026-03-02, the default the design names) or alloy (its successor; same labels and trace_id metadata in Loki)');

export const alloySchema = z
  .strictObject({
    image: image.default(IMAGES.alloy).describe('Grafana Alloy image (used when logAgent is alloy)'),
    namespace: dnsLabel
      .default('observability-agent')
      .describe('namespace of the Alloy DaemonSet: Pod Security "privileged" with source files (host paths), "restricted" with source api'),
    source: z
      .enum(['files', 'api'])
      .default('files')
      .describe(
        "where pod logs are read: files (the node's /var/log/pods through a read-only hostPath, as root; no API server load) or api (the API server's pods/log stream; no host access, but every log byte passes through the API server and positions do not survive a pod replacement)",
      ),
    ports: z.strictObject({ http: port.default(12345).describe('HTTP port: /metrics (container port named "metrics"), /-/ready') }).prefault({}),
    resources: resources({ cpu: '100m', memory: '256Mi', memoryLimit: '512Mi' }),
  })
  .prefault({});
export type AlloyConfig = z.infer<typeof alloySchema>;
