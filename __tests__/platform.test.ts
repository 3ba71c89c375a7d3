/**
 * Issue 24 item 6: the platform knobs (storage class, Service and Ingress annotations, nodeSelector,
 * tolerations, priority class, extra affinity, registry mirror, ingress CIDRs) reach every object they concern.
 * Each variant is rendered once; the tests walk every object of every variant, and the expected value of each
 * knob is written out here per component, not computed by the code under test.
 */
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { mergeAffinity, mirrorImage } from '../lib/k8s/platform';
import { envFrom, findObject, fixture, K8sObject, problems, productionWith, render } from './helpers';
import { allowed, podOf } from './support/netpol';

const MIRROR = 'registry.example.com/hub';
const OTHER_MIRROR = 'mirror.internal:5000/grafana-stack';
const GLOBAL = {
  storageClassName: 'gp3',
  serviceAnnotations: { 'example.com/owner': 'platform' },
  nodeSelector: { 'node-pool': 'observability' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'observability', effect: 'NoSchedule' }],
  priorityClassName: 'observability-critical',
  affinity: {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] }] }] } },
    podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { noisy: 'true' } } } }] },
  },
  imageRegistry: MIRROR,
};
const AGENT = { nodeSelector: { 'kubernetes.io/os': 'linux' }, priorityClassName: 'system-node-critical', tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] };
const LOKI = { storageClassName: 'io2', imageRegistry: OTHER_MIRROR, serviceAnnotations: { 'example.com/owner': 'logs-team' } };

interface Knobs {
  storageClassName?: string;
  serviceAnnotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, string>[];
  priorityClassName?: string;
  affinity?: typeof GLOBAL.affinity;
  imageRegistry?: string;
}
/** What each component must carry in each variant (written out, not derived from the code). */
interface Variant {
  name: string;
  build: () => ReturnType<typeof envFrom>;
  expected: Record<string, Knobs>;
  ingress?: { annotations: Record<string, string>; cidr: string; inside: string; outside: string };
}

const withoutPlacement = ({ nodeSelector: _n, affinity: _a, ...rest }: Knobs) => rest;
const VARIANTS: Variant[] = [
  {
    name: 'both engines distributed, zones pinned, Grafana HA behind an ALB in IP mode, global knobs',
    build: () =>
      productionWith({
        loki: { deployment: { mode: 'distributed' } },
        tempo: { deployment: { mode: 'distributed', zones: ['us-east-1a', 'us-east-1b'], pinZones: true }, kafka: { address: 'kafka.kafka.svc.cluster.local:9092', topic: 'tempo', partitions: 4, maxMessageBytes: 16_000_000 } },
        grafana: {
          replicas: 2,
          database: { type: 'postgres', host: 'grafana-pg.databases.svc.cluster.local', passwordSecret: { name: 'grafana-db', key: 'password' } },
          exposure: { type: 'ingress', host: 'grafana.example.org', loadBalancerTls: true, className: 'alb', annotations: { 'alb.ingress.kubernetes.io/scheme': 'internal', 'alb.ingress.kubernetes.io/target-type': 'ip' } },
        },
        security: { ingressCidrs: ['10.20.0.0/16'] },
        platform: GLOBAL,
      }),
    expected: { tempo: GLOBAL, loki: GLOBAL, grafana: GLOBAL, collector: GLOBAL, promtail: withoutPlacement(GLOBAL), other: GLOBAL },
    ingress: { annotations: { 'alb.ingress.kubernetes.io/scheme': 'internal', 'alb.ingress.kubernetes.io/target-type': 'ip' }, cidr: '10.20.0.0/16', inside: '10.20.3.7', outside: '10.21.0.1' },
  },
  {
    name: 'dev with Alloy and per-component overrides',
    build: () => {
      const dev = load(readFileSync(fixture('dev'), 'utf8')) as Record<string, unknown>;
      return envFrom({ ...dev, logAgent: 'alloy', platform: { ...GLOBAL, components: { loki: LOKI, alloy: AGENT, grafana: { storageClassName: 'standard', priorityClassName: 'dashboards' } } } }, 'dev');
    },
    expected: {
      tempo: GLOBAL,
      loki: { ...GLOBAL, ...LOKI },
      grafana: { ...GLOBAL, storageClassName: 'standard', priorityClassName: 'dashboards' },
      collector: GLOBAL,
      alloy: { ...withoutPlacement(GLOBAL), ...AGENT },
      other: GLOBAL,
    },
  },
];

const COMPONENT_OF_FILE: Record<string, string> = { 'tempo.k8s.yaml': 'tempo', 'loki.k8s.yaml': 'loki', 'grafana.k8s.yaml': 'grafana', 'otel-collector.k8s.yaml': 'collector', 'promtail.k8s.yaml': 'promtail', 'alloy.k8s.yaml': 'alloy' };
const POD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
const podSpec = (o: K8sObject) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec);

describe.each(VARIANTS)('$name', (v) => {
  const e = v.build();
  const files = render(e);
  const byComponent: [string, K8sObject][] = [...files].filter(([f]) => f !== 'kustomization.yaml').flatMap(([f, objs]) => objs.map((o) => [COMPONENT_OF_FILE[f] ?? 'other', o] as [string, K8sObject]));
  const all = byComponent.map(([, o]) => o);
  const want = (c: string): Knobs => v.expected[c] ?? v.expected.other;

  test('every pod: nodeSelector, tolerations, priority class and extra affinity, with our own scheduling kept', () => {
    const pods = byComponent.filter(([, o]) => POD_KINDS.includes(o.kind));
    expect(new Set(pods.map(([, o]) => o.kind))).toEqual(new Set(['Deployment', 'StatefulSet', 'DaemonSet']));
    for (const [c, o] of pods) {
      const spec = podSpec(o);
      const k = want(c);
      const where = `${o.kind}/${o.metadata.name}`;
      expect([where, spec.nodeSelector]).toEqual([where, k.nodeSelector]);
      for (const t of k.tolerations ?? []) expect([where, spec.tolerations]).toEqual([where, expect.arrayContaining([t])]);
      expect([where, spec.priorityClassName]).toEqual([where, k.priorityClassName]);
      const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
      for (const term of k.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms ?? []) {
        expect(required.length).toBeGreaterThan(0);
        // ANDed into every term, never a term of its own that would OR around ours.
        for (const r of required) expect([where, r.matchExpressions]).toEqual([where, expect.arrayContaining(term.matchExpressions)]);
      }
      for (const term of k.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toContainEqual(term);
      }
      if (!k.affinity) expect([where, spec.affinity?.podAntiAffinity]).toEqual([where, undefined]);
      // Our own: the log agents still tolerate every taint, multi-replica workloads still spread.
      if (o.kind === 'DaemonSet') expect(spec.tolerations).toContainEqual({ operator: 'Exists' });
      if ((o.spec.replicas ?? 1) > 1) expect([where, spec.topologySpreadConstraints?.length]).toEqual([where, expect.any(Number)]);
    }
    // The zone-pinned live-stores keep their zone in every required term.
    for (const o of all.filter((x) => x.kind === 'StatefulSet' && /live-store/.test(x.metadata.name))) {
      for (const r of podSpec(o).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms) {
        expect(r.matchExpressions.map((m: any) => m.key)).toContain('topology.kubernetes.io/zone');
      }
    }
  });

  test('every container image, memcached and its exporter included, comes through the mirror', () => {
    let images = 0;
    const names = new Set<string>();
    for (const [c, o] of byComponent.filter(([, x]) => POD_KINDS.includes(x.kind))) {
      const spec = podSpec(o);
      for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
        images++;
        names.add(container.name);
        expect(`${o.kind}/${o.metadata.name} ${container.image}`).toMatch(new RegExp(`^\\S+ ${want(c).imageRegistry!.replace(/[.]/g, '\\.')}/`));
        if (container.name === 'memcached') expect(container.image).toMatch(/\/library\/memcached:/);
        if (container.name === 'exporter') expect(container.image).toMatch(/\/prom\/memcached-exporter:/);
      }
    }
    expect(images).toBeGreaterThan(5);
    if (e.config.loki.deployment.mode === 'distributed') expect([...names]).toEqual(expect.arrayContaining(['memcached', 'exporter']));
  });

  test('every volume claim, templates included, is in the storage class', () => {
    const claims = byComponent.flatMap(([c, o]) =>
      o.kind === 'PersistentVolumeClaim' ? [[c, o.metadata.name, o.spec]] : o.kind === 'StatefulSet' ? (o.spec.volumeClaimTemplates ?? []).map((t: any) => [c, `${o.metadata.name}/${t.metadata.name}`, t.spec]) : [],
    ) as [string, string, any][];
    expect(claims.length).toBeGreaterThan(0);
    for (const [c, name, spec] of claims) expect([name, spec.storageClassName]).toEqual([name, want(c).storageClassName]);
  });

  test('every Service carries the annotations', () => {
    const services = byComponent.filter(([, o]) => o.kind === 'Service');
    expect(services.length).toBeGreaterThan(3);
    for (const [c, o] of services) expect([o.metadata.name, o.metadata.annotations]).toEqual([o.metadata.name, expect.objectContaining(want(c).serviceAnnotations)]);
  });

  if (v.ingress) {
    const ing = v.ingress;
    test('the Ingress carries its annotations, and Grafana admits the load balancer subnets and no other address', () => {
      expect(findObject(all, 'Ingress', 'grafana').metadata.annotations).toEqual(ing.annotations);
      const grafana = podOf(findObject(all, 'Deployment', 'grafana'));
      const port = findObject(all, 'Service', 'grafana').spec.ports.find((p: any) => p.name === 'http').port;
      expect(allowed(all, { namespace: '', labels: {}, ip: ing.inside }, grafana, port)).toBe(true);
      expect(allowed(all, { namespace: '', labels: {}, ip: ing.outside }, grafana, port)).toBe(false);
      expect(allowed(all, { namespace: '', labels: {}, ip: ing.inside }, grafana, port + 1)).toBe(false);
    });
  }
});

describe('platform building blocks', () => {
  test('mirror paths: Docker Hub official images under library/, other registries keep their host, a mirrored image is left alone', () => {
    expect(mirrorImage('grafana/loki:3.7.6', MIRROR)).toBe(`${MIRROR}/grafana/loki:3.7.6`);
    expect(mirrorImage('memcached:1.6.45-alpine', MIRROR)).toBe(`${MIRROR}/library/memcached:1.6.45-alpine`);
    expect(mirrorImage('docker.io/library/memcached:1.6', MIRROR)).toBe(`${MIRROR}/library/memcached:1.6`);
    expect(mirrorImage('quay.io/org/tool:1.0', MIRROR)).toBe(`${MIRROR}/quay.io/org/tool:1.0`);
    expect(mirrorImage(`${MIRROR}/grafana/loki:3.7.6`, MIRROR)).toBe(`${MIRROR}/grafana/loki:3.7.6`);
    expect(mirrorImage('grafana/loki:3.7.6', undefined)).toBe('grafana/loki:3.7.6');
  });

  test('required node terms are ANDed: a node must satisfy one of ours and one of theirs', () => {
    const zone = (z: string) => ({ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [z] }] });
    const arch = (a: string) => ({ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: [a] }] });
    const merged = mergeAffinity({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [zone('a')] } } }, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [arch('arm64'), arch('amd64')] } } })!;
    // Evaluate the merged terms on nodes the way the scheduler does: any term, all expressions of it.
    const schedulable = (labels: Record<string, string>) =>
      merged.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms.some((t) => (t.matchExpressions ?? []).every((m) => m.values!.includes(labels[m.key])));
    expect(schedulable({ 'topology.kubernetes.io/zone': 'a', 'kubernetes.io/arch': 'arm64' })).toBe(true);
    expect(schedulable({ 'topology.kubernetes.io/zone': 'a', 'kubernetes.io/arch': 'amd64' })).toBe(true);
    expect(schedulable({ 'topology.kubernetes.io/zone': 'b', 'kubernetes.io/arch': 'arm64' })).toBe(false);
    expect(schedulable({ 'topology.kubernetes.io/zone': 'a', 'kubernetes.io/arch': 's390x' })).toBe(false);
  });

  test('fails when a knob would reach nothing or is not what Kubernetes accepts, naming the key', () => {
    const FS = 'tempo: {backend: filesystem}\nloki: {backend: filesystem}\n';
    expect(problems(`${FS}security: {ingressCidrs: ["10.0.0.0/8"]}`)).toEqual(['security.ingressCidrs: expected none while grafana.exposure.type is "none" (nothing is exposed to admit them to); set grafana.exposure or remove them']);
    expect(problems(`${FS}grafana: {exposure: {type: ingress, host: g.example.org}}\nsecurity: {ingressCidrs: ["0.0.0.0/0", "10.0.0.1/16", "10.0.0.0/33"]}`)).toEqual([
      `security.ingressCidrs[0]: expected a CIDR like "10.0.0.0/16" (0.0.0.0/0 would admit every address; name the load balancer's subnets), got "0.0.0.0/0"`,
      'security.ingressCidrs[1]: expected a CIDR like "10.0.0.0/16" with the host bits zero (10.0.0.0/16), got "10.0.0.1/16"',
      'security.ingressCidrs[2]: expected a CIDR like "10.0.0.0/16", got "10.0.0.0/33"',
    ]);
    expect(problems(`${FS}platform: {components: {alloy: {priorityClassName: high}}}`)).toEqual([
      'platform.components.alloy: expected no settings for alloy while logAgent is "promtail" (it is not rendered); move them to platform.components.promtail',
    ]);
    expect(problems(`${FS}platform: {imageRegistry: "https://registry.example.com", tolerations: [{operator: Equal, value: x}], affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In}]}]}}}}`)).toEqual([
      'platform.tolerations[0].operator: expected "Exists" when key is empty (an empty key with Equal matches nothing)',
      'platform.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: missing, expected at least one value with operator In',
      'platform.imageRegistry: expected a registry host with an optional port and path like "registry.example.com/dockerhub" (no scheme, no tag), got "https://registry.example.com"',
    ]);
  });
});
