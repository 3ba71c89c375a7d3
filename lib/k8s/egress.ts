/**
 * Egress to a server named by host and port (an S3-compatible endpoint, Grafana's database).
 * NetworkPolicies match addresses, not names, so what can be narrowed is narrowed:
 * - `<service>.<namespace>.svc[.cluster.local]`: pods of that namespace, on that port;
 * - an IPv4 literal: that address, on that port;
 * - any other name (a managed database, an on-premises MinIO outside the cluster): any address, on that
 *   port only. Its IPs are not known at synth time and change under a load balancer.
 */
import * as k8s from '../../imports/k8s';
import { hostPortOf, isAwsEndpoint, ObjectStorage } from '../config/object-storage';

/** Outside the cluster's private ranges: public object storage, OAuth providers, cloud token endpoints. */
export const INTERNET: k8s.NetworkPolicyPeer = { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } };

const IN_CLUSTER = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The namespace of an in-cluster Service DNS name, or undefined for anything else. */
export function serviceNamespace(host: string): string | undefined {
  return IN_CLUSTER.exec(host)?.[2];
}

export function egressToHost(host: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): k8s.NetworkPolicyEgressRule {
  const ports = [{ protocol, port: k8s.IntOrString.fromNumber(port) }];
  const namespace = serviceNamespace(host);
  if (namespace) return { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } }], ports };
  if (IPV4.test(host)) return { to: [{ ipBlock: { cidr: `${host}/32` } }], ports };
  return { ports };
}

const tcp = (port: number) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });

/**
 * Egress a component needs for its object store:
 * - S3 on AWS: public addresses on the endpoint's port; an S3-compatible endpoint (MinIO, Ceph RGW): that
 *   host's port as `egressToHost` narrows it (plain HTTP defaults to 80);
 * - GCS: public addresses on 443 (storage and token endpoints) and, with workload identity, the GKE
 *   metadata server that hands out the tokens (169.254.169.254:80 with Dataplane V2, 169.254.169.252:988
 *   with Calico), per GKE's workload identity notes on network policy;
 * - Azure: public addresses on 443 (blob endpoint and Entra ID token endpoint).
 */
export function objectStoreEgress(store: ObjectStorage): k8s.NetworkPolicyEgressRule[] {
  switch (store.backend) {
    case 's3': {
      const { host, port } = hostPortOf(store.s3.endpoint, store.s3.insecure ? 80 : 443);
      return [isAwsEndpoint(host) ? { to: [INTERNET], ports: [tcp(port)] } : egressToHost(host, port)];
    }
    case 'gcs':
      return [
        { to: [INTERNET], ports: [tcp(443)] },
        ...(store.gcs.serviceAccount
          ? [
              { to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [tcp(80)] },
              { to: [{ ipBlock: { cidr: '169.254.169.252/32' } }], ports: [tcp(988)] },
            ]
          : []),
      ];
    case 'azure':
      return [{ to: [INTERNET], ports: [tcp(443)] }];
    default:
      return [];
  }
}
