/**
 * dist/<env>/PREREQUISITES.md: what must exist in the cluster before the first sync, derived from the rendered
 * objects (and, for the buckets, the config), never from a list kept by hand:
 * - every Secret a rendered object reads (env secretKeyRef and envFrom, secret and projected volumes, image pull
 *   Secrets, Ingress TLS, prometheus-operator secret selectors, Flux's secretRef) that the output does not
 *   create itself (a Secret object, or a cert-manager Certificate's secretName);
 * - the API groups of custom resources, with their kinds, and the cert-manager issuers;
 * - buckets; IRSA / workload identity ServiceAccounts and their trust subjects;
 * - namespaces the NetworkPolicies and routes name that the output does not create;
 * - Prometheus features the stack's configs rely on (remote-write receiver, exemplar storage).
 * kustomize applies only what kustomization.yaml lists, so this file is read by people, not applied.
 */
import { load } from 'js-yaml';
import * as k8s from '../imports/k8s';
import { Environment } from './config/schema';
import { byCodeUnits } from './order';

export const PREREQUISITES_FILE = 'PREREQUISITES.md';

/** A rendered object, as plain data. */
export interface PlainObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

/** One Secret the output reads: where, which keys, and who reads it. */
export interface SecretRead {
  namespace: string;
  name: string;
  /** The keys read; empty when the whole Secret is read and no file under its mount is named. */
  keys: string[];
  readers: string[];
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
/** The API groups of Kubernetes itself, from the generated API types (imports/k8s). */
const BUILT_IN_GROUPS = new Set(Object.values(k8s).flatMap((v: any) => (v?.GVK?.apiVersion ? [groupOf(v.GVK.apiVersion)] : [])));

/** What a custom resource group needs installed, for the groups this project renders (anything else is named by its group). */
const PROVIDERS: Record<string, string> = {
  'cert-manager.io': 'cert-manager',
  'monitoring.coreos.com': 'prometheus-operator (kube-prometheus-stack)',
  'gateway.networking.k8s.io': 'Gateway API CRDs and a Gateway controller',
  'argoproj.io': 'Argo CD',
  'source.toolkit.fluxcd.io': 'Flux source-controller',
  'kustomize.toolkit.fluxcd.io': 'Flux kustomize-controller',
  's3.services.k8s.aws': 'ACK S3 controller',
  's3.aws.upbound.io': 'Crossplane AWS S3 provider',
};

/** Identity annotations on ServiceAccounts (IRSA, GKE and Azure workload identity). */
const IDENTITY = {
  'eks.amazonaws.com/role-arn': 'IRSA role',
  'iam.gke.io/gcp-service-account': 'GKE workload identity (Google service account)',
  'azure.workload.identity/client-id': 'Azure workload identity (client id)',
} as const;

function podSpecOf(o: PlainObject): any | undefined {
  if (o.kind === 'Pod') return o.spec;
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

/** Every Secret read by the objects, keyed namespace/name. */
export function secretsRead(objects: PlainObject[]): SecretRead[] {
  const reads = new Map<string, SecretRead>();
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  const read = (namespace: string, name: string, keys: string[], reader: string) => {
    const id = `${namespace}/${name}`;
    const r = reads.get(id) ?? { namespace, name, keys: [], readers: [] };
    r.keys = [...new Set([...r.keys, ...keys])].sort();
    if (!r.readers.includes(reader)) r.readers.push(reader);
    reads.set(id, r);
  };
  for (const o of objects) {
    const ns = o.metadata.namespace ?? '';
    const who = `${o.kind}/${o.metadata.name}`;
    const pod = podSpecOf(o);
    if (pod) {
      const containers = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
      for (const c of containers) {
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) read(ns, e.valueFrom.secretKeyRef.name, [e.valueFrom.secretKeyRef.key], `${who} (env ${e.name})`);
        for (const e of c.envFrom ?? []) if (e.secretRef) read(ns, e.secretRef.name, [], `${who} (envFrom)`);
      }
      for (const s of pod.imagePullSecrets ?? []) read(ns, s.name, ['.dockerconfigjson'], `${who} (imagePullSecrets)`);
      // Files a pod names under a mount: its containers' args, commands and env values, and its mounted ConfigMaps.
      const podText = [
        ...containers.flatMap((c: any) => [...(c.args ?? []), ...(c.command ?? []), ...(c.env ?? []).map((e: any) => e.value ?? '')]),
        ...(pod.volumes ?? []).filter((v: any) => v.configMap).flatMap((v: any) => Object.values(configMaps.get(`${ns}/${v.configMap.name}`)?.data ?? {})),
      ].join('\n');
      const filesUnder = (volume: string) =>
        containers.flatMap((c: any) =>
          (c.volumeMounts ?? [])
            .filter((m: any) => m.name === volume)
            .flatMap((m: any) => (m.subPath ? [m.subPath] : [...podText.matchAll(new RegExp(`${escape(m.mountPath.replace(/\/$/, ''))}/([A-Za-z0-9._-]+)`, 'g'))].map((x) => x[1]))),
        );
      for (const v of pod.volumes ?? []) {
        if (v.secret) read(ns, v.secret.secretName, v.secret.items ? v.secret.items.map((i: any) => i.key) : filesUnder(v.name), `${who} (volume ${v.name})`);
        for (const src of v.projected?.sources ?? []) if (src.secret) read(ns, src.secret.name, src.secret.items ? src.secret.items.map((i: any) => i.key) : filesUnder(v.name), `${who} (volume ${v.name})`);
      }
    }
    if (o.kind === 'Ingress') for (const t of o.spec?.tls ?? []) if (t.secretName) read(ns, t.secretName, ['tls.crt', 'tls.key'], `${who} (TLS)`);
    if (o.kind === 'GitRepository' && o.spec?.secretRef) read(ns, o.spec.secretRef.name, [], `${who} (Git credentials)`);
    // (A PrometheusRule, the largest of them, has no such field: its schema holds rules only.)
    if (groupOf(o.apiVersion) === 'monitoring.coreos.com' && o.kind !== 'PrometheusRule') {
      // prometheus-operator's SecretKeySelectors ({ name, key }) under a `secret` field (TLS CA and client
      // certificates), read from the monitor's namespace.
      walk(o.spec, (key, value) => {
        if (key === 'secret' && value && typeof value.name === 'string' && typeof value.key === 'string') read(ns, value.name, [value.key], `${who} (tlsConfig)`);
      });
    }
  }
  return [...reads.values()].sort((a, b) => byCodeUnits(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
}

function walk(value: any, visit: (key: string, value: any) => void): void {
  if (Array.isArray(value)) for (const v of value) walk(v, visit);
  else if (value && typeof value === 'object')
    for (const k of Object.keys(value)) {
      const v = value[k];
      visit(k, v);
      if (v && typeof v === 'object') walk(v, visit);
    }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Secrets the output creates: Secret objects, and cert-manager Certificates' secretName. */
export function secretsCreated(objects: PlainObject[]): Map<string, string> {
  const made = new Map<string, string>();
  for (const o of objects) {
    if (o.kind === 'Secret') made.set(`${o.metadata.namespace}/${o.metadata.name}`, 'rendered');
    if (o.kind === 'Certificate' && groupOf(o.apiVersion) === 'cert-manager.io') made.set(`${o.metadata.namespace}/${o.spec.secretName}`, `cert-manager, from Certificate ${o.metadata.name}`);
  }
  return made;
}

/** The Secrets to create by hand: read by the output and not created by it. */
export function secretsToCreate(objects: PlainObject[]): SecretRead[] {
  const made = secretsCreated(objects);
  return secretsRead(objects).filter((s) => !made.has(`${s.namespace}/${s.name}`));
}

/** A `kubectl create secret` line with the keys as placeholders (files for keys that name a file). */
function createLine(s: SecretRead): string {
  const keys = s.keys.length ? s.keys : ['<key>'];
  const from = keys.map((k) => (/\.[a-z]+$/.test(k) ? `--from-file=${k}=<path to ${k}>` : `--from-literal=${k}=<value>`));
  return `kubectl -n ${s.namespace} create secret generic ${s.name} ${from.join(' ')}`;
}

/** Namespaces named by selectors and references but not created by the output. */
function expectedNamespaces(objects: PlainObject[], created: Set<string>): string[] {
  const out = new Map<string, Set<string>>();
  const need = (what: string, why: string) => out.set(what, (out.get(what) ?? new Set()).add(why));
  for (const o of objects) {
    const who = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'NetworkPolicy') {
      walk(o.spec, (key, value) => {
        if (key !== 'namespaceSelector' || !value) return;
        for (const [label, v] of Object.entries<string>(value.matchLabels ?? {})) need(label === 'kubernetes.io/metadata.name' ? v : `every namespace labelled ${label}=${v}`, who);
        for (const e of value.matchExpressions ?? []) if (e.key === 'kubernetes.io/metadata.name' && e.operator === 'In') for (const v of e.values) need(v, who);
      });
    }
    if (o.kind === 'HTTPRoute') for (const p of o.spec?.parentRefs ?? []) if (p.namespace) need(p.namespace, `${who} (its Gateway ${p.name})`);
    if (o.kind === 'Application' || o.kind === 'GitRepository' || o.kind === 'Kustomization') need(o.metadata.namespace ?? '', `${who} (the GitOps controller's)`);
  }
  return [...out].filter(([ns]) => ns && !created.has(ns)).sort(([a], [b]) => byCodeUnits(a, b)).map(([ns, why]) => `- \`${ns}\`: ${[...why].sort().join(', ')}`);
}

/** remote_write targets in the components' config files (Tempo's metrics-generator). */
function remoteWrites(objects: PlainObject[]): { url: string; exemplars: boolean; by: string }[] {
  const out: { url: string; exemplars: boolean; by: string }[] = [];
  for (const o of objects.filter((x) => x.kind === 'ConfigMap')) {
    for (const [file, text] of Object.entries<string>(o.data ?? {})) {
      // Only a file that names the key can hold it (parsing every dashboard's JSON cost more than the rest of this file).
      if (!text.includes('remote_write')) continue;
      let doc: unknown;
      try {
        doc = load(text);
      } catch {
        continue; // not YAML (Alloy, dashboards are JSON and parse; anything else is not a config with remote_write)
      }
      walk(doc, (key, value) => {
        if (key === 'remote_write' && Array.isArray(value)) for (const w of value) if (w?.url) out.push({ url: w.url, exemplars: w.send_exemplars === true, by: `ConfigMap ${o.metadata.name} (${file})` });
      });
    }
  }
  return out;
}

/** PREREQUISITES.md of one environment. */
export function prerequisites(env: Environment, objects: PlainObject[], bootstrap: PlainObject[]): string {
  const c = env.config;
  const all = [...objects, ...bootstrap];
  const created = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const lines: string[] = [
    `# Before the first sync: ${env.name}`,
    '',
    'Generated by `npm run synth` from the rendered objects (do not edit). kustomize does not apply this file; it',
    'lists what the cluster must already have. Order: the namespaces, then the Secrets, then the first sync.',
    '',
    '## 1. Namespaces',
    '',
    `\`kubectl apply -f namespace.k8s.yaml\` (in this folder) creates ${[...created].map((n) => `\`${n}\``).join(' and ')} alone (every Namespace`,
    'this environment creates is in that file), so the Secrets below can be created before the first sync. The',
    'namespaces carry deletion protection for Argo CD and Flux: deleting the Application or Kustomization keeps them.',
    '',
  ];
  const expected = expectedNamespaces(all, created);
  if (expected.length) lines.push('Namespaces that must exist already (named by NetworkPolicies, routes and GitOps objects):', '', ...expected, '');

  lines.push('## 2. Secrets to create', '');
  const secrets = secretsToCreate(all);
  if (!secrets.length) lines.push('None: every Secret the output reads, it creates.', '');
  for (const s of secrets) {
    lines.push(`### \`${s.namespace}/${s.name}\``, '', `Keys: ${s.keys.length ? s.keys.map((k) => `\`${k}\``).join(', ') : 'as the reader expects (the whole Secret is read)'}.`, '');
    lines.push(`Read by: ${s.readers.join('; ')}.`, '', '```sh', createLine(s), '```', '');
  }
  if (c.gitops.repoURL && c.gitops.tool === 'argocd')
    lines.push(
      `Argo CD finds Git credentials by URL: for a private repository, a Secret in \`${c.gitops.argocd.namespace}\` labelled`,
      `\`argocd.argoproj.io/secret-type: repository\` with \`url: ${c.gitops.repoURL.replace(/\/\/[^@/]*@/, '//')}\` (\`argocd repo add\` makes it).`,
      '',
    );
  const made = [...secretsCreated(all)].filter(([, how]) => how !== 'rendered');
  if (made.length) lines.push('Created for you (do not create them): ' + made.map(([id, how]) => `\`${id}\` (${how})`).join(', ') + '.', '');

  lines.push('## 3. Custom resources and issuers', '');
  const groups = new Map<string, Set<string>>();
  for (const o of all) {
    const g = groupOf(o.apiVersion);
    if (!BUILT_IN_GROUPS.has(g)) groups.set(g, (groups.get(g) ?? new Set()).add(o.kind));
  }
  if (!groups.size) lines.push('None: only built-in Kubernetes kinds.', '');
  for (const [g, kinds] of [...groups].sort(([a], [b]) => byCodeUnits(a, b))) lines.push(`- \`${g}\` (${[...kinds].sort().join(', ')}): ${PROVIDERS[g] ?? 'its CRDs and controller'}`);
  if (groups.size) lines.push('');
  const issuers = new Set(all.filter((o) => o.kind === 'Certificate').map((o) => `${o.spec.issuerRef.kind ?? 'Issuer'} \`${o.spec.issuerRef.name}\`${(o.spec.issuerRef.kind ?? 'Issuer') === 'Issuer' ? ` in \`${o.metadata.namespace}\`` : ''}`));
  if (issuers.size) lines.push(`cert-manager issuer: ${[...issuers].sort().join(', ')}, ready before the first sync.`, '');

  lines.push('## 4. Object storage', '');
  const buckets = (['tempo', 'loki'] as const).filter((e) => c[e].backend !== 'filesystem');
  if (!buckets.length) lines.push('None: Tempo and Loki keep their data on their volumes (backend filesystem).', '');
  for (const e of buckets) {
    const s = c[e];
    const where = s.backend === 's3' ? `S3 at \`${s.s3.endpoint}\`, region \`${s.s3.region}\`` : s.backend === 'gcs' ? 'Google Cloud Storage' : `Azure storage account \`${s.azure.accountName}\``;
    const managed = all.find((o) => /Bucket$/.test(o.kind) && JSON.stringify(o.spec ?? {}).includes(`"${s.bucket}"`));
    lines.push(`- ${e}: bucket \`${s.bucket}\` (${where})${managed ? `, created by ${managed.apiVersion} ${managed.kind}/${managed.metadata.name}` : ', must exist'}`);
  }
  if (buckets.length) lines.push('');

  lines.push('## 5. Cloud identities (IRSA, workload identity)', '');
  const identities = all.filter((o) => o.kind === 'ServiceAccount' && Object.keys(IDENTITY).some((a) => o.metadata.annotations?.[a]));
  if (!identities.length) lines.push('None: no ServiceAccount carries a cloud identity.', '');
  for (const sa of identities) {
    const ns = sa.metadata.namespace!;
    for (const [annotation, what] of Object.entries(IDENTITY)) {
      const value = sa.metadata.annotations?.[annotation];
      if (!value) continue;
      const subject =
        annotation === 'iam.gke.io/gcp-service-account'
          ? `member \`serviceAccount:${value.split('@')[1]?.split('.')[0]}.svc.id.goog[${ns}/${sa.metadata.name}]\` with roles/iam.workloadIdentityUser on \`${value}\``
          : annotation === 'eks.amazonaws.com/role-arn'
            ? `trust policy condition \`<OIDC provider>:sub\` = \`system:serviceaccount:${ns}:${sa.metadata.name}\` and \`:aud\` = \`sts.amazonaws.com\``
            : `federated credential subject \`system:serviceaccount:${ns}:${sa.metadata.name}\`, issuer the cluster's OIDC issuer URL`;
      lines.push(`- ServiceAccount \`${ns}/${sa.metadata.name}\`: ${what} \`${value}\`; ${subject}`);
    }
  }
  if (identities.length) lines.push('');

  lines.push('## 6. Prometheus', '');
  const monitors = all.filter((o) => groupOf(o.apiVersion) === 'monitoring.coreos.com');
  if (monitors.length) {
    const kinds = [...new Set(monitors.map((o) => o.kind))].sort();
    const nss = [...new Set(monitors.map((o) => o.metadata.namespace))].sort();
    const labels = Object.entries(c.monitoring.labels);
    lines.push(`- selects the ${kinds.join(', ')} objects in ${nss.map((n) => `\`${n}\``).join(', ')}${labels.length ? ` by ${labels.map(([k, v]) => `\`${k}=${v}\``).join(', ')}` : ''} (its serviceMonitorSelector, podMonitorSelector, ruleSelector and their namespace selectors)`);
  }
  const prometheusHost = new URL(c.prometheus.url).host;
  const writes = remoteWrites(objects).filter((w) => new URL(w.url).host === prometheusHost);
  if (writes.length) lines.push(`- \`--web.enable-remote-write-receiver\`: ${[...new Set(writes.map((w) => w.by))].join(', ')} remote-writes to \`${writes[0].url}\``);
  if (writes.some((w) => w.exemplars)) lines.push('- `--enable-feature=exemplar-storage`: the remote writes carry exemplars (trace ids), which Prometheus drops without it');
  lines.push(`- reachable at \`${c.prometheus.url}\` (Grafana's data source)`, '');
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
