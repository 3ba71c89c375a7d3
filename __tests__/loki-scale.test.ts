/**
 * Loki scale-out under everyday operations (issue 23, items 7-12), evaluated on the rendered objects:
 * ring members recovering from lost pods (the StatefulSet controller and dskit's ring readiness, modelled),
 * placement over nodes against quorum (the scheduler's required anti-affinity and spread, modelled), server and
 * client gRPC limits and HTTP timeouts (arithmetic), the WAL replay ceiling against the memory limit, and how
 * many rulers evaluate each rule group.
 */
import { durationMs } from '../lib/config/primitives';
import { anyEnv, configMapYaml, findObject, K8sObject, objects, problems, productionWith } from './helpers';

const MiB = 2 ** 20;
/** dskit grpcclient/grpcclient.go: every gRPC client Loki does not configure otherwise sends and receives up to 100 << 20. */
const DSKIT_CLIENT_DEFAULT_BYTES = 100 << 20;

const statefulSets = (all: K8sObject[]) => all.filter((o) => o.kind === 'StatefulSet');
const podLabels = (w: K8sObject): Record<string, string> => w.spec.template.metadata.labels;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const lokiContainer = (w: K8sObject) => w.spec.template.spec.containers.find((c: any) => c.name === 'loki');
const target = (w: K8sObject) => lokiContainer(w)?.args.find((a: string) => a.startsWith('-target='))?.slice('-target='.length);
/** A Kubernetes memory quantity in bytes (the forms the charts render). */
const bytes = (q: string) => Number(/^\d+/.exec(q)![0]) * ({ Ki: 2 ** 10, Mi: MiB, Gi: 2 ** 30 } as Record<string, number>)[q.replace(/^\d+/, '')];
/** Loki's ByteSize (datasize): `<n>MB` is n × 2^20. */
const byteSize = (s: string) => Number(/^(\d+)MB$/.exec(s)![1]) * MiB;

const rendered = {
  single: objects(anyEnv('production')),
  ha: objects(anyEnv('production-loki-ha')),
  distributed: objects(anyEnv('production-distributed')),
  // A longer query timeout and a smaller ingester limit: the derived values must follow.
  tuned: objects(productionWith({ loki: { queryTimeout: '5m', deployment: { mode: 'distributed', components: { ingester: { resources: { memoryLimit: '3Gi' } } } } } }, 'production-tuned')),
};
const variants = Object.entries(rendered);

// ---------------------------------------------------------------------------------------------------------------
// Item 7: ring members and the StatefulSet controller

/**
 * The StatefulSet controller and dskit's ring readiness, after `lost` pods died without leaving the ring (node
 * failure: their ring entries stay, and stop heartbeating). Returns the ordinals Ready once nothing changes.
 * - OrderedReady creates the lowest missing ordinal only when every lower pod is Running and Ready; Parallel
 *   creates every missing pod at once (Kubernetes StatefulSet podManagementPolicy).
 * - A running pod heartbeats its own entry (same ring id: the pod name). With readiness_check_ring_health it is
 *   Ready only when every entry is healthy, else when its own is (dskit ring/lifecycler.go
 *   checkRingHealthForReadiness); readiness latches once reached (CheckReady).
 * - autoforget_unhealthy removes unhealthy entries unless every other entry is unhealthy (pkg/ingester/ingester.go).
 */
function recoverRing(replicas: number, policy: 'OrderedReady' | 'Parallel', lost: number[], loki: { ringHealth: boolean; autoforget: boolean }): number[] {
  const entries = new Map<number, boolean>(); // ordinal → healthy
  const pods = new Map<number, { ready: boolean }>();
  for (let i = 0; i < replicas; i++) {
    entries.set(i, !lost.includes(i));
    if (!lost.includes(i)) pods.set(i, { ready: true });
  }
  for (let changed = true; changed; ) {
    changed = false;
    // Controller.
    for (let i = 0; i < replicas; i++) {
      if (!pods.has(i)) {
        pods.set(i, { ready: false });
        changed = true;
        if (policy === 'OrderedReady') break;
      } else if (policy === 'OrderedReady' && !pods.get(i)!.ready) break;
    }
    // Pods: heartbeat, autoforget, readiness.
    for (const [i, pod] of pods) {
      if (!entries.get(i)) {
        entries.set(i, true);
        changed = true;
      }
      if (loki.autoforget) {
        const unhealthy = [...entries].filter(([, healthy]) => !healthy).map(([o]) => o);
        if (unhealthy.length && unhealthy.length < entries.size - 1) for (const o of unhealthy) entries.delete(o), (changed = true);
      }
      const ready = loki.ringHealth ? [...entries.values()].every(Boolean) : entries.get(i) === true;
      if (ready && !pod.ready) {
        pod.ready = true;
        changed = true;
      }
    }
  }
  return [...pods].filter(([, p]) => p.ready).map(([i]) => i).sort();
}

describe('ring members recover from pods lost without leaving the ring', () => {
  const settings = (loki: any) => ({
    // Both read as Loki reads them: absent means dskit's and Loki's defaults (true, false).
    ringHealth: loki.ingester?.lifecycler?.readiness_check_ring_health ?? true,
    autoforget: loki.ingester?.autoforget_unhealthy ?? false,
  });

  test.each(['ha', 'distributed'] as const)('%s: every ring StatefulSet comes back after losing two pods at once', (name) => {
    const all = rendered[name];
    const loki = configMapYaml(all, 'loki', 'loki.yaml');
    const rings = statefulSets(all).filter((s) => s.spec.replicas > 1 && Object.keys(podLabels(s)).some((l) => l.endsWith('-gossip-member')));
    expect(rings.map((s) => s.metadata.name)).toEqual(name === 'ha' ? ['loki'] : expect.arrayContaining(['loki-ingester', 'loki-index-gateway', 'tempo-live-store-zone-a', 'tempo-block-builder']));
    for (const sts of rings) {
      const n = sts.spec.replicas;
      const policy = sts.spec.podManagementPolicy ?? 'OrderedReady';
      for (const lost of [[0, 1], [n - 2, n - 1], [0, n - 1]]) {
        expect({ sts: sts.metadata.name, lost, ready: recoverRing(n, policy, lost, settings(loki)) }).toEqual({ sts: sts.metadata.name, lost, ready: [...Array(n).keys()] });
      }
    }
  });

  test('the model deadlocks under OrderedReady, so the check above can fail', () => {
    const loki = configMapYaml(rendered.ha, 'loki', 'loki.yaml');
    // Pod 0 is recreated and waits for pod 1's stale entry; pod 1 is never created. Only the survivor is Ready.
    expect(recoverRing(3, 'OrderedReady', [0, 1], settings(loki))).toEqual([2]);
    // One lost pod recovers either way, and so would autoforget (which a StatefulSet does not want: see lib/topology/loki.ts).
    expect(recoverRing(3, 'OrderedReady', [1], settings(loki))).toEqual([0, 1, 2]);
    expect(recoverRing(5, 'OrderedReady', [0, 1], { ringHealth: true, autoforget: true })).toEqual([0, 1, 2, 3, 4]);
  });

  test('ring members keep their ring entries across a restart: autoforget stays off', () => {
    for (const [, all] of variants) expect(configMapYaml(all, 'loki', 'loki.yaml').ingester.autoforget_unhealthy).toBeUndefined();
  });

  test('the single replica keeps OrderedReady (an immutable field: existing installs are not recreated)', () => {
    expect(findObject(rendered.single, 'StatefulSet', 'loki').spec.podManagementPolicy).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Item 8: placement over nodes

type Pod = { labels: Record<string, string>; spec: any };

/**
 * The scheduler's hard rules for these pods, on `nodes` empty nodes: required pod anti-affinity (no pod on a node
 * that runs a pod its term selects, by hostname) and DoNotSchedule spread over hostnames (count + 1 - min <=
 * maxSkew). Each pod goes to the feasible node with the fewest pods; undefined = Pending.
 */
function schedule(pods: Pod[], nodes: number): (number | undefined)[] {
  const placed: { node: number; labels: Record<string, string> }[] = [];
  return pods.map((pod) => {
    const feasible = [...Array(nodes).keys()].filter((node) => {
      const here = placed.filter((p) => p.node === node);
      const anti = pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
      for (const term of anti) {
        expect(term.topologyKey).toBe('kubernetes.io/hostname');
        if (here.some((p) => matches(term.labelSelector.matchLabels, p.labels))) return false;
      }
      for (const c of pod.spec.topologySpreadConstraints ?? []) {
        if (c.topologyKey !== 'kubernetes.io/hostname' || c.whenUnsatisfiable !== 'DoNotSchedule') continue;
        const count = (n: number) => placed.filter((p) => p.node === n && matches(c.labelSelector.matchLabels, p.labels)).length;
        const min = Math.min(...[...Array(nodes).keys()].map(count));
        if (count(node) + 1 - min > c.maxSkew) return false;
      }
      return true;
    });
    const node = feasible.sort((a, b) => placed.filter((p) => p.node === a).length - placed.filter((p) => p.node === b).length)[0];
    if (node !== undefined) placed.push({ node, labels: pod.labels });
    return node;
  });
}

const podsOf = (sts: K8sObject): Pod[] => Array.from({ length: sts.spec.replicas }, () => ({ labels: podLabels(sts), spec: sts.spec.template.spec }));
/** Replicas of one stream that the loss of the worst node takes, with at most RF ring pods placed (every stream has RF replicas). */
const worstNodeLoss = (placement: (number | undefined)[]) => Math.max(0, ...placement.filter((n) => n !== undefined).map((n) => placement.filter((m) => m === n).length));

describe('quorum pods never share a node', () => {
  const rf = (all: K8sObject[]) => configMapYaml(all, 'loki', 'loki.yaml').common.replication_factor;
  const cases = [
    ['ha', 'loki'],
    ['distributed', 'loki-ingester'],
  ] as const;

  test.each(cases)('%s: %s on as many nodes as pods keeps quorum through any one node loss', (name, workload) => {
    const sts = findObject(rendered[name], 'StatefulSet', workload);
    const placement = schedule(podsOf(sts), sts.spec.replicas);
    expect(placement.every((n) => n !== undefined)).toBe(true);
    const replicationFactor = rf(rendered[name]);
    // A write needs floor(RF/2)+1 acknowledgements; a node loss may take at most RF minus that.
    expect(worstNodeLoss(placement)).toBeLessThanOrEqual(replicationFactor - (Math.floor(replicationFactor / 2) + 1));
  });

  test.each(cases)('%s: %s on fewer nodes than pods leaves the extra pods Pending, never two on a node', (name, workload) => {
    const sts = findObject(rendered[name], 'StatefulSet', workload);
    const nodes = 2;
    const placement = schedule(podsOf(sts), nodes);
    expect(placement.filter((n) => n === undefined)).toHaveLength(sts.spec.replicas - nodes);
    expect(worstNodeLoss(placement)).toBe(1);
  });

  test('a hostname spread alone would put two of three on one node, so the check above can fail', () => {
    const sts = findObject(rendered.ha, 'StatefulSet', 'loki');
    const spreadOnly = { ...sts.spec.template.spec, affinity: undefined, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: sts.spec.selector.matchLabels } }] };
    expect(worstNodeLoss(schedule(podsOf({ ...sts, spec: { ...sts.spec, template: { ...sts.spec.template, spec: spreadOnly } } }), 2))).toBe(2);
  });

  test('stateless targets and the index gateways are not held to one per node', () => {
    const all = rendered.distributed;
    for (const name of ['loki-index-gateway']) expect(findObject(all, 'StatefulSet', name).spec.template.spec.affinity).toBeUndefined();
    for (const d of all.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('loki-'))) expect(d.spec.template.spec.affinity).toBeUndefined();
  });

  test('fails when HA Loki has 2 replicas, saying what fewer nodes than pods do', () => {
    const out = problems('loki: {bucket: logs-b, s3: {credentials: {secret: l}}, deployment: {replicas: 2}}\ntempo: {bucket: traces-b, s3: {credentials: {secret: t}}}\n');
    expect(out).toEqual([expect.stringContaining('Each pod also needs a node of its own (required anti-affinity on kubernetes.io/hostname): with fewer nodes than pods, the extra pods stay Pending')]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Item 9: server limits and timeouts

describe('gRPC limits and HTTP timeouts fit the largest answer and the longest query', () => {
  test.each(variants)('%s: HTTP answers can be written after the query timeout expires', (_name, all) => {
    const loki = configMapYaml(all, 'loki', 'loki.yaml');
    // dskit's write timeout is 30s (server/server.go); Loki's query_timeout 1m (pkg/validation/limits.go).
    const queryTimeout = durationMs(loki.limits_config.query_timeout ?? '1m');
    const writeTimeout = durationMs(loki.server.http_server_write_timeout ?? '30s');
    expect(writeTimeout).toBeGreaterThan(queryTimeout);
  });

  test('the query timeout is the configured one, and the write timeout follows it', () => {
    const loki = configMapYaml(rendered.tuned, 'loki', 'loki.yaml');
    expect(durationMs(loki.limits_config.query_timeout)).toBe(5 * 60_000);
    expect(durationMs(loki.server.http_server_write_timeout)).toBe(2 * 5 * 60_000);
  });

  test.each(variants)('%s: every gRPC client limit equals the servers\' limits', (_name, all) => {
    const loki = configMapYaml(all, 'loki', 'loki.yaml');
    const server = { recv: loki.server.grpc_server_max_recv_msg_size ?? 4 * MiB, send: loki.server.grpc_server_max_send_msg_size ?? 4 * MiB };
    // The querier's worker: results go to the frontend (the client's send limit, and its receive limit, which
    // pkg/querier/worker/scheduler_processor.go uses as the largest result it sends), requests come from the scheduler.
    for (const client of [loki.frontend_worker?.query_frontend_grpc_client, loki.frontend_worker?.query_scheduler_grpc_client]) {
      const c = { send: client?.max_send_msg_size ?? DSKIT_CLIENT_DEFAULT_BYTES, recv: client?.max_recv_msg_size ?? DSKIT_CLIENT_DEFAULT_BYTES };
      expect(c).toEqual({ send: server.recv, recv: server.send });
    }
    // Clients left at dskit's default (ingester, index gateway) never send or accept more than the servers do.
    expect(server.recv).toBeGreaterThanOrEqual(DSKIT_CLIENT_DEFAULT_BYTES);
    expect(server.send).toBeGreaterThanOrEqual(DSKIT_CLIENT_DEFAULT_BYTES);
    expect(loki.frontend_worker.grpc_client_config).toBeUndefined();
  });

  test('fails when loki.queryTimeout is shorter than a second or longer than a day', () => {
    const timeoutProblems = (value: string) => problems(`loki: {queryTimeout: ${value}}\n`).filter((p) => p.startsWith('loki.queryTimeout'));
    expect(timeoutProblems('0s')).toEqual(['loki.queryTimeout: expected 1s to 24h, got "0s"']);
    expect(timeoutProblems('2562047h')).toEqual(['loki.queryTimeout: expected 1s to 24h, got "2562047h"']);
    expect([...timeoutProblems('1s'), ...timeoutProblems('1d')]).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Item 10: WAL replay

describe('the WAL replay fits in the memory limit of the pods that replay it', () => {
  test.each(variants)('%s: replay_memory_ceiling is half the ingesting container\'s memory limit', (_name, all) => {
    const loki = configMapYaml(all, 'loki', 'loki.yaml');
    const ingesting = statefulSets(all).filter((s) => ['all', 'ingester'].includes(target(s)));
    expect(ingesting).toHaveLength(1);
    const limit = bytes(lokiContainer(ingesting[0]).resources.limits.memory);
    const ceiling = byteSize(loki.ingester.wal.replay_memory_ceiling);
    expect(ceiling).toBeLessThanOrEqual(limit / 2);
    expect(ceiling).toBeGreaterThan(limit / 2 - MiB);
  });

  test('the ceiling follows a per-component memory limit (3Gi → 1536MB, below Loki\'s 4GB default)', () => {
    expect(configMapYaml(rendered.tuned, 'loki', 'loki.yaml').ingester.wal.replay_memory_ceiling).toBe('1536MB');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Item 11: rules

describe('each rule group is evaluated once', () => {
  test.each(variants)('%s: one evaluation per group, and loki-rules only where a ruler mounts it', (_name, all) => {
    const loki = configMapYaml(all, 'loki', 'loki.yaml');
    const rules = all.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'loki-rules');
    const mounting = statefulSets(all)
      .concat(all.filter((o) => o.kind === 'Deployment'))
      .filter((w) => (w.spec.template.spec.volumes ?? []).some((v: any) => v.configMap?.name === 'loki-rules'));
    // The modules in `all` include the ruler (pkg/loki/loki.go); no other target we render does.
    const rulers = mounting.filter((w) => target(w) === 'all').reduce((n, w) => n + w.spec.replicas, 0);
    expect(mounting.every((w) => target(w) === 'all')).toBe(true);
    expect(rules).toHaveLength(mounting.length ? 1 : 0);
    if (!rulers) {
      expect(loki.ruler).toBeUndefined();
      return;
    }
    // With sharding the ruler ring (replication factor 1) owns each group once, over the memberlist the
    // other rings use (common.ring is copied into the ruler ring: pkg/loki/config_wrapper.go).
    const sharded = loki.ruler.enable_sharding === true && loki.ruler.ring === undefined && (rulers === 1 || loki.common.ring.kvstore.store === 'memberlist');
    expect(sharded ? 1 : rulers).toBe(1);
  });

  test('distributed mode renders no ruler', () => {
    expect(rendered.distributed.filter((o) => o.metadata.name === 'loki-rules' && o.kind === 'ConfigMap')).toEqual([]);
  });
});
