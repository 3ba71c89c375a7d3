import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { StackService } from '../lib/k8s/service';

export interface CertificatesChartProps {
  readonly env: Environment;
  /** Services whose names the serving certificate covers (Tempo, Loki). */
  readonly servers: StackService[];
  /** Namespaces of clients outside the stack namespace that need the CA (the log agent's: Promtail or Alloy). */
  readonly clientNamespaces: string[];
}

/**
 * cert-manager Certificates behind `tls.secretName` when `tls.certManager` is set
 * (https://cert-manager.io/docs/usage/certificate/): the serving certificate of Tempo and Loki, named after
 * their Services, and in each client namespace a small certificate from the same issuer whose Secret carries
 * the issuer's ca.crt for clients to verify against.
 */
export class CertificatesChart extends StackChart {
  constructor(scope: Construct, id: string, props: CertificatesChartProps) {
    super(scope, id, { env: props.env, name: 'certificates', component: 'security' });
    const { tls } = props.env.config;
    if (!tls.enabled || !tls.certManager) return;
    const issuerRef = { name: tls.certManager.issuerName, kind: tls.certManager.issuerKind, group: 'cert-manager.io' };
    const common = {
      secretName: tls.secretName,
      issuerRef,
      duration: '2160h',
      renewBefore: '360h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    };
    const dnsNames = props.servers.flatMap((s) => [s.name, `${s.name}.${s.namespace}`, `${s.name}.${s.namespace}.svc`, s.host]);
    new ApiObject(this, 'serving', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: this.meta(tls.secretName),
      spec: { ...common, commonName: props.servers[0].host, dnsNames, usages: ['server auth', 'digital signature', 'key encipherment'] },
    });
    for (const namespace of props.clientNamespaces) {
      new ApiObject(this, `ca-${namespace}`, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: this.meta(tls.secretName, { namespace }),
        spec: { ...common, commonName: `clients.${namespace}`, dnsNames: [`clients.${namespace}.svc`], usages: ['client auth', 'digital signature'] },
      });
    }
  }
}
