// Every shipped environment and every variant the unit tests render, applied to one real control plane:
// server-side apply with strict field validation, Pod Security admission of every pod the controllers
// create, convergence, and placement against the rendered constraints.
//
// Shows: the API server's own validation and defaulting of every object (built-in kinds and the CRD-backed
// kinds listed in programs.ts), admission (PodSecurity by the namespaces' labels, ServiceAccount,
// DefaultStorageClass), the Deployment/ReplicaSet/StatefulSet/DaemonSet controllers, volume binding and the
// real scheduler on nodes in three zones.
// Does not show: anything inside a container (kwok marks bound pods Ready; probes, commands and configs are
// covered by the unit tests and the data-path scenarios), NetworkPolicy enforcement (covered by the policy
// evaluator in __tests__/network-policies.test.ts), HPAs scaling, controllers of custom resources.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyRender } from './apply';
import { Cluster } from './cluster';
import { bootstrapObjects, configOf, environments, renderAll, renderTo, Rendered, VARIANT_NAMES } from './render';
import { hardViolations } from './placement';
import { events, notConverged, workloads } from './workloads';
import { waitFor } from '../support/procs';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gse2e-apply-render-'));
let cluster: Cluster;
let renders: Rendered[];
const namespaces = () => renders.flatMap((r) => [r.namespace, r.agentNamespace]);

beforeAll(async () => {
  renders = renderAll(out, [...environments(), ...VARIANT_NAMES]);
  // Fourteen renders side by side: nodes large enough for all of them (each render alone fits m6i.4xlarge nodes).
  cluster = await Cluster.up('apply', { instance: 'm6i.32xlarge' });
}, 60 * 60 * 1000);

afterAll(async () => {
  await cluster?.down();
  fs.rmSync(out, { recursive: true, force: true });
});

describe('every environment and variant on a v1.34 control plane', () => {
  test('server-side apply with strict field validation: no error, no warning', async () => {
    const problems: string[] = [];
    for (const r of renders) {
      const res = await applyRender(cluster, r);
      const warnings = res.stderr.split('\n').filter((l) => /warning/i.test(l));
      if (res.code !== 0) problems.push(`${r.name}: kubectl apply exited ${res.code}:\n${res.stderr.trim()}`);
      else if (warnings.length) problems.push(`${r.name}: ${warnings.join('\n')}`);
    }
    expect(problems).toEqual([]);
    for (const r of renders) if (r.skipped.length) console.log(`${r.name}: not applied (no CRD here): ${r.skipped.join(', ')}`);
  });

  test('Pod Security admits every pod the controllers create (the namespaces enforce their level)', async () => {
    // The namespaces carry the enforce label they were rendered with; a refused pod shows as FailedCreate.
    for (const r of renders) {
      const rendered = r.objects.filter((o) => o.kind === 'Namespace');
      expect(rendered.length).toBeGreaterThan(0);
      for (const ns of rendered) {
        const live = await cluster.get(`/api/v1/namespaces/${ns.metadata.name}`);
        expect(live?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']);
      }
    }
    await waitFor('every controller to create all its pods', async () => {
      const w = await workloads(cluster, namespaces());
      const missing = [
        ...w.deployments.filter((d) => (d.status?.replicas ?? 0) < (d.spec.replicas ?? 1)),
        ...w.statefulSets.filter((s) => (s.status?.replicas ?? 0) < (s.spec.replicas ?? 1)),
        ...w.daemonSets.filter((d) => !d.status?.desiredNumberScheduled || d.status.currentNumberScheduled < d.status.desiredNumberScheduled),
      ];
      const refused = await events(cluster, namespaces(), ['FailedCreate']);
      if (refused.length) throw new Error(refused.join('\n'));
      return missing.length === 0;
    }, { timeoutMs: 180_000, watch: cluster.procs }).catch((e) => { throw new Error(`${String(e)}\n(refusals above come from the controllers' FailedCreate events)`); });
    expect(await events(cluster, namespaces(), ['FailedCreate'])).toEqual([]);
  });

  test('converges: Deployments available, StatefulSets ready, DaemonSets on every node, every pod scheduled', async () => {
    let last: string[] = [];
    await waitFor('convergence', async () => {
      last = notConverged(await workloads(cluster, namespaces()));
      return last.length === 0;
    }, { timeoutMs: 300_000, intervalMs: 1000, watch: cluster.procs }).catch((e) => { throw new Error(`${String(e).split('\n')[0]}\nnot converged:\n${last.join('\n')}\n${cluster.logs(10)}`); });
    const w = await workloads(cluster, namespaces());
    // Every render runs something (a render that applied nothing would pass the checks above vacuously).
    for (const r of renders) expect(w.pods.filter((p) => p.metadata.namespace === r.namespace).length).toBeGreaterThan(0);
    // DaemonSets run on every node (none is tainted).
    for (const ds of w.daemonSets) expect(ds.status.desiredNumberScheduled).toBe(cluster.nodes.length);
  });

  test('the GitOps bootstrap objects of every environment are accepted by the Argo CD and Flux CRDs', async () => {
    // The namespaces the tools' own installs create (Argo CD: argocd; Flux: flux-system).
    await cluster.kubectlOk(['create', 'namespace', 'argocd']);
    await cluster.kubectlOk(['create', 'namespace', 'flux-system']);
    const problems: string[] = [];
    const kinds = new Set<string>();
    for (const name of environments()) {
      for (const gitops of [
        { repoURL: 'https://github.com/example/observability.git', tool: 'argocd' },
        { repoURL: 'git@github.com:example/observability.git', tool: 'flux', flux: { secretRef: 'git-deploy-key' } },
      ]) {
        const r = renderTo(path.join(out, 'bootstrap', gitops.tool), name, configOf(name, `gitops-${name}`, { gitops }));
        const objs = bootstrapObjects(r.env);
        for (const o of objs) kinds.add(o.kind);
        const res = await cluster.kubectl(['apply', '--server-side', '--field-manager=grafana-stack', '--validate=strict', '-f', '-'], { input: objs.map((o) => JSON.stringify(o)).join('\n') });
        if (res.code !== 0 || /warning/i.test(res.stderr)) problems.push(`${name} ${gitops.tool}: exit ${res.code}\n${res.stderr.trim()}`);
      }
    }
    expect(problems).toEqual([]);
    expect([...kinds].sort()).toEqual(['Application', 'GitRepository', 'Kustomization']);
  });

  test('replicas land as the rendered constraints say (required anti-affinity, DoNotSchedule spread)', async () => {
    const w = await workloads(cluster, namespaces());
    const nodes = await cluster.list('/api/v1/nodes');
    expect(hardViolations(w.pods, nodes)).toEqual([]);
  });
});
