/**
 * Helpers for tests that render production with one feature switched on (a store, Grafana HA, tenants):
 * production.yaml merged with an overlay and loaded under the name "production" (environment rules such
 * as "plain HTTP only in dev" depend on it), the Kubernetes schema check, and a NetworkPolicy evaluator
 * that knows protocols and in-cluster namespaces.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { Environment } from '../../lib/config/schema';
import { envFrom, K8sObject, ROOT, tempDir } from '../helpers';

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge: mappings merge, anything else in the overlay replaces. */
export function merge(base: Tree, overlay: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(overlay)) out[k] = isTree(v) && isTree(base[k]) ? merge(base[k] as Tree, v) : v;
  return out;
}

export function productionWith(overlay: Tree): Environment {
  const base = load(readFileSync(path.join(ROOT, 'config', 'production.yaml'), 'utf8')) as Tree;
  return envFrom(merge(base, overlay), 'production');
}

const BUILT_IN = /^(v1|(apps|batch|policy|autoscaling|networking\.k8s\.io|rbac\.authorization\.k8s\.io)\/v\w+)$/;

/** Problems the Kubernetes schemas (1.27 and 1.34 models, unknown fields as errors) find in the built-in objects. */
export function schemaProblems(objs: K8sObject[]): unknown[] {
  const file = path.join(tempDir('k8s-validate-'), 'objects.json');
  writeFileSync(file, JSON.stringify(objs.filter((o) => BUILT_IN.test(o.apiVersion))));
  return ['kubernetes-models-1-27', 'kubernetes-models'].flatMap((pkg) => {
    const r = spawnSync(process.execPath, [path.join(__dirname, 'k8s-validate.mjs'), pkg, file], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as unknown[];
  });
}

export interface Endpoint {
  namespace: string;
  labels: Record<string, string>;
  /** For peers outside the cluster. */
  ip?: string;
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
  const nsLabels = { 'kubernetes.io/metadata.name': other.namespace };
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

const MINIO_ENDPOINT = 'minio.storage.svc.cluster.local:9000';
const minio = (bucket: string) => ({ bucket, s3: { endpoint: MINIO_ENDPOINT, forcePathStyle: true, insecure: true, insecureEndpoint: MINIO_ENDPOINT } });
const AZURE_CLIENT_ID = '11111111-2222-3333-4444-555555555555';

/** The "done when" configurations, each applied on top of production. */
export const DONE_WHEN: Record<string, Tree> = {
  'MinIO': { tempo: minio('traces'), loki: minio('logs') },
  'GCS workload identity': {
    tempo: { backend: 'gcs', bucket: 'ybuilt-traces', gcs: { serviceAccount: 'tempo@ybuilt.iam.gserviceaccount.com' } },
    loki: { backend: 'gcs', bucket: 'ybuilt-logs', gcs: { serviceAccount: 'loki@ybuilt.iam.gserviceaccount.com' } },
  },
  'Azure workload identity': {
    tempo: { backend: 'azure', bucket: 'traces', azure: { accountName: 'ybuiltobs', clientId: AZURE_CLIENT_ID } },
    loki: { backend: 'azure', bucket: 'logs', azure: { accountName: 'ybuiltobs', clientId: AZURE_CLIENT_ID } },
  },
  'Grafana HA on PostgreSQL': {
    grafana: {
      replicas: 2,
      database: { type: 'postgres', host: 'grafana-pg.databases.svc.cluster.local', passwordSecret: { name: 'grafana-db', key: 'password' }, sslMode: 'verify-full' },
    },
  },
  'tenants': {
    loki: { authEnabled: true, tenantId: 'team-a', tenants: { 'team-a': { retention: '720h', ingestionRateMB: 20 }, 'team-b': { retention: '168h' } } },
    tempo: { authEnabled: true, tenantId: 'team-a', tenants: { 'team-a': { retention: '336h' } } },
  },
};
export { MINIO_ENDPOINT, AZURE_CLIENT_ID };
