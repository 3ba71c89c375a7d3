import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import { bootstrapFiles } from '../lib/gitops';
import { ENVIRONMENTS, env, envFrom, fixture, objects, synth, tempDir } from './helpers';

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

  test('synth writes dist/bootstrap/<env>/ and removes it when gitops is switched off', () => {
    const dir = tempDir('gitops-');
    const file = path.join(dir, 'dev.yaml');
    const out = path.join(dir, 'out');
    writeFileSync(file, `${FS}gitops: {repoURL: "https://github.com/ybuilt/observability.git"}`);
    expect(synth(['--config', file, '--outdir', out]).code).toBe(0);
    expect(readFileSync(path.join(out, 'bootstrap', 'dev', 'argocd.k8s.yaml'), 'utf8')).toContain('path: dist/dev');
    writeFileSync(file, FS);
    expect(synth(['--config', file, '--outdir', out]).code).toBe(0);
    expect(() => readFileSync(path.join(out, 'bootstrap', 'dev', 'argocd.k8s.yaml'))).toThrow();
  });

  test('fails when the repository URL is not a Git URL', () => {
    expect(() => envFrom(`${FS}gitops: {repoURL: "github.com/ybuilt"}`)).toThrow('gitops.repoURL: expected a Git URL like "https://github.com/org/repo.git" or "git@github.com:org/repo.git", got "github.com/ybuilt"');
  });
});

describe('npm run diff', () => {
  test('lists objects added, removed and changed, and writes nothing', () => {
    const dir = tempDir('diff-');
    const file = path.join(dir, 'dev.yaml');
    const out = path.join(dir, 'out');
    writeFileSync(file, readFileSync(fixture('dev'), 'utf8'));
    expect(synth(['--config', file, '--outdir', out]).code).toBe(0);
    expect(synth(['--diff', '--config', file, '--outdir', out]).stdout).toBe(`${path.join(out, 'dev')}/: no change\n`);

    const text = readFileSync(file, 'utf8');
    const teams = '  teams: [{group: sre, role: view}]\n';
    writeFileSync(file, (/^security:\n/m.test(text) ? text.replace(/^security:\n/m, `security:\n${teams}`) : `${text}\nsecurity:\n${teams}`).replace('storageGiB: 1', 'storageGiB: 2'));
    mkdirSync(path.join(out, 'dev'), { recursive: true });
    const before = readFileSync(path.join(out, 'dev', 'grafana.k8s.yaml'), 'utf8');
    const r = synth(['--diff', '--config', file, '--outdir', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  + RoleBinding/observability/team-sre-view');
    expect(r.stdout).toContain('  ~ PersistentVolumeClaim/observability/grafana');
    expect(readFileSync(path.join(out, 'dev', 'grafana.k8s.yaml'), 'utf8')).toBe(before);
  });
});
