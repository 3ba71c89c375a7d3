/**
 * dist/<env>/PREREQUISITES.md against the objects it describes (issue 24, item 2). The Secrets it lists are
 * compared with an independent reading of the output: every field anywhere in any object whose name says
 * "secret" (secretKeyRef, secretRef, secretName, secret, imagePullSecrets, …), minus what the output creates.
 */
import { Environment } from '../lib/config/schema';
import { anyEnv, CHECKED, envFrom, K8sObject, objects, renderedFiles } from './helpers';

const FS = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';
const S3 = (engine: string, credentials: string) => `${engine}: {bucket: ${engine}-bucket, s3: {region: eu-west-1, credentials: ${credentials}}}\n`;

const SCENARIOS: Record<string, () => Environment> = {
  ...Object.fromEntries(CHECKED.map((n) => [n, () => anyEnv(n)])),
  'OAuth, an Ingress with its own TLS Secret, TLS from a hand-made Secret': () =>
    envFrom(
      `${FS}tls: {enabled: true}\ngrafana: {exposure: {type: ingress, host: grafana.example.org, tlsSecret: grafana-tls}, oauth: {provider: github, clientId: abc, clientSecret: {name: grafana-oauth, key: client-secret}, allowedOrganizations: [ybuilt]}}`,
    ),
  'Flux from a private repository': () => envFrom(`${FS}gitops: {repoURL: "ssh://git@github.com/ybuilt/observability.git", tool: flux, flux: {secretRef: git-deploy-key}}`),
  'IRSA for both engines': () => envFrom(S3('tempo', '{roleArn: "arn:aws:iam::123456789012:role/tempo"}') + S3('loki', '{roleArn: "arn:aws:iam::123456789012:role/loki"}'), 'eu-prod'),
};

/** The PREREQUISITES.md of an environment and what it applies (its objects and its GitOps bootstrap objects). */
function rendered(e: Environment): { text: string; objs: K8sObject[] } {
  return { text: renderedFiles(e).get('PREREQUISITES.md')!, objs: objects(e) };
}

/** Every `namespace/name` of a Secret named anywhere in the objects, found by field name alone. */
function secretNames(objs: K8sObject[], bootstrapNamespace?: string): Set<string> {
  const found = new Set<string>();
  const visit = (ns: string, value: any, key = ''): void => {
    if (Array.isArray(value)) return value.forEach((v) => visit(ns, v, key));
    if (/secret/i.test(key)) {
      if (typeof value === 'string') found.add(`${ns}/${value}`);
      else if (value && typeof value === 'object') {
        const name = value.name ?? value.secretName;
        if (typeof name === 'string') found.add(`${ns}/${name}`);
      }
    }
    if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(ns, v, k);
  };
  for (const o of objs) {
    if (o.kind === 'Secret') continue;
    visit(o.metadata.namespace ?? bootstrapNamespace ?? '', o.spec ?? {});
  }
  return found;
}

/** Secrets the output makes itself: Secret objects and cert-manager Certificates. */
const made = (objs: K8sObject[]) => new Set(objs.flatMap((o) => (o.kind === 'Secret' ? [`${o.metadata.namespace}/${o.metadata.name}`] : o.kind === 'Certificate' ? [`${o.metadata.namespace}/${o.spec.secretName}`] : [])));

/** The Secrets PREREQUISITES.md tells the user to create, with their keys and kubectl line. */
function listed(text: string): Map<string, { keys: string[]; kubectl: string }> {
  const out = new Map<string, { keys: string[]; kubectl: string }>();
  for (const m of text.matchAll(/^### `([^`]+)`\n\nKeys: (.*)\n[\s\S]*?```sh\n(.*)\n```/gm)) out.set(m[1], { keys: [...m[2].matchAll(/`([^`]+)`/g)].map((k) => k[1]), kubectl: m[3] });
  return out;
}

describe('PREREQUISITES.md lists every Secret the output reads and does not create', () => {
  test.each(Object.keys(SCENARIOS))('%s', (name) => {
    const e = SCENARIOS[name]();
    const { text, objs } = rendered(e);
    const g = e.config.gitops;
    // The Flux GitRepository lives in Flux's namespace and is rendered into dist/bootstrap/.
    const bootstrapSecret = g.repoURL && g.tool === 'flux' && g.flux.secretRef ? [`${g.flux.namespace}/${g.flux.secretRef}`] : [];
    const expected = [...secretNames(objs)].filter((s) => !made(objs).has(s));
    const secrets = listed(text);
    expect([...secrets.keys()].sort()).toEqual([...expected, ...bootstrapSecret].sort());
    // Each with a kubectl line that creates it where it is read, with the keys that are read.
    for (const [id, { keys, kubectl }] of secrets) {
      const [ns, secret] = id.split('/');
      expect(kubectl.startsWith(`kubectl -n ${ns} create secret generic ${secret} `)).toBe(true);
      for (const k of keys) expect(kubectl).toMatch(new RegExp(`--from-(literal|file)=${k.replace(/\./g, '\\.')}=`));
    }
    // The keys of every secretKeyRef are among the listed keys of its Secret.
    for (const o of objs)
      for (const c of o.spec?.template?.spec?.containers ?? [])
        for (const v of c.env ?? []) {
          const ref = v.valueFrom?.secretKeyRef;
          if (ref && secrets.has(`${o.metadata.namespace}/${ref.name}`)) expect(secrets.get(`${o.metadata.namespace}/${ref.name}`)!.keys).toContain(ref.key);
        }
  });

  test('the hand-made TLS Secret lists the files the components read from its mount', () => {
    const { text } = rendered(SCENARIOS['OAuth, an Ingress with its own TLS Secret, TLS from a hand-made Secret']());
    const tls = listed(text).get('observability/observability-tls')!;
    expect(tls.keys).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(tls.kubectl).toBe('kubectl -n observability create secret generic observability-tls --from-file=ca.crt=<path to ca.crt> --from-file=tls.crt=<path to tls.crt> --from-file=tls.key=<path to tls.key>');
    expect(listed(text).get('observability/grafana-oauth')!.keys).toEqual(['client-secret']);
    expect(listed(text).get('observability/grafana-tls')!.keys).toEqual(['tls.crt', 'tls.key']);
  });
});

describe('PREREQUISITES.md: namespaces, custom resources, identities, Prometheus', () => {
  test('every Namespace is in namespace.k8s.yaml, alone, so it can be applied before the Secrets', () => {
    for (const name of ['production', 'production-alloy-api', 'dev']) {
      const files = renderedFiles(anyEnv(name));
      const all = objects(anyEnv(name));
      const nsFile = files.get('namespace.k8s.yaml')!;
      const inFile = [...nsFile.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
      expect(new Set(inFile)).toEqual(new Set(['Namespace']));
      expect(inFile.length).toBe(all.filter((o) => o.kind === 'Namespace').length);
      expect(files.get('PREREQUISITES.md')).toContain('`kubectl apply -f namespace.k8s.yaml` (in this folder) creates `observability`');
    }
  });

  test('custom resource groups and the issuer, from the objects', () => {
    const { text, objs } = rendered(anyEnv('production'));
    const groups = new Set(objs.map((o) => o.apiVersion).filter((v) => /\.[a-z]+\//.test(v) && !/k8s\.io\//.test(v)).map((v) => v.split('/')[0]));
    for (const g of groups) expect(text).toContain(`- \`${g}\``);
    const issuer = objs.find((o) => o.kind === 'Certificate')!.spec.issuerRef;
    expect(text).toContain(`cert-manager issuer: ${issuer.kind} \`${issuer.name}\``);
  });

  test('IRSA: each ServiceAccount with its role and the trust-policy subject', () => {
    const { text, objs } = rendered(SCENARIOS['IRSA for both engines']());
    const annotated = objs.filter((o) => o.kind === 'ServiceAccount' && o.metadata.annotations?.['eks.amazonaws.com/role-arn']);
    expect(annotated.length).toBe(2);
    for (const sa of annotated)
      expect(text).toContain(
        `- ServiceAccount \`${sa.metadata.namespace}/${sa.metadata.name}\`: IRSA role \`${sa.metadata.annotations!['eks.amazonaws.com/role-arn']}\`; trust policy condition \`<OIDC provider>:sub\` = \`system:serviceaccount:${sa.metadata.namespace}:${sa.metadata.name}\``,
      );
    // The buckets, on the regional endpoint.
    expect(text).toContain('- tempo: bucket `tempo-bucket` (S3 at `s3.eu-west-1.amazonaws.com`, region `eu-west-1`), must exist');
  });

  test('GKE workload identity: the member to grant roles/iam.workloadIdentityUser', () => {
    const { text } = rendered(anyEnv('production-gcs-wi'));
    expect(text).toMatch(/member `serviceAccount:ybuilt\.svc\.id\.goog\[observability\/loki\]` with roles\/iam\.workloadIdentityUser on `loki@ybuilt\.iam\.gserviceaccount\.com`/);
  });

  test('Prometheus: the remote-write receiver and exemplar storage exactly when a component remote-writes to it', () => {
    const seen = new Set<boolean>();
    for (const e of [anyEnv('production'), anyEnv('dev'), envFrom(FS)]) {
      const { text, objs } = rendered(e);
      const url = `${e.config.prometheus.url}/api/v1/write`;
      const writes = objs.some((o) => o.kind === 'ConfigMap' && Object.values<string>(o.data ?? {}).some((d) => d.includes(`url: ${url}`)));
      seen.add(writes);
      expect(text.includes('- `--web.enable-remote-write-receiver`')).toBe(writes);
    }
    expect(seen.has(true)).toBe(true);
  });
});
