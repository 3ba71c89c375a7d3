import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import { bootstrapFiles } from '../lib/gitops';
import { anyEnv, ENVIRONMENTS, env, envFrom, fixture, K8sObject, objects, problems, runMain, tempDir } from './helpers';

const FS = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';
const docs = (text: string) => loadAll(text) as any[];

describe('GitOps bootstrap', () => {
  test('nothing is rendered without a repository URL (no placeholder URLs)', () => {
    for (const e of ENVIRONMENTS) expect(bootstrapFiles(env(e), 'dist').size).toBe(0);
  });

  test('Argo CD: an Application syncing dist/<env> with prune and self-heal', () => {
    const e = envFrom(`${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git", branch: release}`, 'staging');
    const files = bootstrapFiles(e, 'dist');
    expect([...files.keys()]).toEqual(['argocd.k8s.yaml', 'kustomization.yaml']);
    const [app] = docs(files.get('argocd.k8s.yaml')!);
    expect(app).toMatchObject({
      kind: 'Application',
      metadata: { name: 'grafana-stack-staging', namespace: 'argocd' },
      spec: {
        source: { repoURL: 'https://github.com/ybuilt/observability.git', targetRevision: 'release', path: 'dist/staging' },
        destination: { namespace: e.config.namespace },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    });
  });

  test('Flux: a GitRepository and a Kustomization of ./dist/<env>', () => {
    const e = envFrom(`${FS}gitops: {repoURL: "ssh://git@github.com/ybuilt/observability.git", tool: flux, flux: {secretRef: git-deploy-key}}`, 'production');
    const [repo, ks] = docs(bootstrapFiles(e, 'dist').get('flux.k8s.yaml')!);
    expect(repo).toMatchObject({ kind: 'GitRepository', spec: { url: 'ssh://git@github.com/ybuilt/observability.git', ref: { branch: 'main' }, secretRef: { name: 'git-deploy-key' } } });
    expect(ks).toMatchObject({ kind: 'Kustomization', spec: { path: './dist/production', prune: true, sourceRef: { kind: 'GitRepository', name: repo.metadata.name } } });
  });

  test('namespaces and RBAC sync before the workloads (Argo CD sync waves)', () => {
    const all = objects(env('production'));
    const wave = (kind: string) => all.filter((o) => o.kind === kind).map((o) => o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
    expect(new Set(wave('Namespace'))).toEqual(new Set(['-2']));
    expect(new Set([...wave('ServiceAccount'), ...wave('ClusterRole'), ...wave('RoleBinding')])).toEqual(new Set(['-1']));
    expect(new Set(wave('Deployment'))).toEqual(new Set([undefined]));
  });

  test('synth writes dist/bootstrap/<env>/ and removes it when gitops is switched off', async () => {
    const dir = tempDir('gitops-');
    const file = path.join(dir, 'dev.yaml');
    const out = path.join(dir, 'out');
    writeFileSync(file, `${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git"}`);
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    // Outside any Git repository the outdir is taken to sit at the top of one.
    expect(readFileSync(path.join(out, 'bootstrap', 'dev', 'argocd.k8s.yaml'), 'utf8')).toContain('path: out/dev');
    writeFileSync(file, FS);
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    expect(() => readFileSync(path.join(out, 'bootstrap', 'dev', 'argocd.k8s.yaml'))).toThrow();
  });

  test('the bootstrap path follows --outdir, as the Git repository holds it', async () => {
    const repo = tempDir('repo-');
    mkdirSync(path.join(repo, '.git'));
    const file = path.join(repo, 'eu-prod.yaml');
    writeFileSync(file, `${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git", tool: flux}`);
    const out = path.join(repo, 'deploy', 'rendered');
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    const [, ks] = docs(readFileSync(path.join(out, 'bootstrap', 'eu-prod', 'flux.k8s.yaml'), 'utf8'));
    expect(ks.spec.path).toBe('./deploy/rendered/eu-prod');
    // At the repository's top the folder is the environment's own.
    writeFileSync(file, `${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git"}`);
    expect((await runMain(['--config', file, '--outdir', repo])).code).toBe(0);
    expect(docs(readFileSync(path.join(repo, 'bootstrap', 'eu-prod', 'argocd.k8s.yaml'), 'utf8'))[0].spec.source.path).toBe('eu-prod');
  });

  test('Argo CD: the destination cluster for hub and spoke, by name or API server URL', () => {
    const app = (argocd: string) => docs(bootstrapFiles(envFrom(`${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git", argocd: ${argocd}}`), 'dist').get('argocd.k8s.yaml')!)[0];
    expect(app('{}').spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'observability' });
    expect(app('{destination: {name: eu-prod}}').spec.destination).toEqual({ name: 'eu-prod', namespace: 'observability' });
    expect(app('{destination: {server: "https://eu-prod.example.com:6443"}}').spec.destination).toEqual({ server: 'https://eu-prod.example.com:6443', namespace: 'observability' });
  });

  test('fails when the destination gives both or neither of server and name, or a server that is no URL', () => {
    const yaml = (d: string) => `${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git", argocd: {destination: ${d}}}`;
    const expected = ['gitops.argocd.destination: expected { server: <API server URL> } or { name: <cluster name registered in Argo CD> }'];
    expect(problems(yaml('{server: "https://a.example.com", name: a}'))).toEqual(expected);
    expect(problems(yaml('{}'))).toEqual(expected);
    expect(problems(yaml('{server: "eu-prod:6443"}'))).toEqual(['gitops.argocd.destination.server: expected the cluster\'s API server URL like "https://eu-prod.example.com:6443", got "eu-prod:6443"']);
  });

  test('fails when Flux gets an SSH URL without a secretRef', () => {
    for (const url of ['ssh://git@github.com/ybuilt/observability.git', 'git@github.com:ybuilt/observability.git']) {
      expect(problems(`${FS}gitops: {repoURL: "${url}", tool: flux}`)).toEqual([
        `gitops.flux.secretRef: required with an SSH repoURL ("ssh://…" or "git@…"): Flux reads the SSH key from a Secret with identity, identity.pub and known_hosts (flux create secret git <name> --url=<repoURL>); or use an https:// URL`,
      ]);
    }
    // HTTPS (a public repository) and Argo CD (credentials found by URL) need none.
    expect(problems(`${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git", tool: flux}`)).toEqual([]);
    expect(problems(`${FS}gitops: {repoURL: "git@github.com:ybuilt/observability.git"}`)).toEqual([]);
  });

  test('fails when the repository URL is not a Git URL', () => {
    expect(() => envFrom(`${FS}gitops: {repoURL: "github.com/ybuilt"}`)).toThrow('gitops.repoURL: expected a Git URL like "https://github.com/org/repo.git" or "git@github.com:org/repo.git", got "github.com/ybuilt"');
  });
});

describe('npm run diff', () => {
  test('lists objects added, removed and changed, and writes nothing', async () => {
    const dir = tempDir('diff-');
    const file = path.join(dir, 'dev.yaml');
    const out = path.join(dir, 'out');
    writeFileSync(file, readFileSync(fixture('dev'), 'utf8'));
    expect((await runMain(['--config', file, '--outdir', out])).code).toBe(0);
    expect((await runMain(['--diff', '--config', file, '--outdir', out])).stdout).toBe(`${path.join(out, 'dev')}/: no change\n`);

    const text = readFileSync(file, 'utf8');
    const teams = '  teams: [{group: sre, role: view}]\n';
    writeFileSync(file, (/^security:\n/m.test(text) ? text.replace(/^security:\n/m, `security:\n${teams}`) : `${text}\nsecurity:\n${teams}`).replace('storageGiB: 1', 'storageGiB: 2'));
    mkdirSync(path.join(out, 'dev'), { recursive: true });
    const before = readFileSync(path.join(out, 'dev', 'grafana.k8s.yaml'), 'utf8');
    const r = await runMain(['--diff', '--config', file, '--outdir', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  + RoleBinding/observability/team-sre-view');
    expect(r.stdout).toContain('  ~ PersistentVolumeClaim/observability/grafana');
    expect(readFileSync(path.join(out, 'dev', 'grafana.k8s.yaml'), 'utf8')).toBe(before);
  });
});

/**
 * What the controllers do, evaluated on the rendered objects: deleting the Argo CD Application (resources
 * finalizer) or the Flux Kustomization deletes every object it applied except those annotated to stay; a
 * namespace's deletion takes every Secret in it.
 */
describe('deleting the GitOps object keeps the namespace, the Secrets made by hand in it, and Grafana\'s data', () => {
  const stays = (o: K8sObject, tool: 'argocd' | 'flux') =>
    tool === 'argocd'
      ? (o.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').split(',').map((s) => s.trim()).includes('Delete=false')
      : o.metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune'] === 'disabled';

  test.each([['production', 'argocd'], ['production', 'flux'], ['dev', 'argocd'], ['production-grafana-ha', 'flux']] as const)('%s with %s', (name, tool) => {
    const all = objects(anyEnv(name));
    const e = anyEnv(name).config;
    const kept = all.filter((o) => stays(o, tool)).map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const namespaces = all.filter((o) => o.kind === 'Namespace').map((o) => `Namespace/${o.metadata.name}`);
    const claims = all.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => `PersistentVolumeClaim/${o.metadata.name}`);
    expect(kept).toEqual([...namespaces, ...claims].sort());
    // The hand-made Secrets (Grafana's admin login among them) live in a namespace that stays.
    expect(kept).toContain(`Namespace/${e.namespace}`);
    // Grafana keeps its database where it has one on a volume (not with an external database).
    expect(claims.length).toBe(e.grafana.database ? 0 : 1);
    // And everything else goes: the protection is not on every object.
    expect(all.filter((o) => o.kind === 'Deployment').every((o) => !stays(o, tool))).toBe(true);
  });
});

/**
 * Argo CD's label tracking (the default before 3.0) sets `app.kubernetes.io/instance` on every object it
 * applies to the Application's name. Evaluated here: after that rewrite, every ServiceMonitor endpoint still
 * selects exactly the one Service it was made for, exposing its port.
 */
describe('monitors keep selecting their Services under Argo CD label tracking', () => {
  const matches = (labels: Record<string, string> = {}, selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  test.each(['production', 'production-distributed', 'production-loki-ha'])('%s', (name) => {
    const all = objects(anyEnv(name)).map((o) => (o.metadata.labels ? { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'app.kubernetes.io/instance': `grafana-stack-${name}` } } } : o));
    const monitors = all.filter((o) => o.kind === 'ServiceMonitor');
    expect(monitors.length).toBeGreaterThan(0);
    for (const m of monitors) {
      const candidates = all.filter((o) => o.kind === 'Service' && m.spec.namespaceSelector.matchNames.includes(o.metadata.namespace) && matches(o.metadata.labels, m.spec.selector.matchLabels));
      for (const ep of m.spec.endpoints) {
        const keep = ep.relabelings.find((r: any) => r.action === 'keep' && r.sourceLabels?.[0] === '__meta_kubernetes_service_name');
        const scraped = candidates.filter((s) => new RegExp(`^(?:${keep.regex})$`).test(s.metadata.name));
        expect(`${m.metadata.name}:${ep.port} → ${scraped.map((s) => s.metadata.name).join(',')}`).toBe(`${m.metadata.name}:${ep.port} → ${keep.regex}`);
        expect(scraped[0].spec.ports.map((p: any) => p.name)).toContain(ep.port);
      }
    }
  });
});
