import { z } from 'zod';
import { dnsLabel, image, port, resources } from './primitives';
import { IMAGES } from '../images';

export const grafanaSchema = z
  .strictObject({
    image: image.default(IMAGES.grafana).describe('Grafana image (13.x)'),
    ports: z.strictObject({ http: port.default(3000).describe('HTTP port') }).prefault({}),
    adminSecret: z
      .strictObject({
        name: dnsLabel.default('grafana-admin').describe('existing Secret holding the admin credentials'),
        userKey: z.string().min(1).default('admin-user').describe('key of the admin user name'),
        passwordKey: z.string().min(1).default('admin-password').describe('key of the admin password'),
      })
      .prefault({})
      .describe('the admin login comes from this Secret; it is never written to config or dist/'),
    storageGiB: z.number().int().positive().default(10).describe('PVC size for the Grafana database and plugins'),
    resources: resources({ cpu: '250m', memory: '256Mi', memoryLimit: '512Mi' }),
  })
  .prefault({});
export type GrafanaConfig = z.infer<typeof grafanaSchema>;
