/**
 * Distributed Tempo through the operations a team runs (issue 23): a config or image change rolls the live-store
 * zones one at a time (the rollout-operator's algorithm, modelled in support/rollout-operator.ts, run on the
 * rendered objects); the owners of a partition never share a node; a scale-down's inactive partition leaves the
 * ring in 35 minutes; a fresh partition goes live with a zone down; Kafka batches fit the topic; the sampler
 * feeds every distributor under one global rate limit.
 */
import { load } from 'js-yaml';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, TEMPO_PRODUCER_BATCH_MAX_BYTES } from '../lib/config/deployment';
import { durationMs } from '../lib/config/primitives';
import { LIVE_STORE_DOWNSCALE_DELAY } from '../lib/tempo/config';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { anyEnv, configMapYaml, findObject, K8sObject, objects, problems, productionWith, ROOT } from './helpers';
import { maxUnavailableOf, simulateRollout } from './support/rollout-operator';

const GROUP = 'tempo-live-store';
const all = objects(anyEnv('production-distributed'));
const zones = all.filter((o) => o.kind === 'StatefulSet' && o.metadata.labels?.['rollout-group'] === GROUP);
const tempoYaml = configMapYaml(all, 'tempo', 'tempo.yaml');
const clone = (objs: K8sObject[]): K8sObject[] => JSON.parse(JSON.stringify(objs));
const matches = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
let three: K8sObject[] | undefined;
/** Three zones, rendered once for the file. */
const threeZones = (): K8sObject[] =>
  (three ??= objects(
    productionWith({
      tempo: {
        deployment: { mode: 'distributed', zones: ['zone-a', 'zone-b', 'zone-c'] },
        kafka: { address: 'kafka.kafka.svc.cluster.local:9092', topic: 't', partitions: 6, maxMessageBytes: 16_000_000 },
      },
    }),
  ));

/** Kubernetes label selector semantics (apimachinery labels.Selector) for matchExpressions. */
function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }, labels: Record<string, string>): boolean {
  const exprs = (selector.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In':
        return has && e.values!.includes(labels[e.key]);
      case 'NotIn':
        return !has || !e.values!.includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        throw new Error(`unknown operator ${e.operator}`);
    }
  });
  return exprs && matches(selector.matchLabels ?? {}, labels);
}

describe('a config or image change rolls the live-store zones one at a time', () => {
  test('the StatefulSets carry exactly what the rollout-operator reads', () => {
    expect(zones.map((z) => z.metadata.name)).toEqual(['tempo-live-store-zone-a', 'tempo-live-store-zone-b']);
    const names = new Set<string>();
    for (const z of zones) {
      expect(z.spec.updateStrategy).toEqual({ type: 'OnDelete' });
      expect(maxUnavailableOf({ annotations: z.metadata.annotations ?? {}, replicas: z.spec.replicas })).toBe(anyEnv('production-distributed').config.tempo.deployment.rolloutMaxUnavailable);
      // Its pods are listed by the template's `name` label alone: unique per StatefulSet, and no pod of any
      // other workload carries it.
      const name = z.spec.template.metadata.labels.name;
      expect(name).toBe(z.metadata.name);
      names.add(name);
      expect(all.filter((o) => o.spec?.template?.metadata?.labels?.name === name).map((o) => o.metadata.name)).toEqual([z.metadata.name]);
      expect(z.spec.selector.matchLabels.name).toBeUndefined();
    }
    expect(names.size).toBe(zones.length);
  });

  test('the operator watches the namespace of the zones, with the verbs its controller calls and no more', () => {
    const op = findObject(all, 'Deployment', 'rollout-operator');
    const pod = op.spec.template.spec;
    expect(pod.containers[0].args).toContain(`-kubernetes.namespace=${zones[0].metadata.namespace}`);
    expect(pod.containers[0].image).toMatch(/^grafana\/rollout-operator:v\d+\.\d+\.\d+$/);
    expect(op.spec.replicas).toBe(1);
    expect(op.spec.strategy.rollingUpdate.maxSurge).toBe(0);
    expect(pod.automountServiceAccountToken).toBe(true);
    const binding = findObject(all, 'RoleBinding', 'rollout-operator');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: op.metadata.namespace }]);
    const role = findObject(all, 'Role', binding.roleRef.name);
    const grants = role.rules.flatMap((r: any) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${r.apiGroups[0] || 'core'}/${res}:${v}`))).sort();
    expect(grants).toEqual(
      [
        'core/pods:get', 'core/pods:list', 'core/pods:watch', 'core/pods:delete', 'core/pods:patch',
        'apps/statefulsets:get', 'apps/statefulsets:list', 'apps/statefulsets:watch', 'apps/statefulsets/status:update',
        'rollout-operator.grafana.com/zoneawarepoddisruptionbudgets:get', 'rollout-operator.grafana.com/zoneawarepoddisruptionbudgets:list', 'rollout-operator.grafana.com/zoneawarepoddisruptionbudgets:watch',
      ].sort(),
    );
    // Without its CRD the operator waits forever for its budget informer: the CRD is rendered with it, the same
    // in every environment (the stack's instance, not the environment's) and never pruned (that would delete every budget in the cluster).
    const crd = findObject(all, 'CustomResourceDefinition', 'zoneawarepoddisruptionbudgets.rollout-operator.grafana.com');
    expect(crd.spec.names.kind).toBe('ZoneAwarePodDisruptionBudget');
    expect(crd.metadata.labels!['app.kubernetes.io/instance']).toBe('grafana-stack');
    expect(crd.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
    // No admission webhooks (see charts/rollout-operator.ts).
    expect(all.filter((o) => /WebhookConfiguration$/.test(o.kind))).toEqual([]);
  });

  test('the zone-aware budget reads every live-store pod name as its partition, and no other pod', () => {
    const zpdb = findObject(all, 'ZoneAwarePodDisruptionBudget', `${GROUP}-rollout`);
    const regex = new RegExp(`^${zpdb.spec.podNamePartitionRegex}$`);
    for (const z of zones) {
      expect(selects(zpdb.spec.selector, z.metadata.labels ?? {})).toBe(true);
      expect(selects(zpdb.spec.selector, z.spec.template.metadata.labels)).toBe(true);
      for (let i = 0; i < z.spec.replicas; i++) expect(regex.exec(`${z.metadata.name}-${i}`)?.[zpdb.spec.podNameRegexGroup]).toBe(String(i));
    }
    for (const w of all.filter((o) => (o.kind === 'StatefulSet' || o.kind === 'Deployment') && !zones.includes(o))) {
      expect(`${w.metadata.name} ${selects(zpdb.spec.selector, w.spec.template.metadata.labels)}`).toBe(`${w.metadata.name} false`);
    }
  });

  test('a new revision reaches every live-store, zone a entirely before zone b, and no partition is ever without a Ready owner', () => {
    const r = simulateRollout(all, GROUP);
    expect(r.ownerless).toEqual([]);
    expect(r.completed).toBe(true);
    const tickOf = (d: string) => Number(d.split('@')[1]);
    const a = r.deletions.filter((d) => d.startsWith('tempo-live-store-zone-a-')).map(tickOf);
    const b = r.deletions.filter((d) => d.startsWith('tempo-live-store-zone-b-')).map(tickOf);
    expect(a.length + b.length).toBe(zones.reduce((n, z) => n + z.spec.replicas, 0));
    expect(Math.max(...a)).toBeLessThan(Math.min(...b));
  });

  test('one pod at a time (rolloutMaxUnavailable: 1), three zones, or a crashed pod in zone b: still never an ownerless partition', () => {
    const sequential = objects(
      productionWith({ tempo: { deployment: { mode: 'distributed', rolloutMaxUnavailable: 1 }, kafka: { address: 'kafka.kafka.svc.cluster.local:9092', topic: 't', partitions: 6, maxMessageBytes: 16_000_000 } } }),
    );
    const one = simulateRollout(sequential, GROUP);
    expect([one.completed, one.ownerless]).toEqual([true, []]);
    // One deletion per reconcile at most: each pod waits for the previous one to be Ready.
    expect(new Set(one.deletions.map((d) => d.split('@')[1])).size).toBe(one.deletions.length);
    const three = simulateRollout(threeZones(), GROUP);
    expect([three.completed, three.ownerless]).toEqual([true, []]);
    // A zone-b owner is down when the change lands: the operator rolls zone b first (it is the not-Ready one)
    // and never takes that partition's zone-a owner while zone b's is away.
    const last = zones[1].spec.replicas - 1;
    const crashed = simulateRollout(all, GROUP, { down: [`tempo-live-store-zone-b-${last}`], downTicks: 6 });
    expect([crashed.completed, crashed.ownerless]).toEqual([true, []]);
    expect(crashed.deletions[0]).toMatch(/^tempo-live-store-zone-b-/);
  });

  test('fails when the zones roll on their own (RollingUpdate, as before): the model finds partitions with no owner', () => {
    const rolling = clone(all);
    for (const z of rolling.filter((o) => o.kind === 'StatefulSet' && o.metadata.labels?.['rollout-group'] === GROUP)) z.spec.updateStrategy = { type: 'RollingUpdate' };
    const r = simulateRollout(rolling, GROUP);
    // Both StatefulSets replace their highest ordinal first: that partition loses both owners at once.
    const last = zones[0].spec.replicas - 1;
    expect(r.ownerless[0]).toBe(`partition ${last} at tick 0`);
  });

  test('fails when the pods lack the name label: the operator finds none of them and the rollout never ends', () => {
    const unnamed = clone(all);
    for (const z of unnamed.filter((o) => o.kind === 'StatefulSet' && o.metadata.labels?.['rollout-group'] === GROUP)) delete z.spec.template.metadata.labels.name;
    const r = simulateRollout(unnamed, GROUP, { maxTicks: 100 });
    expect([r.completed, r.deletions]).toEqual([false, []]);
  });

  test('one zone has nobody to wait for: a plain rolling update, no operator, no budget', () => {
    const single = objects(productionWith({ tempo: { deployment: { mode: 'distributed', zones: ['zone-a'] }, kafka: { address: 'kafka.kafka.svc.cluster.local:9092', topic: 't', partitions: 6, maxMessageBytes: 16_000_000 } } }));
    expect(findObject(single, 'StatefulSet', 'tempo-live-store-zone-a').spec.updateStrategy).toBeUndefined();
    expect(single.filter((o) => o.metadata.name === 'rollout-operator' || o.kind === 'ZoneAwarePodDisruptionBudget' || o.kind === 'CustomResourceDefinition')).toEqual([]);
    // The shipped single-binary environments have no operator either.
    expect(objects(anyEnv('production')).some((o) => o.metadata.name === 'rollout-operator')).toBe(false);
  });
});

describe('the owners of a partition never share a node', () => {
  test.each([
    ['two zones', all],
    ['three zones', threeZones()],
  ])('%s: a live-store refuses every node that runs a live-store of another zone, and only those', (_n, objs) => {
    const sets = objs.filter((o) => o.kind === 'StatefulSet' && o.metadata.labels?.['rollout-group'] === GROUP);
    for (const z of sets) {
      const terms = z.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
      expect(terms.map((t: any) => t.topologyKey)).toEqual(['kubernetes.io/hostname']);
      for (const other of sets) {
        // The term repels exactly the pods of the other zones: those own the same partitions.
        expect(`${z.metadata.name} repels ${other.metadata.name}: ${selects(terms[0].labelSelector, other.spec.template.metadata.labels)}`).toBe(`${z.metadata.name} repels ${other.metadata.name}: ${other !== z}`);
      }
      // Its own zone still spreads (hard) over nodes through the topology spread constraint.
      expect(z.spec.template.spec.topologySpreadConstraints.find((c: any) => c.topologyKey === 'kubernetes.io/hostname').whenUnsatisfiable).toBe('DoNotSchedule');
    }
  });
});

describe('partition ring', () => {
  const ring = tempoYaml.live_store.partition_ring;

  test('an inactive partition leaves the ring 35 minutes after its scale-down, not 13 hours, and the procedure waits that long', () => {
    expect(ring.delete_inactive_partition_after).toBe(LIVE_STORE_DOWNSCALE_DELAY);
    expect(durationMs(ring.delete_inactive_partition_after)).toBeLessThan(durationMs('13h'));
    // The README's procedure keeps the pods (owners) at least that long after marking the partition inactive.
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`wait ${ring.delete_inactive_partition_after}`);
  });

  test.each([2, 3])('with %i zones a new partition goes ACTIVE while one zone is down', (n) => {
    // PENDING → ACTIVE needs min_partition_owners_count owners; one zone down leaves n - 1 zones to own it.
    expect(ring.min_partition_owners_count).toBeLessThanOrEqual(n - 1);
    expect(ring.min_partition_owners_count).toBeGreaterThanOrEqual(1);
  });
});

describe('Kafka batches fit the topic', () => {
  test("Tempo's producer batch is above the broker default, so the declared topic limit must cover the batch", () => {
    expect(TEMPO_PRODUCER_BATCH_MAX_BYTES).toBeGreaterThan(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    expect(anyEnv('production-distributed').config.tempo.kafka!.maxMessageBytes).toBeGreaterThanOrEqual(TEMPO_PRODUCER_BATCH_MAX_BYTES);
  });

  test("fails when the topic keeps the broker default max.message.bytes, with the arithmetic", () => {
    const yaml = (bytes: number) =>
      `tempo: {bucket: traces-b, s3: {credentials: {secret: t}}, deployment: {mode: distributed}, kafka: {address: "kafka.kafka.svc.cluster.local:9092", topic: t, partitions: 6, maxMessageBytes: ${bytes}}}\n` +
      'loki: {bucket: logs-b, s3: {credentials: {secret: l}}}\n';
    const p = problems(yaml(KAFKA_DEFAULT_MAX_MESSAGE_BYTES));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^tempo\.kafka\.maxMessageBytes: expected at least 16000000, got 1048588: Tempo's distributors send record batches of up to 16000000 bytes per partition/);
    expect(p[0]).toContain('max.message.bytes (default 1048588) with MESSAGE_TOO_LARGE');
    expect(problems(yaml(TEMPO_PRODUCER_BATCH_MAX_BYTES))).toEqual([]);
    expect(problems(yaml(TEMPO_PRODUCER_BATCH_MAX_BYTES - 1))).toHaveLength(1);
  });

  test('fails when the topic limit is not stated at all', () => {
    const p = problems('tempo: {bucket: traces-b, s3: {credentials: {secret: t}}, deployment: {mode: distributed}, kafka: {address: "kafka.kafka.svc.cluster.local:9092", topic: t, partitions: 6}}\nloki: {bucket: logs-b, s3: {credentials: {secret: l}}}\n');
    expect(p.join('\n')).toMatch(/^tempo\.kafka\.maxMessageBytes: /m);
  });
});

describe('the sampler feeds every distributor, under one tenant limit', () => {
  const sampler = load(findObject(all, 'ConfigMap', 'otel-sampler').data['config.yaml']) as any;

  test('the load-balancing exporter resolves a headless Service of exactly the Ready distributors, on their OTLP port', () => {
    expect(sampler.service.pipelines.traces.exporters).toEqual(['loadbalancing']);
    const lb = sampler.exporters.loadbalancing;
    const [svcName, ns] = lb.resolver.dns.hostname.split('.');
    const svc = findObject(all, 'Service', svcName);
    expect(svc.metadata.namespace).toBe(ns);
    // Headless: DNS answers every pod IP, which the exporter re-reads every interval (new distributors join).
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.publishNotReadyAddresses).toBeUndefined();
    expect(durationMs(lb.resolver.dns.interval)).toBeLessThanOrEqual(30_000);
    const selected = all.filter((o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && matches(svc.spec.selector, o.spec.template.metadata.labels));
    expect(selected.map((w) => w.metadata.name)).toEqual(['tempo-distributor']);
    const containerPort = selected[0].spec.template.spec.containers[0].ports.find((p: any) => p.name === 'otlp-grpc').containerPort;
    expect(Number(lb.resolver.dns.port)).toBe(containerPort);
    // The exporter dials pod IPs: TLS is verified against a Service name the serving certificate carries.
    const cert = all.find((o) => o.kind === 'Certificate' && o.spec.usages.includes('server auth'))!;
    expect(cert.spec.dnsNames).toContain(lb.protocol.otlp.tls.server_name_override);
  });

  test('the tenant rate is divided among the distributors (global), and no tenant entry repeats the strategy', () => {
    expect(tempoYaml.overrides.defaults.ingestion.rate_strategy).toBe('global');
    // The single binary has one distributor: nothing to divide.
    expect(configMapYaml(objects(anyEnv('production')), 'tempo', 'tempo.yaml').overrides.defaults.ingestion.rate_strategy).toBeUndefined();
  });
});
