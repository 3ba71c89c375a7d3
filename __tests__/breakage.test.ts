/**
 * Tests for behaviour that small, plausible code edits broke without any other test noticing (issue 26, "Tests
 * that miss broken behaviour"). Each evaluates the behaviour: wiring walked from client to Service to container,
 * policies evaluated, arithmetic checked, faults injected into the write protocol.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { durationMs } from '../lib/config/primitives';
import { OWNER_MARKER } from '../lib/write';
import { configMapYaml, findObject, K8sObject, objects, productionWith, render, tempDir } from './helpers';
import { allowed, podOf } from './support/netpol';

/** Every port of the stack moved off its default, so a hard-coded default cannot pass as "following the config". */
const MOVED = {
  tempo: { ports: { http: 13200, grpc: 19095, otlpGrpc: 14317, otlpHttp: 14318 } },
  loki: { ports: { http: 13100, grpc: 19096 } },
  collector: { ports: { otlpGrpc: 24317, otlpHttp: 24318, health: 23133, metrics: 28888 } },
  grafana: { ports: { http: 13000, alertingHa: 19094 } },
  promtail: { ports: { http: 13101 } },
};
const DEFAULTS = [3200, 9095, 4317, 4318, 3100, 13133, 8888, 3000, 9094, 3101];
const KAFKA = { address: 'kafka-bootstrap.kafka.svc.cluster.local:9092', topic: 'tempo-ingest', partitions: 6, maxMessageBytes: 16_000_000 };

const moved = (extra: Record<string, Record<string, unknown>> = {}, name = 'production') => {
  const merged: Record<string, Record<string, unknown>> = { ...MOVED };
  for (const [k, v] of Object.entries(extra)) merged[k] = { ...(merged[k] ?? {}), ...v };
  return productionWith(merged, name);
};

type Obj = K8sObject;
const workloads = (all: Obj[]) => all.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
const selects = (selector: Record<string, string>, w: Obj) => Object.entries(selector).every(([k, v]) => w.spec.template.metadata.labels?.[k] === v);

/** The container port a Service port reaches in a pod (by name, as the stack targets them), or undefined. */
function reached(w: Obj, targetPort: string | number): number | undefined {
  for (const c of w.spec.template.spec.containers) {
    for (const p of c.ports ?? []) if (p.name === targetPort || p.containerPort === targetPort) return p.containerPort;
  }
  return undefined;
}

/** Every `<svc>.<ns>.svc[.cluster.local]:<port>` in the rendered text that names a Service of ours, with its port. */
function clientAddresses(files: Map<string, Obj[]>, all: Obj[]): { text: string; svc: Obj; port: number }[] {
  const text = [...files.values()].flat().map((o) => JSON.stringify(o)).join('\n');
  const out: { text: string; svc: Obj; port: number }[] = [];
  for (const m of text.matchAll(/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)/g)) {
    const svc = all.find((o) => o.kind === 'Service' && o.metadata.name === m[1] && o.metadata.namespace === m[2]);
    if (svc) out.push({ text: m[0], svc, port: Number(m[3]) });
  }
  return out;
}

/** Production with every port moved, single binary; and distributed, with uneven live-store and block-builder counts. */
const SINGLE = moved();
const UNEVEN = { liveStores: 5, builders: 2, partitions: 6 };
const DISTRIBUTED = moved(
  {
    loki: { deployment: { mode: 'distributed' } },
    tempo: {
      deployment: { mode: 'distributed', components: { 'live-store': { replicas: UNEVEN.liveStores }, 'block-builder': { replicas: UNEVEN.builders } } },
      kafka: { ...KAFKA, partitions: UNEVEN.partitions },
    },
  },
  'production-moved-distributed',
);

describe.each([
  ['single binary', SINGLE],
  ['distributed', DISTRIBUTED],
])('every port moved (%s): config, Service, probes and clients all follow', (_mode, e) => {
  const files = render(e);
  const all = [...files.values()].flat();

  test('no default port is left anywhere in the output', () => {
    const text = [...files.values()].flat().map((o) => JSON.stringify(o)).join('\n');
    // `:3100` in an address or `port: 3100` / `"port":3100` in a config, also inside a YAML text in a ConfigMap.
    const pattern = new RegExp(`(?:port\\\\?"?:\\s*|:)(${DEFAULTS.join('|')})(?![\\d.])`, 'gi');
    const left = [...text.matchAll(pattern)].map((m) => text.slice(Math.max(0, m.index - 60), m.index + m[0].length + 10));
    expect(left).toEqual([]);
  });

  test("each engine's own config listens where its config says", () => {
    for (const engine of ['loki', 'tempo'] as const) {
      const server = configMapYaml(all, engine, `${engine}.yaml`).server;
      expect([engine, server.http_listen_port, server.grpc_listen_port]).toEqual([engine, e.config[engine].ports.http, e.config[engine].ports.grpc]);
    }
    const promtail = configMapYaml(all, 'promtail', 'promtail.yaml');
    expect(promtail.server.http_listen_port).toBe(e.config.promtail.ports.http);
    for (const cm of ['otel-gateway', 'otel-sampler']) {
      const c = configMapYaml(all, cm, 'config.yaml');
      expect(c.extensions.health_check.endpoint).toMatch(new RegExp(`:${e.config.collector.ports.health}$`));
      expect(c.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port).toBe(e.config.collector.ports.metrics);
      expect(c.receivers.otlp.protocols.grpc.endpoint).toMatch(new RegExp(`:${e.config.collector.ports.otlpGrpc}$`));
    }
  });

  test('every Service port reaches a container port of the same number in every pod it selects', () => {
    const services = all.filter((o) => o.kind === 'Service');
    expect(services.length).toBeGreaterThanOrEqual(5);
    for (const svc of services) {
      const pods = workloads(all).filter((w) => w.metadata.namespace === svc.metadata.namespace && svc.spec.selector && selects(svc.spec.selector, w));
      expect([svc.metadata.name, pods.length > 0]).toEqual([svc.metadata.name, true]);
      for (const p of svc.spec.ports ?? []) for (const w of pods) expect([svc.metadata.name, p.name, reached(w, p.targetPort ?? p.port)]).toEqual([svc.metadata.name, p.name, p.port]);
    }
  });

  test('every probe reaches a port its container declares', () => {
    let probes = 0;
    for (const w of workloads(all)) {
      for (const c of w.spec.template.spec.containers) {
        for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const probe = c[kind];
          if (!probe) continue;
          probes++;
          const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
          const declared = (c.ports ?? []).some((p: any) => p.name === port || p.containerPort === port);
          expect([w.metadata.name, c.name, kind, port, declared]).toEqual([w.metadata.name, c.name, kind, port, true]);
        }
      }
    }
    expect(probes).toBeGreaterThan(10);
  });

  test('every client address of a Service of ours uses a port that Service publishes', () => {
    const addresses = clientAddresses(files, all);
    // Grafana's datasources, the agent's push URL, the sampler's exporter, the engines' own peers.
    expect(addresses.length).toBeGreaterThan(4);
    for (const a of addresses) expect([a.text, a.svc.spec.ports.some((p: any) => p.port === a.port)]).toEqual([a.text, true]);
    const datasources = JSON.stringify(findObject(all, 'ConfigMap', 'grafana-datasources').data);
    expect(datasources).toContain(`:${e.config.loki.ports.http}`);
    expect(datasources).toContain(`:${e.config.tempo.ports.http}`);
    expect(configMapYaml(all, 'promtail', 'promtail.yaml').clients[0].url).toContain(`:${e.config.loki.ports.http}/`);
  });

  if (_mode === 'distributed') {
    test("NetworkPolicies keep the engines' HTTP and gRPC ports open between their workloads", () => {
      // The query-frontend's tail proxy reaches queriers on HTTP; the rest of the engines' traffic is gRPC.
      for (const engine of ['loki', 'tempo'] as const) {
        const ws = workloads(all).filter((w) => w.metadata.name.startsWith(`${engine}-`) && !w.metadata.name.endsWith('cache') && !w.metadata.name.endsWith('memcached'));
        const frontend = ws.find((w) => w.metadata.name === `${engine}-query-frontend`)!;
        const querier = ws.find((w) => w.metadata.name === `${engine}-querier`)!;
        expect(allowed(all, podOf(frontend), podOf(querier), e.config[engine].ports.http)).toBe(true);
        for (const a of ws) for (const b of ws) for (const p of [e.config[engine].ports.http, e.config[engine].ports.grpc]) expect([a.metadata.name, b.metadata.name, p, allowed(all, podOf(a), podOf(b), p)]).toEqual([a.metadata.name, b.metadata.name, p, true]);
      }
    });
  }
});

describe('Tempo partitions', () => {
  /** Partitions consumed by block-builder ordinal k: k·P … k·P+P-1 (modules/blockbuilder/config.go). */
  const consumed = (builders: number, perInstance: number) => new Set(Array.from({ length: builders }, (_, k) => Array.from({ length: perInstance }, (_, i) => k * perInstance + i)).flat());

  test(`${UNEVEN.liveStores} live-stores per zone and ${UNEVEN.builders} block-builders: every owned partition is read by a block-builder`, () => {
    const all = objects(DISTRIBUTED);
    const tempo = configMapYaml(all, 'tempo', 'tempo.yaml');
    const zones = all.filter((o) => o.kind === 'StatefulSet' && o.metadata.name.startsWith('tempo-live-store-'));
    const builderSet = findObject(all, 'StatefulSet', 'tempo-block-builder');
    expect([zones[0].spec.replicas, builderSet.spec.replicas]).toEqual([UNEVEN.liveStores, UNEVEN.builders]);
    const read = consumed(builderSet.spec.replicas, tempo.block_builder.partitions_per_instance);
    // A live-store owns the partition of its ordinal; every one of them must be read, or its traces never reach a block.
    for (const zone of zones) expect(Array.from({ length: zone.spec.replicas }, (_, p) => p).filter((p) => !read.has(p))).toEqual([]);
  });

  test('a new partition goes live with a zone down, and never without an owner (min_partition_owners_count)', () => {
    const all = objects(DISTRIBUTED);
    const zones = all.filter((o) => o.kind === 'StatefulSet' && o.metadata.name.startsWith('tempo-live-store-'));
    const min = configMapYaml(all, 'tempo', 'tempo.yaml').live_store.partition_ring.min_partition_owners_count;
    expect(zones.length).toBe(2);
    // A partition goes ACTIVE once it has this many owners; distributors write to ACTIVE partitions only. With one
    // zone down (a real zone outage with pinZones, or a zone rolling), the owners left are zones - 1.
    const ownersWithAZoneDown = zones.length - 1;
    expect(min).toBeGreaterThanOrEqual(1);
    expect(min).toBeLessThanOrEqual(ownersWithAZoneDown);
  });
});

describe('bucket versioning for the archive and cold tiers', () => {
  // Without versioning a delete by Tempo or Loki is final, and the archive (Tempo) and cold (Loki) tiers, which
  // keep noncurrent versions until a lifecycle rule expires them, keep nothing.
  const versioning = (spec: unknown): string[] => [...JSON.stringify(spec).matchAll(/"versioning(?:Configuration)?":\[?\{"status":"(\w+)"\}/g)].map((m) => m[1]);

  test.each(['crossplane', 'ack'])('%s: versioning is Enabled on the bucket of each engine', (controller) => {
    const e = productionWith({ bucketLifecycle: { controller } }, `lifecycle-${controller}`);
    const all = objects(e);
    for (const engine of ['tempo', 'loki'] as const) {
      const bucket = e.config[engine].bucket!;
      const states = all.filter((o) => JSON.stringify(o.spec ?? {}).includes(`"${bucket}"`)).flatMap((o) => versioning(o.spec));
      expect([engine, states]).toEqual([engine, ['Enabled']]);
    }
  });
});

describe('Loki retention and Grafana on SQLite', () => {
  test.each([
    ['the default query timeout', () => SINGLE],
    ['a 24h query timeout', () => productionWith({ loki: { queryTimeout: '24h' } }, 'long-queries')],
  ])('chunks marked for deletion outlive every query that may still read them (retention_delete_delay), with %s', (_what, build) => {
    const loki = configMapYaml(objects(build()), 'loki', 'loki.yaml');
    const delay = durationMs(loki.compactor.retention_delete_delay);
    // A query planned before the compactor marked a chunk may fetch it until the query times out, and queriers see
    // the new index only after the next compaction: the delay covers both, and never drops below upstream's 2h.
    expect(delay).toBeGreaterThanOrEqual(durationMs(loki.compactor.compaction_interval) + durationMs(loki.limits_config.query_timeout));
    expect(delay).toBeGreaterThanOrEqual(durationMs('2h'));
  });

  test('Grafana on SQLite never runs two pods on its ReadWriteOnce volume during a rollout', () => {
    const all = objects(SINGLE);
    const grafana = findObject(all, 'Deployment', 'grafana');
    const claim = grafana.spec.template.spec.volumes.find((v: any) => v.persistentVolumeClaim);
    const pvc = findObject(all, 'PersistentVolumeClaim', claim.persistentVolumeClaim.claimName);
    expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
    // Pods that may exist at once while rolling: Recreate stops the old one first; RollingUpdate adds maxSurge.
    const strategy = grafana.spec.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } };
    const surge = strategy.type === 'Recreate' ? 0 : strategy.rollingUpdate?.maxSurge ?? '25%';
    const atOnce = grafana.spec.replicas + (typeof surge === 'number' ? surge : Math.ceil((grafana.spec.replicas * parseInt(surge, 10)) / 100));
    expect(atOnce).toBe(1);
  });
});

describe('the write protocol under injected faults (README "What synth will and will not touch")', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const { writeEnvironment, OutputError } = require('../lib/write') as typeof import('../lib/write');

  test('fails when the swap-in rename fails, and puts the previous folder back', () => {
    const out = tempDir('swap-');
    writeEnvironment(out, 'dev', new Map([['a.k8s.yaml', 'old\n']]));
    const real = fs.renameSync;
    const spy = jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (/\.dev\.new-\d+$/.test(String(from)) && String(to).endsWith(`${path.sep}dev`)) throw Object.assign(new Error('EIO'), { code: 'EIO' });
      return real(from, to);
    });
    try {
      expect(() => writeEnvironment(out, 'dev', new Map([['a.k8s.yaml', 'new\n']]))).toThrow(new OutputError(`cannot write ${path.join(out, 'dev')}/ (input/output error); its previous content is unchanged`));
    } finally {
      spy.mockRestore();
    }
    // "A configuration error leaves the previous output as it was": the old folder, whole, and no leftover.
    expect(readdirSync(out)).toEqual(['dev']);
    expect(readFileSync(path.join(out, 'dev', 'a.k8s.yaml'), 'utf8')).toBe('old\n');
    expect(existsSync(path.join(out, 'dev', OWNER_MARKER))).toBe(true);
  });

  test("recovery leaves a user's folder named like a leftover alone, and repairs synth's own", () => {
    const out = tempDir('leftover-');
    // The user's: no marker, a file synth never writes.
    for (const name of ['.x.new-1', '.y.old-1']) {
      mkdirSync(path.join(out, name));
      writeFileSync(path.join(out, name, 'notes.md'), 'mine\n');
    }
    // synth's own, left by killed runs: a staging folder, and an old folder moved aside before the swap.
    mkdirSync(path.join(out, '.dev.new-2'));
    writeFileSync(path.join(out, '.dev.new-2', OWNER_MARKER), '');
    mkdirSync(path.join(out, '.staging.old-3'));
    writeFileSync(path.join(out, '.staging.old-3', OWNER_MARKER), '');
    writeFileSync(path.join(out, '.staging.old-3', 'a.k8s.yaml'), 'kept\n');
    writeEnvironment(out, 'dev', new Map([['a.k8s.yaml', 'new\n']]));
    expect(readdirSync(out).sort()).toEqual(['.x.new-1', '.y.old-1', 'dev', 'staging']);
    expect(readFileSync(path.join(out, '.x.new-1', 'notes.md'), 'utf8')).toBe('mine\n');
    expect(readFileSync(path.join(out, '.y.old-1', 'notes.md'), 'utf8')).toBe('mine\n');
    expect(readFileSync(path.join(out, 'staging', 'a.k8s.yaml'), 'utf8')).toBe('kept\n');
  });
});
