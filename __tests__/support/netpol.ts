/**
 * A NetworkPolicy evaluator that knows protocols (Grafana's gossip is TCP and UDP), CIDR blocks (the GKE
 * metadata server) and in-cluster namespaces (a MinIO or a database in another namespace). A connection is
 * allowed when some policy selecting the destination allows it as ingress and some policy selecting the source
 * allows it as egress; policies only add.
 */
import { K8sObject } from '../helpers';

export interface Endpoint {
  namespace: string;
  labels: Record<string, string>;
  /** For peers outside the cluster. */
  ip?: string;
  /** Labels of the endpoint's namespace besides `kubernetes.io/metadata.name` (which every namespace has). */
  namespaceLabels?: Record<string, string>;
}

const matches = (selector: any, labels: Record<string, string>) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
/** IPv4 address inside a CIDR block. */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const block = 2 ** (32 - bits);
  return Math.floor(n(ip) / block) === Math.floor(n(base) / block);
}

function peerMatches(peer: any, policyNs: string, other: Endpoint): boolean {
  if (peer.ipBlock) return other.ip !== undefined && inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip!, c));
  if (other.ip) return false;
  const nsLabels = { 'kubernetes.io/metadata.name': other.namespace, ...other.namespaceLabels };
  const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels) : other.namespace === policyNs;
  return nsOk && (peer.podSelector ? matches(peer.podSelector, other.labels) : true);
}

function side(policies: K8sObject[], self: Endpoint, other: Endpoint, port: number, protocol: string, type: 'Ingress' | 'Egress'): boolean {
  if (self.ip) return true;
  const selecting = policies.filter((p) => p.metadata.namespace === self.namespace && p.spec.policyTypes.includes(type) && matches(p.spec.podSelector, self.labels));
  if (!selecting.length) return true;
  const rules = selecting.flatMap((p) => (type === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []);
  return rules.some(
    (r: any) =>
      ((type === 'Ingress' ? r.from : r.to) ?? [{}]).some((peer: any) => (Object.keys(peer).length === 0 ? true : peerMatches(peer, self.namespace, other))) &&
      (r.ports ?? [{ port, protocol }]).some((p: any) => p.port === port && (p.protocol ?? 'TCP') === protocol),
  );
}

/** Whether the rendered NetworkPolicies allow a connection (egress of the source and ingress of the destination). */
export function allowed(objs: K8sObject[], from: Endpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): boolean {
  const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
  return side(policies, from, to, port, protocol, 'Egress') && side(policies, to, from, port, protocol, 'Ingress');
}

/** The pods of a workload as a NetworkPolicy endpoint. */
export function podOf(w: K8sObject): Endpoint {
  return { namespace: w.metadata.namespace!, labels: w.spec.template.metadata.labels };
}

