/**
 * Egress to a server named by host and port (an S3-compatible endpoint, Grafana's database).
 * NetworkPolicies match addresses, not names, so what can be narrowed is narrowed:
 * - `<service>.<namespace>.svc[.cluster.local]`: pods of that namespace, on that port;
 * - an IPv4 literal: that address, on that port;
 * - any other name (a managed database, an on-premises MinIO outside the cluster): any address, on that
 *   port only. Its IPs are not known at synth time and change under a load balancer.
 */
import * as k8s from '../../imports/k8s';

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

/** `host[:port]` split, with the port a scheme implies when none is written. */
export function hostPort(endpoint: string, defaultPort: number): { host: string; port: number } {
  const [host, port] = endpoint.split(':');
  return { host, port: port ? Number(port) : defaultPort };
}
