import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { durationMs, imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { tempoMajor } from '../lib/config/tempo';
import { bucketLifecycle } from '../lib/k8s/bucket-lifecycle';
import { daysCovering } from '../lib/lifecycle';
import { StackChart } from '../lib/k8s/chart';
import { objectStorageAccess } from '../lib/k8s/object-storage';
import { METRICS_PATH, NamedPort, StackService } from '../lib/k8s/service';
import { hardenedContainer, scratchVolume, engineProbes } from '../lib/k8s/workload';
import { memcachedAddress, renderWorkloads, TopologyServices } from '../lib/k8s/topology';
import { liveStoresPerZone, tempoTopology } from '../lib/topology/tempo';
import { Topology, workloadFor } from '../lib/topology/types';
import { checksum, toYaml } from '../lib/serialize';
import { probeScheme, scheme, tlsVolumes } from '../lib/k8s/tls';
import { padsTraceIds, tempoConfig, TempoDistributedWiring, TEMPO_CONFIG_KEY } from '../lib/tempo/config';
import { TEMPO_OVERRIDES_DIR, TEMPO_OVERRIDES_FILE, tempoOverridesFile } from '../lib/tempo/overrides';
import { runtimeOverrides } from '../lib/k8s/runtime-overrides';
import type { TempoExport } from '../lib/otelcol/config';

export interface TempoChartProps {
  readonly env: Environment;
}

const CONFIG_DIR = '/conf';

/**
 * Tempo (traces) in the mode `tempo.deployment` chooses, rendered from its topology (lib/topology/tempo.ts):
 * monolithic (`-target=all`, no Kafka, one StatefulSet whose PVC holds every local path Tempo writes), or
 * Tempo 3's microservices on Kafka. Services carry the query and OTLP ports; the bucket lifecycle keeps the
 * archive tier.
 */
export class TempoChart extends StackChart {
  readonly ports: NamedPort[];
  readonly topology: Topology;
  readonly services: TopologyServices;
  /** Where Grafana queries (the single binary, or the query-frontends). */
  readonly queryService: StackService;
  /** Where OTLP is received (the single binary, or the distributors). */
  readonly otlpService: StackService;
  /** Every Service a client reaches over TLS: the serving certificate names them. */
  readonly servingServices: StackService[];
  /** The rendered tempo.yaml, as mounted. */
  readonly configText: string;

  constructor(scope: Construct, id: string, props: TempoChartProps) {
    const { tempo, prometheus, tls, bucketLifecycle: lifecycle } = props.env.config;
    super(scope, id, { env: props.env, name: 'tempo', component: 'tracing', version: imageVersion(tempo.image) });
    this.topology = tempoTopology(tempo, props.env.config.namespace);
    const t = this.topology;
    const portByName: Record<string, NamedPort> = {
      http: { name: 'http', port: tempo.ports.http, metricsPath: METRICS_PATH, tls: tls.enabled },
      grpc: { name: 'grpc', port: tempo.ports.grpc },
      'otlp-grpc': { name: 'otlp-grpc', port: tempo.ports.otlpGrpc },
      'otlp-http': { name: 'otlp-http', port: tempo.ports.otlpHttp },
      ...(t.gossip ? { gossip: { name: 'gossip', port: t.gossip.port } } : {}),
    };
    this.ports = Object.values(portByName);
    this.services = new TopologyServices(this, { topology: t, ports: portByName });
    this.queryService = this.services.service(workloadFor(t, 'query'));
    this.otlpService = this.services.service(workloadFor(t, 'otlp'));
    this.servingServices = [...this.services.services.values()];

    const remoteWriteUrl = `${prometheus.url.replace(/\/$/, '')}/api/v1/write`;
    const major = tempoMajor(tempo.image)!;
    const tempoYaml = tempoConfig({ tempo, major, remoteWriteUrl, tls, distributed: this.wiring() }) as { overrides: { defaults: Record<string, unknown> } };
    this.configText = toYaml(tempoYaml);
    // Per-tenant limits; every entry carries the defaults (lib/tempo/overrides.ts).
    const tenantFile = tempoOverridesFile(tempo, major, tempoYaml.overrides.defaults);
    const overrides = tenantFile && runtimeOverrides(this, { name: 'tempo-overrides', dir: TEMPO_OVERRIDES_DIR, file: TEMPO_OVERRIDES_FILE, content: tenantFile });
    const store = objectStorageAccess(tempo);
    const tlsMount = tlsVolumes(tls);
    new k8s.KubeConfigMap(this, 'config', { metadata: this.meta('tempo'), data: { [TEMPO_CONFIG_KEY]: this.configText } });

    renderWorkloads(this, this.services, (w) => {
      const data = w.volume ?? w.scratch;
      return {
        container: hardenedContainer({
          name: 'tempo',
          image: tempo.image,
          args: [`-target=${w.target}`, `-config.file=${CONFIG_DIR}/${TEMPO_CONFIG_KEY}`, ...w.args],
          env: store.env,
          ports: w.ports.map((p) => portByName[p]),
          ...engineProbes(probeScheme(tls)),
          resources: w.resources,
          goRuntime: true,
          volumeMounts: [
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            ...(data ? [{ name: data.name, mountPath: data.mountPath }] : []),
            { name: 'tmp', mountPath: '/tmp' },
            ...tlsMount.mounts,
            ...store.mounts,
            ...(overrides ? [overrides.mount] : []),
          ],
        }),
        volumes: [{ name: 'config', configMap: { name: 'tempo' } }, scratchVolume('tmp'), ...tlsMount.volumes, ...store.volumes, ...(overrides ? [overrides.volume] : [])],
        checksums: { config: checksum(this.configText) },
        serviceAccountAnnotations: store.serviceAccountAnnotations,
        podLabels: store.podLabels,
      };
    });

    if (tempo.backend === 's3' && tempo.bucket) {
      // Blocks deleted at `warm` stay as noncurrent versions until `archive`, then expire.
      bucketLifecycle(this, {
        id: 'tempo-traces',
        bucket: tempo.bucket,
        region: tempo.s3.region,
        controller: lifecycle.controller,
        noncurrent: { expireAfterDays: daysCovering(durationMs(tempo.retention.archive) - durationMs(tempo.retention.warm)) },
      });
    }
  }

  /** Kafka, ring and addresses for distributed mode, from the topology's Services. */
  private wiring(): TempoDistributedWiring | undefined {
    const t = this.topology;
    const kafka = this.config.tempo.kafka;
    if (t.mode !== 'distributed' || !kafka || !t.gossip || !this.services.gossip) return undefined;
    const frontend = workloadFor(t, 'query');
    const builders = t.workloads.find((w) => w.target === 'block-builder')!;
    const cache = this.services.caches.get('tempo-memcached');
    return {
      kafka,
      // Distributors write only to partitions a live-store owns (one per ordinal), so the builders split those
      // evenly; the config is re-rendered whenever either count changes.
      partitionsPerBlockBuilder: Math.ceil(liveStoresPerZone(t) / builders.replicas),
      gossip: { joinMember: `dns+${this.services.gossip.hostPort('gossip')}`, clusterLabel: t.gossip.clusterLabel, port: t.gossip.port },
      frontendAddress: this.services.discovery.get(frontend.name)!.hostPort('grpc'),
      backendSchedulerAddress: this.services.service(workloadFor(t, 'backend-scheduler')).hostPort('grpc'),
      ...(cache ? { cache: memcachedAddress(cache) } : {}),
    };
  }

  /** The client-facing Service of the single binary (the query path in distributed mode). */
  get service(): StackService {
    return this.queryService;
  }

  /** Tempo's query API (Grafana's datasource URL): the single binary or the query-frontends. */
  get queryUrl(): string {
    return this.queryService.url('http', { scheme: scheme(this.config.tls) });
  }

  /** OTLP gRPC endpoint as host:port: the single binary or the distributors' Service. */
  get otlpGrpcEndpoint(): string {
    return this.otlpService.hostPort('otlp-grpc');
  }

  /** Where the sampler exports: the single binary, or every distributor through their headless Service. */
  get otlpExport(): TempoExport {
    const discovery = this.services.discovery.get(workloadFor(this.topology, 'otlp').name);
    return discovery ? { discoveryHost: discovery.host, port: discovery.port('otlp-grpc'), serverName: this.otlpService.host } : { endpoint: this.otlpGrpcEndpoint };
  }

  /** OTLP HTTP base URL. */
  get otlpHttpUrl(): string {
    return this.otlpService.url('otlp-http', { scheme: scheme(this.config.tls) });
  }

  /** Trace ids keep their leading zeros in Tempo's answers (3.x `read.left_pad_trace_ids`, set in lib/tempo/config.ts). */
  get paddedTraceIds(): boolean {
    return padsTraceIds(tempoMajor(this.config.tempo.image)!);
  }

  /** Tenant the collector writes to and Grafana reads from, sent as X-Scope-OrgID; undefined when single-tenant. */
  get tenantId(): string | undefined {
    return this.config.tempo.authEnabled ? this.config.tempo.tenantId : undefined;
  }

  /** Whether span metrics and service graphs are written to Prometheus (Grafana's service map needs them). */
  get metricsGeneratorEnabled(): boolean {
    return this.config.tempo.metricsGenerator.enabled;
  }
}
