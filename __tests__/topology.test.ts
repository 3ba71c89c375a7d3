/**
 * Scale-out modes (issue 15), evaluated on the rendered objects: rings, quorum, singletons, partitions,
 * caches, autoscalers, disruption budgets, NetworkPolicies, and every consumer following the topology.
 */
import { load } from 'js-yaml';
import { anyEnv, configMapYaml, findObject, K8sObject, objects, problems, productionWith } from './helpers';

const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const podLabels = (w: K8sObject) => w.spec.template.metadata.labels as Record<string, string>;
const workloadsOf = (all: K8sObject[]) => all.filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment');
const container = (w: K8sObject, name: string) => w.spec.template.spec.containers.find((c: any) => c.name === name);
const quorum = (rf: number) => Math.floor(rf / 2) + 1;
/** `dns+host:port` → [service name, namespace, port]. */
const dnsTarget = (addr: string) => /^(?:dns\+)?([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)$/.exec(addr)!.slice(1);

/** Whether a NetworkPolicy ingress rule of `policy` admits `from` pods (same namespace) on `port`. */
function admits(policy: K8sObject, from: Record<string, string>, port: number): boolean {
  return (policy.spec.ingress ?? []).some(
    (r: any) => r.ports.some((p: any) => p.port === port) && r.from.some((peer: any) => peer.podSelector && matches(peer.podSelector.matchLabels, from)),
  );
}

function policyOf(all: K8sObject[], w: K8sObject): K8sObject {
  const found = all.filter((o) => o.kind === 'NetworkPolicy' && o.spec.podSelector.matchLabels && matches(o.spec.podSelector.matchLabels, podLabels(w)));
  expect(found).toHaveLength(1);
  return found[0];
}

/** Ring invariants shared by every ringed topology of an engine. */
function checkRing(all: K8sObject[], configYaml: any, gossipService: string) {
  const svc = findObject(all, 'Service', gossipService);
  expect(svc.spec.clusterIP).toBe('None');
  expect(svc.spec.publishNotReadyAddresses).toBe(true);
  expect(svc.spec.ports).toEqual([{ name: 'gossip', port: 7946, targetPort: 'gossip', protocol: 'TCP' }]);
  const [name, ns, port] = dnsTarget(configYaml.memberlist.join_members[0]);
  expect([name, ns, Number(port)]).toEqual([gossipService, svc.metadata.namespace, configYaml.memberlist.bind_port]);
  const members = workloadsOf(all).filter((w) => w.metadata.namespace === ns && matches(svc.spec.selector, podLabels(w)));
  expect(members.length).toBeGreaterThan(0);
  for (const w of members) {
    // Every selected pod serves gossip on the port the Service targets.
    expect(w.spec.template.spec.containers.flatMap((c: any) => c.ports).find((p: any) => p.name === 'gossip')?.containerPort).toBe(7946);
    // Ring members admit gossip from ring members, and from nothing else.
    const policy = policyOf(all, w);
    expect(admits(policy, podLabels(members[0]), 7946)).toBe(true);
    for (const other of workloadsOf(all).filter((x) => !members.includes(x))) expect(`${other.metadata.name} → ${w.metadata.name}: ${admits(policy, podLabels(other), 7946)}`).toMatch(/false$/);
  }
  // Nobody else of this engine serves the gossip port (the other engine has its own ring and label).
  const engine = gossipService.split('-')[0];
  for (const w of workloadsOf(all).filter((x) => !members.includes(x) && x.metadata.name.startsWith(engine))) {
    expect(w.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []).some((p: any) => p.name === 'gossip')).toBe(false);
  }
  return members;
}

describe('shipped environments keep one replica of everything', () => {
  test.each(['dev', 'staging', 'production'])('%s: one Loki and one Tempo StatefulSet, no ring, no autoscaler', (name) => {
    const all = objects(anyEnv(name));
    expect(findObject(all, 'StatefulSet', 'loki').spec.replicas).toBe(1);
    expect(findObject(all, 'StatefulSet', 'tempo').spec.replicas).toBe(1);
    expect(all.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(configMapYaml(all, 'loki', 'loki.yaml').common.ring.kvstore.store).toBe('inmemory');
  });
});

describe('every StatefulSet is governed by a headless Service selecting exactly its pods', () => {
  test.each(['dev', 'production', 'production-loki-ha', 'production-distributed'])('%s', (name) => {
    const all = objects(anyEnv(name));
    const sets = all.filter((o) => o.kind === 'StatefulSet');
    expect(sets.length).toBeGreaterThan(0);
    for (const sts of sets) {
      // The pod DNS name <pod>.<serviceName> exists only when that Service is headless (clusterIP None).
      const svc = findObject(all, 'Service', sts.spec.serviceName);
      expect(`${sts.metadata.name} → ${svc.metadata.name}: ${svc.spec.clusterIP}`).toBe(`${sts.metadata.name} → ${svc.metadata.name}: None`);
      expect(svc.metadata.namespace).toBe(sts.metadata.namespace);
      const selected = workloadsOf(all).filter((w) => w.metadata.namespace === svc.metadata.namespace && matches(svc.spec.selector, podLabels(w)));
      expect(selected.map((w) => w.metadata.name)).toEqual([sts.metadata.name]);
    }
  });
});

describe('HA single-binary Loki (replicas: 3)', () => {
  const all = objects(anyEnv('production-loki-ha'));
  const loki = configMapYaml(all, 'loki', 'loki.yaml');
  const sts = findObject(all, 'StatefulSet', 'loki');

  test('memberlist ring through a headless Service selecting exactly the Loki pods', () => {
    const members = checkRing(all, loki, 'loki-memberlist');
    expect(members.map((w) => w.metadata.name)).toEqual(['loki']);
    expect(loki.common.ring.kvstore.store).toBe('memberlist');
  });

  test('replication factor 3 with a quorum that survives the disruption budget', () => {
    const rf = loki.common.replication_factor;
    expect(rf).toBe(3);
    expect(loki.ingester.lifecycler?.ring?.replication_factor).toBeUndefined();
    expect(sts.spec.replicas).toBeGreaterThanOrEqual(rf);
    const pdb = findObject(all, 'PodDisruptionBudget', 'loki');
    expect(matches(pdb.spec.selector.matchLabels, podLabels(sts))).toBe(true);
    expect(sts.spec.replicas - pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(quorum(rf));
    expect(loki.ingester.wal.flush_on_shutdown).toBe(true);
  });

  test('instances advertise the pod IP, never loopback', () => {
    const text = findObject(all, 'ConfigMap', 'loki').data['loki.yaml'];
    expect(text).not.toMatch(/127\.0\.0\.1|localhost/);
    const c = container(sts, 'loki');
    expect(loki.common.instance_addr).toBe('${POD_IP}');
    expect(c.args).toContain('-config.expand-env=true');
    expect(c.env.find((e: any) => e.name === 'POD_IP').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
  });

  test('one pod per node (required anti-affinity, placement in loki-scale.test.ts), spread over zones (soft)', () => {
    const spec = sts.spec.template.spec;
    const [term] = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    expect(term.topologyKey).toBe('kubernetes.io/hostname');
    expect(matches(term.labelSelector.matchLabels, podLabels(sts))).toBe(true);
    const spread = spec.topologySpreadConstraints;
    expect(spread.map((s: any) => [s.topologyKey, s.whenUnsatisfiable])).toEqual([['topology.kubernetes.io/zone', 'ScheduleAnyway']]);
    for (const s of spread) expect(matches(s.labelSelector.matchLabels, podLabels(sts))).toBe(true);
  });

  test('the StatefulSet keeps the single binary selector (1 → 3 replicas is an update, not a replacement)', () => {
    const single = findObject(objects(anyEnv('production')), 'StatefulSet', 'loki').spec.selector.matchLabels;
    expect(sts.spec.selector.matchLabels).toEqual({ ...single, 'app.kubernetes.io/instance': 'production-loki-ha' });
  });

  test('gRPC between replicas only, in both directions', () => {
    const policy = policyOf(all, sts);
    expect(admits(policy, podLabels(sts), 9095)).toBe(true);
    const grafana = findObject(all, 'Deployment', 'grafana');
    expect(admits(policy, podLabels(grafana), 9095)).toBe(false);
    expect(policy.spec.egress.some((r: any) => r.ports.some((p: any) => p.port === 9095) && r.to.some((t: any) => t.podSelector && matches(t.podSelector.matchLabels, podLabels(sts))))).toBe(true);
  });
});

describe('both engines distributed', () => {
  const all = objects(anyEnv('production-distributed'));
  const loki = configMapYaml(all, 'loki', 'loki.yaml');
  const tempo = configMapYaml(all, 'tempo', 'tempo.yaml');
  const service = (name: string) => findObject(all, 'Service', name);
  const selected = (svcName: string) => workloadsOf(all).filter((w) => matches(service(svcName).spec.selector, podLabels(w)));
  const targetOf = (w: K8sObject) => container(w, w.metadata.name.startsWith('loki') ? 'loki' : 'tempo').args.find((a: string) => a.startsWith('-target=')).slice(8);

  test('one workload per Loki target, StatefulSets with claims where a WAL or index lives', () => {
    const loki = workloadsOf(all).filter((w) => w.metadata.name.startsWith('loki-') && !w.metadata.name.endsWith('-cache'));
    expect(Object.fromEntries(loki.map((w) => [targetOf(w), w.kind]))).toEqual({
      distributor: 'Deployment',
      ingester: 'StatefulSet',
      querier: 'Deployment',
      'query-frontend': 'Deployment',
      'query-scheduler': 'Deployment',
      'index-gateway': 'StatefulSet',
      compactor: 'StatefulSet',
    });
    for (const w of loki.filter((x) => x.kind === 'StatefulSet')) expect(w.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toMatch(/Gi$/);
  });

  test('Loki ring: every target a member, replication factor within the ingesters', () => {
    checkRing(all, loki, 'loki-memberlist');
    expect(findObject(all, 'StatefulSet', 'loki-ingester').spec.replicas).toBeGreaterThanOrEqual(loki.common.replication_factor);
    const pdb = findObject(all, 'PodDisruptionBudget', 'loki-ingester');
    expect(findObject(all, 'StatefulSet', 'loki-ingester').spec.replicas - pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(quorum(loki.common.replication_factor));
  });

  test("every engine pod can write its data path (the root filesystem is read-only): a claim or an emptyDir", () => {
    for (const w of workloadsOf(all).filter((x) => /^(loki|tempo)-/.test(x.metadata.name) && !/cache|memcached/.test(x.metadata.name))) {
      const engine = w.metadata.name.split('-')[0];
      const dataDir = engine === 'loki' ? loki.common.path_prefix : '/var/tempo';
      const mount = container(w, engine).volumeMounts.find((m: any) => m.mountPath === dataDir);
      expect(`${w.metadata.name} ${mount && !mount.readOnly}`).toBe(`${w.metadata.name} true`);
      const claimed = (w.spec.volumeClaimTemplates ?? []).some((t: any) => t.metadata.name === mount.name);
      const emptyDir = (w.spec.template.spec.volumes ?? []).some((v: any) => v.name === mount.name && v.emptyDir);
      expect(`${w.metadata.name} ${claimed || emptyDir}`).toBe(`${w.metadata.name} true`);
    }
    expect(tempo.storage.trace.wal.path.startsWith('/var/tempo/')).toBe(true);
  });

  test('the compactor is single, unscaled, and the address queriers use reaches it', () => {
    const compactor = findObject(all, 'StatefulSet', 'loki-compactor');
    expect(compactor.spec.replicas).toBe(1);
    expect(all.filter((o) => (o.kind === 'HorizontalPodAutoscaler' || o.kind === 'PodDisruptionBudget') && o.metadata.name === 'loki-compactor')).toEqual([]);
    const [name, , port] = dnsTarget(loki.common.compactor_grpc_address);
    expect(selected(name)).toEqual([compactor]);
    expect(service(name).spec.ports.find((p: any) => p.port === Number(port)).name).toBe('grpc');
  });

  test('schedulers and index gateways are resolved through headless Services on gRPC', () => {
    for (const addr of [loki.frontend.scheduler_address, loki.frontend_worker.scheduler_address, loki.storage_config.tsdb_shipper.index_gateway_client.server_address]) {
      const [name, , port] = dnsTarget(addr);
      expect(service(name).spec.clusterIP).toBe('None');
      expect(service(name).spec.ports.find((p: any) => p.port === Number(port)).name).toBe('grpc');
    }
    expect(selected(dnsTarget(loki.frontend.scheduler_address)[0]).map(targetOf)).toEqual(['query-scheduler']);
  });

  test('memcached: pinned, sized, and wired by the SRV name of a headless Service', () => {
    const addresses = {
      'loki-chunks-cache': loki.chunk_store_config.chunk_cache_config.memcached_client.addresses,
      'loki-results-cache': loki.query_range.results_cache.cache.memcached_client.addresses,
      'tempo-memcached': tempo.cache.caches[0].memcached.addresses,
    };
    for (const [name, addr] of Object.entries(addresses)) {
      const svc = service(name);
      expect(addr).toBe(`dnssrvnoa+_${svc.spec.ports[0].name}._tcp.${name}.${svc.metadata.namespace}.svc.cluster.local`);
      expect(svc.spec.clusterIP).toBe('None');
      const sts = findObject(all, 'StatefulSet', name);
      const mc = container(sts, 'memcached');
      expect(mc.image).toMatch(/^memcached:\d+\.\d+\.\d+-alpine$/);
      const m = Number(mc.args[mc.args.indexOf('-m') + 1]);
      // The container has room for -m plus connection and slab overhead.
      expect(parseInt(mc.resources.limits.memory, 10)).toBeGreaterThanOrEqual(m * 1.2);
      expect(sts.spec.replicas).toBeGreaterThanOrEqual(3);
    }
  });

  test('autoscalers (min >= 2) on the stateless read and write paths only', () => {
    const hpas = all.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    const scaled = hpas.map((h) => targetOf(findObject(all, h.spec.scaleTargetRef.kind, h.spec.scaleTargetRef.name)) + `@${h.metadata.name.split('-')[0]}`);
    expect(scaled.sort()).toEqual(['distributor@loki', 'distributor@tempo', 'querier@loki', 'querier@tempo']);
    for (const h of hpas) {
      expect(h.spec.minReplicas).toBeGreaterThanOrEqual(2);
      // The autoscaler owns the replica count.
      expect(findObject(all, h.spec.scaleTargetRef.kind, h.spec.scaleTargetRef.name).spec.replicas).toBeUndefined();
    }
  });

  test('Tempo: one workload per target on Kafka, live-stores per zone within the partitions', () => {
    const tw = workloadsOf(all).filter((w) => w.metadata.name.startsWith('tempo-') && w.metadata.name !== 'tempo-memcached');
    expect([...new Set(tw.map(targetOf))].sort()).toEqual(['backend-scheduler', 'backend-worker', 'block-builder', 'distributor', 'live-store', 'metrics-generator', 'querier', 'query-frontend']);
    const partitions = anyEnv('production-distributed').config.tempo.kafka!.partitions;
    const zones = tw.filter((w) => targetOf(w) === 'live-store');
    expect(zones.length).toBe(2);
    for (const z of zones) {
      // The partition is the pod ordinal: only a StatefulSet gives one.
      expect(z.kind).toBe('StatefulSet');
      expect(z.spec.replicas).toBeLessThanOrEqual(partitions);
      expect(container(z, 'tempo').args).toContain(`-live-store.instance-availability-zone=${z.metadata.name.replace('tempo-live-store-', '')}`);
    }
    const builders = findObject(all, 'StatefulSet', 'tempo-block-builder');
    expect(builders.spec.replicas).toBeLessThanOrEqual(partitions);
    // Every partition a live-store owns (0 .. replicas-1) is consumed by a block-builder: ordinal k takes k·P .. k·P+P-1.
    const p = tempo.block_builder.partitions_per_instance;
    expect(builders.spec.replicas * p).toBeGreaterThanOrEqual(zones[0].spec.replicas);
    expect(tempo.ingest.kafka).toEqual({ address: 'kafka-bootstrap.kafka.svc.cluster.local:9092', topic: 'tempo-ingest', auto_create_topic_enabled: false, auto_create_topic_default_partitions: 0 });
    expect(findObject(all, 'StatefulSet', 'tempo-backend-scheduler').spec.replicas).toBe(1);
    // One disruption budget over both zones: at most one owner of any partition down.
    const pdb = findObject(all, 'PodDisruptionBudget', 'tempo-live-store');
    expect(pdb.spec.maxUnavailable).toBe(1);
    for (const z of zones) expect(matches(pdb.spec.selector.matchLabels, podLabels(z))).toBe(true);
  });

  test('Tempo wiring: queriers reach every frontend, workers the scheduler, members the ring', () => {
    checkRing(all, tempo, 'tempo-gossip-ring');
    const [fe, , fePort] = dnsTarget(tempo.querier.frontend_worker.frontend_address);
    expect(service(fe).spec.clusterIP).toBe('None');
    expect(selected(fe).map(targetOf)).toEqual(['query-frontend']);
    expect(Number(fePort)).toBe(tempo.server.grpc_listen_port);
    const [bs] = dnsTarget(tempo.backend_worker.backend_scheduler_addr);
    expect(selected(bs).map(targetOf)).toEqual(['backend-scheduler']);
  });

  test('writes go to distributors and reads to query-frontends: Grafana, Promtail, the collector and their policies', () => {
    const datasources = (load(findObject(all, 'ConfigMap', 'grafana-datasources').data['datasources.yaml']) as any).datasources;
    const host = (url: string) => new URL(url).hostname.split('.')[0];
    expect(selected(host(datasources.find((d: any) => d.type === 'loki').url)).map((w) => w.metadata.name)).toEqual(['loki-query-frontend']);
    expect(selected(host(datasources.find((d: any) => d.type === 'tempo').url)).map((w) => w.metadata.name)).toEqual(['tempo-query-frontend']);
    const promtail = load(findObject(all, 'ConfigMap', 'promtail').data['promtail.yaml']) as any;
    expect(selected(host(promtail.clients[0].url)).map((w) => w.metadata.name)).toEqual(['loki-distributor']);
    const sampler = load(findObject(all, 'ConfigMap', 'otel-sampler').data['config.yaml']) as any;
    const exporter = Object.values(sampler.exporters)[0] as any;
    expect(selected(exporter.resolver.dns.hostname.split('.')[0]).map((w) => w.metadata.name)).toEqual(['tempo-distributor']);
    // The policies agree: Grafana reaches the frontends, Promtail the distributors, the sampler the Tempo distributors.
    const grafana = findObject(all, 'Deployment', 'grafana');
    expect(admits(policyOf(all, findObject(all, 'Deployment', 'loki-query-frontend')), podLabels(grafana), 3100)).toBe(true);
    expect(admits(policyOf(all, findObject(all, 'Deployment', 'loki-querier')), podLabels(grafana), 3100)).toBe(false);
    expect(admits(policyOf(all, findObject(all, 'Deployment', 'tempo-distributor')), podLabels(findObject(all, 'Deployment', 'otel-sampler')), 4317)).toBe(true);
    expect(admits(policyOf(all, findObject(all, 'Deployment', 'tempo-querier')), podLabels(findObject(all, 'Deployment', 'otel-sampler')), 4317)).toBe(false);
  });

  test("gRPC inside an engine only: each engine's pods admit their own engine's pods and nobody else's", () => {
    const grafana = findObject(all, 'Deployment', 'grafana');
    for (const engine of ['loki', 'tempo']) {
      const own = workloadsOf(all).filter((w) => w.metadata.name.startsWith(`${engine}-`) && !/cache|memcached/.test(w.metadata.name));
      const other = workloadsOf(all).filter((w) => w.metadata.name.startsWith(engine === 'loki' ? 'tempo-' : 'loki-'));
      for (const w of own) {
        const policy = policyOf(all, w);
        expect(`${w.metadata.name}: ${own.every((x) => admits(policy, podLabels(x), 9095))}`).toBe(`${w.metadata.name}: true`);
        expect(`${w.metadata.name}: ${[grafana, ...other].some((x) => admits(policy, podLabels(x), 9095))}`).toBe(`${w.metadata.name}: false`);
      }
    }
  });

  test('index gateways are resolved only when ready; schedulers and Tempo frontends also before', () => {
    expect(service('loki-index-gateway').spec.publishNotReadyAddresses).toBeUndefined();
    expect(service('loki-query-scheduler').spec.publishNotReadyAddresses).toBe(true);
    expect(service('tempo-query-frontend-discovery').spec.publishNotReadyAddresses).toBe(true);
  });

  test('the serving certificate names every client-facing Service', () => {
    const cert = all.find((o) => o.kind === 'Certificate' && o.spec.usages.includes('server auth'))!;
    for (const name of ['loki-distributor', 'loki-query-frontend', 'loki-querier', 'tempo-distributor', 'tempo-query-frontend']) {
      expect(cert.spec.dnsNames).toContain(`${name}.${service(name).metadata.namespace}.svc.cluster.local`);
    }
  });
});

describe('review summary', () => {
  // For reviewers: what each scale-out variant runs (kind, replicas or autoscaler range, claim, budget).
  test.each(['production-loki-ha', 'production-distributed'])('%s', (name) => {
    const all = objects(anyEnv(name));
    const pdbs = all.filter((o) => o.kind === 'PodDisruptionBudget');
    const summary = workloadsOf(all)
      .filter((w) => /^(loki|tempo)/.test(w.metadata.name))
      .map((w) => {
        const hpa = all.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === w.metadata.name);
        const pdb = pdbs.find((p) => matches(p.spec.selector.matchLabels, podLabels(w)));
        const claim = w.spec.volumeClaimTemplates?.[0]?.spec.resources.requests.storage;
        return `${w.kind} ${w.metadata.name}: ${hpa ? `${hpa.spec.minReplicas}-${hpa.spec.maxReplicas} (HPA)` : w.spec.replicas}${claim ? `, claim ${claim}` : ''}${pdb ? `, maxUnavailable ${pdb.spec.maxUnavailable} (${pdb.metadata.name})` : ''}`;
      });
    expect(summary).toMatchSnapshot();
  });
});

describe('sizes', () => {
  const lokiOf = (deployment: unknown) => objects(productionWith({ loki: { deployment } }));
  const replicas = (all: K8sObject[], name: string) => findObject(all, name.includes('querier') || name.includes('distributor') ? 'HorizontalPodAutoscaler' : 'StatefulSet', name).spec[name.includes('querier') || name.includes('distributor') ? 'minReplicas' : 'replicas'];

  test('a declared load picks the upstream tier, and per-component overrides win over it', () => {
    const medium = lokiOf({ mode: 'distributed', size: { ingestGBPerDay: 5000 }, components: { querier: { replicas: 40, resources: { memory: '3Gi' } } } });
    // Upstream's 3-30 TB/day tier: 90 ingesters of 2 CPU / 6 Gi.
    const ingester = findObject(medium, 'StatefulSet', 'loki-ingester');
    expect(ingester.spec.replicas).toBe(90);
    expect(ingester.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: '2', memory: '6Gi' });
    expect(replicas(medium, 'loki-querier')).toBe(40);
    const querier = findObject(medium, 'Deployment', 'loki-querier').spec.template.spec.containers[0].resources;
    // The override replaces the request only; the limit stays the tier's.
    expect([querier.requests.cpu, querier.requests.memory, querier.limits.memory]).toEqual(['1500m', '3Gi', '4096Mi']);
  });

  test('autoscaling can be tuned or turned off per component', () => {
    const all = lokiOf({ mode: 'distributed', components: { distributor: { autoscaling: false, replicas: 3 }, querier: { autoscaling: { minReplicas: 4, maxReplicas: 12, targetCPUUtilization: 70 } } } });
    expect(all.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((h) => h.metadata.name)).toEqual(['loki-querier']);
    expect(findObject(all, 'Deployment', 'loki-distributor').spec.replicas).toBe(3);
    const hpa = findObject(all, 'HorizontalPodAutoscaler', 'loki-querier').spec;
    expect([hpa.minReplicas, hpa.maxReplicas, hpa.metrics[0].resource.target.averageUtilization]).toEqual([4, 12, 70]);
  });

  test('Tempo sized from spans per second: live-stores, distributors and queriers follow upstream per-pod rates', () => {
    // 100 000 spans/s × 500 B = 50 MB/s: 10 MB/s per distributor, 8 per live-store, 2 per querier.
    const all = objects(
      productionWith({
        tempo: { deployment: { mode: 'distributed', size: { spansPerSecond: 100_000 } }, kafka: { address: 'kafka.kafka.svc.cluster.local:9092', topic: 't', partitions: 12, maxMessageBytes: 16_000_000 } },
      }),
    );
    expect(findObject(all, 'HorizontalPodAutoscaler', 'tempo-distributor').spec.minReplicas).toBe(5);
    expect(findObject(all, 'StatefulSet', 'tempo-live-store-zone-a').spec.replicas).toBe(7);
    expect(findObject(all, 'HorizontalPodAutoscaler', 'tempo-querier').spec.minReplicas).toBe(25);
  });
});

describe('zones', () => {
  test('pinned zones put each live-store StatefulSet on its own zone; unpinned ones only spread', () => {
    const tempo = (pinZones: boolean) =>
      objects(
        productionWith({
          tempo: { deployment: { mode: 'distributed', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], pinZones }, kafka: { address: 'kafka.kafka.svc.cluster.local:9092', topic: 't', partitions: 6, maxMessageBytes: 16_000_000 } },
        }),
      );
    const pinned = tempo(true);
    for (const zone of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
      const sts = findObject(pinned, 'StatefulSet', `tempo-live-store-${zone}`);
      const term = sts.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
      expect(term.matchExpressions).toEqual([{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }]);
      expect(container(sts, 'tempo').args).toContain(`-live-store.instance-availability-zone=${zone}`);
    }
    expect(findObject(pinned, 'Deployment', 'tempo-querier').spec.template.spec.affinity).toBeUndefined();
    expect(findObject(tempo(false), 'StatefulSet', 'tempo-live-store-us-east-1a').spec.template.spec.affinity.nodeAffinity).toBeUndefined();
  });
});

describe('refused topologies, with the reason', () => {
  const base = 'tempo: {bucket: traces-b, s3: {credentials: {secret: t}}}\nloki: {bucket: logs-b, s3: {credentials: {secret: l}}}\n';
  const kafka = 'kafka: {address: "kafka.kafka.svc.cluster.local:9092", topic: t, partitions: 6, maxMessageBytes: 16000000}';
  const withLoki = (deployment: string) => base.replace('loki: {', `loki: {deployment: ${deployment}, `);
  const withTempo = (extra: string) => base.replace('tempo: {', `tempo: {${extra}, `);

  test('fails when HA Loki has 2 replicas (quorum)', () => {
    expect(problems(withLoki('{replicas: 2}'))).toEqual([
      'loki.deployment.replicas: expected 1, or 3 and more, got 2: with replication factor 3 a write needs 2 of 3 acknowledgements (floor(3/2)+1), so 2 replicas stop ingesting when either one is down. ' +
        'Each pod also needs a node of its own (required anti-affinity on kubernetes.io/hostname): with fewer nodes than pods, the extra pods stay Pending',
    ]);
  });

  test('fails when replicated Loki has no shared object store', () => {
    expect(problems('loki: {backend: filesystem, deployment: {replicas: 3}}')).toContain('loki.backend: expected an object store (s3, gcs or azure) with 3 replicas (every replica must read the chunks the others flushed), got filesystem');
  });

  test('fails when Tempo single binary has more than one replica', () => {
    expect(problems(withTempo('deployment: {replicas: 2}'))[0]).toMatch(/^tempo\.deployment\.replicas: expected 1, got 2: every -target=all replica runs its own backend scheduler/);
  });

  test('fails when distributed Tempo has no Kafka, or a 2.10 image', () => {
    expect(problems(withTempo('deployment: {mode: distributed}'))).toContain('tempo.kafka: missing, expected {address, topic, partitions} in distributed mode (distributors write to Kafka; live-stores and block-builders read it)');
    expect(problems(withTempo(`image: "grafana/tempo:2.10.8", deployment: {mode: distributed}, ${kafka}`))[0]).toMatch(/^tempo\.image: expected a Tempo 3\.x image in distributed mode, got "grafana\/tempo:2\.10\.8": 2\.10's distributed layout/);
  });

  test('fails when partitions cannot cover the live-stores, or block-builders outnumber partitions', () => {
    const few = withTempo('deployment: {mode: distributed, components: {live-store: {replicas: 4}, block-builder: {replicas: 3}}}, kafka: {address: "kafka.kafka.svc.cluster.local:9092", topic: t, partitions: 2, maxMessageBytes: 16000000}');
    expect(problems(few)).toEqual([
      'tempo.kafka.partitions: expected at least 4 partitions, got 2: each live-store owns the partition of its ordinal, so 4 live-stores per zone need partitions 0..3',
      'tempo.deployment.components.block-builder.replicas: expected at most 2 block-builders (one partition or more each), got 3: 1 would idle',
    ]);
  });

  test('fails when an autoscaler is put on a partition owner or a singleton, or a singleton is replicated', () => {
    const out = problems(withTempo(`deployment: {mode: distributed, components: {live-store: {autoscaling: {minReplicas: 2, maxReplicas: 4}}}}, ${kafka}`));
    expect(out).toEqual(['tempo.deployment.components.live-store.autoscaling: expected no autoscaling on live-store (its replica count follows its ring or partitions; scale it by replicas), got {"minReplicas":2,"maxReplicas":4,"targetCPUUtilization":60}']);
    expect(problems(withLoki('{mode: distributed, components: {compactor: {replicas: 2}}}'))).toEqual([
      'loki.deployment.components.compactor.replicas: expected 1 (compactor is a singleton: one compactor applies retention, elected through its ring), got 2',
    ]);
  });

  test('fails when declared ingest outgrows the ingesters, with the arithmetic', () => {
    expect(problems(withLoki('{mode: distributed, size: {ingestGBPerDay: 2500}, components: {ingester: {resources: {memoryLimit: 2Gi}}}}'))).toEqual([
      'loki.deployment.components.ingester.resources.memoryLimit: expected at least 3414Mi per ingester, got 2Gi: 2500 GB/day × RF 3 / 6 ingesters = 1250 GB/day each × 2.73 MiB per GB/day (upstream small tier: 4Gi per 1500 GB/day)',
    ]);
  });

  test('fails when the tail sampler cannot hold numTraces traces under its memory limiter', () => {
    expect(problems(`${base}collector: {sampler: {numTraces: 100000, averageTraceBytes: 20000, resources: {memoryLimit: 1Gi}}}`)).toEqual([
      'collector.sampler.numTraces: expected at most 32212 traces, got 100000: 100000 × 20000 B = 1907 MiB, above the memory limiter\'s soft limit of 60% of memoryLimit 1Gi = 614 MiB',
    ]);
  });

  test('fails when live-store zones repeat', () => {
    expect(problems(withTempo(`deployment: {mode: distributed, zones: [a, a]}, ${kafka}`))).toEqual(['tempo.deployment.zones: expected distinct zone names, got ["a","a"]']);
  });

  test('fails when fewer ingesters than the replication factor are asked for', () => {
    expect(problems(withLoki('{mode: distributed, components: {ingester: {replicas: 2}}}'))).toEqual([
      'loki.deployment.components.ingester.replicas: expected at least 3 ingesters (the replication factor: each stream is written to 3), got 2. ' +
        'Each pod also needs a node of its own (required anti-affinity on kubernetes.io/hostname): with fewer nodes than pods, the extra pods stay Pending',
    ]);
  });
});
