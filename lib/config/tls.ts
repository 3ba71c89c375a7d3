import { z } from 'zod';
import { dnsLabel } from './primitives';

/**
 * TLS for Tempo's and Loki's endpoints. With `enabled`, both serve HTTPS on their HTTP port (Grafana's
 * queries, Promtail's pushes, probes, metrics) and Tempo's OTLP receivers take TLS; Grafana, Promtail and the
 * collector verify the certificate against `ca.crt`. Their internal gRPC stays on loopback inside the pod.
 */
export const tlsSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('serve Tempo and Loki over TLS and make every client verify it'),
    secretName: dnsLabel
      .default('observability-tls')
      .describe('Secret with tls.crt, tls.key and ca.crt in the stack namespace (and ca.crt in the namespace of the log agent)'),
    certManager: z
      .strictObject({
        issuerName: z.string().min(1).describe('cert-manager issuer that signs the certificates'),
        issuerKind: z.enum(['ClusterIssuer', 'Issuer']).default('ClusterIssuer').describe('kind of that issuer'),
      })
      .optional()
      .describe('emit cert-manager Certificates that create those Secrets (an issuer whose Secrets carry ca.crt, e.g. a CA issuer)'),
  })
  .prefault({});
export type TlsConfig = z.infer<typeof tlsSchema>;
