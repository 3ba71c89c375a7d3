import { Construct } from 'constructs';
import { probeScheme, scheme, tlsVolumes } from '../lib/k8s/tls';
import * as k8s from '../imports/k8s';
import { imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { bucketLifecycle } from '../lib/k8s/bucket-lifecycle';
import { objectStorageAccess } from '../lib/k8s/object-storage';
import { lokiConfigReadsEnv } from '../lib/loki/object-store';
import { LOKI_RUNTIME_DIR, LOKI_RUNTIME_FILE, lokiRuntimeFile } from '../lib/loki/overrides';
import { runtimeOverrides } from '../lib/k8s/runtime-overrides';
import { METRICS_PATH, NamedPort, StackService } from '../lib/k8s/service';
import { hardenedContainer, scratchVolume, engineProbes } from '../lib/k8s/workload';
import { memcachedAddress, renderWorkloads, TopologyServices } from '../lib/k8s/topology';
import { LOKI_CONFIG_KEY, LOKI_RULER_TARGETS, LOKI_RULES_DIR, LOKI_SINGLE_TENANT, lokiConfig, LokiWiring, LokiYaml, POD_IP_ENV, structuredMetadataAllowed } from '../lib/loki/config';
import { LOKI_REPLICATION_FACTOR, lokiIngesters, lokiTopology } from '../lib/topology/loki';
import { Topology, Workload, workloadFor } from '../lib/topology/types';
import { LokiTiers, lokiTiers } from '../lib/loki/tiers';
import { checksum, toYaml } from '../lib/serialize';

export interface LokiChartProps {
  readonly env: Environment;
}

const CONFIG_DIR = '/etc/loki';

/**
 * Loki (logs) in the mode `loki.deployment` chooses, rendered from its topology (lib/topology/loki.ts):
 * monolithic (`-target=all`, one replica with an in-memory ring, or 3+ on a memberlist ring), or one
 * workload per target. WAL, TSDB index and compactor files live on PVCs, chunks and index in S3 (or on the
 * PVC in dev). Queries stop and compactor retention deletes at the warm tier; the cold tier keeps deleted
 * objects in Glacier through a bucket lifecycle rule (lib/loki/tiers.ts).
 */
export class LokiChart extends StackChart {
  readonly ports: NamedPort[];
  readonly topology: Topology;
  readonly services: TopologyServices;
  /** Where pushes go (the single binary, or the distributors). */
  readonly pushService: StackService;
  /** Where queries go (the single binary, or the query-frontends). */
  readonly queryService: StackService;
  /** Every Service a client reaches over HTTP(S): the serving certificate names them. */
  readonly servingServices: StackService[];
  readonly lokiYaml: LokiYaml;
  readonly tiers: LokiTiers;
  /** Whether Loki accepts structured metadata; Promtail sends trace_id as structured metadata only then. */
  readonly structuredMetadata: boolean;

  constructor(scope: Construct, id: string, props: LokiChartProps) {
    const loki = props.env.config.loki;
    super(scope, id, { env: props.env, name: 'loki', component: 'logging', version: imageVersion(loki.image) });
    this.topology = lokiTopology(loki, props.env.config.namespace);
    const t = this.topology;
    const portByName: Record<string, NamedPort> = {
      http: { name: 'http', port: loki.ports.http, metricsPath: METRICS_PATH, tls: props.env.config.tls.enabled },
      grpc: { name: 'grpc', port: loki.ports.grpc },
      ...(t.gossip ? { gossip: { name: 'gossip', port: t.gossip.port } } : {}),
    };
    this.ports = Object.values(portByName);
    this.services = new TopologyServices(this, { topology: t, ports: portByName });
    const svc = (w: Workload) => this.services.service(w);
    this.pushService = svc(workloadFor(t, 'push'));
    this.queryService = svc(workloadFor(t, 'query'));
    this.servingServices = [...this.services.services.values()];

    this.tiers = lokiTiers(loki.retention);
    this.structuredMetadata = structuredMetadataAllowed(loki.schemaPeriods);
    const tls = props.env.config.tls;
    const tlsMount = tlsVolumes(tls);
    this.lokiYaml = lokiConfig(loki, this.tiers, tls, this.wiring());
    const text = toYaml(this.lokiYaml);
    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: this.meta('loki'), data: { [LOKI_CONFIG_KEY]: text } });
    // The ruler's tenant folder. No rule is shipped yet, so it is empty: the ruler finds no group instead of
    // failing to list a missing folder. Mounted without subPath, so rule changes reach the pod without a restart.
    // Only where a workload runs the ruler (LOKI_RULER_TARGETS): a ConfigMap nothing mounts would only mislead.
    const runsRuler = (w: Workload) => LOKI_RULER_TARGETS.includes(w.target);
    const rules = t.workloads.some(runsRuler) ? new k8s.KubeConfigMap(this, 'rules', { metadata: this.meta('loki-rules'), data: {} }) : undefined;
    const ruleTenant = this.tenantId ?? LOKI_SINGLE_TENANT;

    const runtimeFile = lokiRuntimeFile(loki);
    const overrides = runtimeFile && runtimeOverrides(this, { name: 'loki-runtime', dir: LOKI_RUNTIME_DIR, file: LOKI_RUNTIME_FILE, content: runtimeFile });

    const s3 = loki.backend === 's3';
    const store = objectStorageAccess(loki);
    renderWorkloads(this, this.services, (w) => {
      const data = w.volume ?? w.scratch;
      const ruler = rules && runsRuler(w) ? rules : undefined;
      return {
        container: hardenedContainer({
          name: 'loki',
          image: loki.image,
          // loki.yaml refers to environment variables for the gossip address and an Azure account key.
          args: [`-config.file=${CONFIG_DIR}/${LOKI_CONFIG_KEY}`, `-target=${w.target}`, ...(t.gossip || lokiConfigReadsEnv(loki) ? ['-config.expand-env=true'] : []), ...w.args],
          // No keys in loki.yaml: the object store client reads them from the environment or workload identity.
          env: [...store.env, ...(t.gossip ? [{ name: POD_IP_ENV, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] : [])],
          ports: w.ports.map((p) => portByName[p]),
          ...engineProbes(probeScheme(tls)),
          resources: w.resources,
          goRuntime: true,
          volumeMounts: [
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            ...(ruler ? [{ name: 'rules', mountPath: `${LOKI_RULES_DIR}/${ruleTenant}`, readOnly: true }] : []),
            ...(data ? [{ name: data.name, mountPath: data.mountPath }] : []),
            { name: 'tmp', mountPath: '/tmp' },
            ...tlsMount.mounts,
            ...store.mounts,
            ...(overrides ? [overrides.mount] : []),
          ],
        }),
        volumes: [
          { name: 'config', configMap: { name: configMap.name } },
          ...(ruler ? [{ name: 'rules', configMap: { name: ruler.name } }] : []),
          scratchVolume('tmp'),
          ...tlsMount.volumes,
          ...store.volumes,
          ...(overrides ? [overrides.volume] : []),
        ],
        checksums: { config: checksum(text) },
        serviceAccountAnnotations: store.serviceAccountAnnotations,
        podLabels: store.podLabels,
      };
    });

    if (s3 && this.tiers.archive) {
      bucketLifecycle(this, {
        id: 'loki-logs',
        bucket: loki.bucket!,
        region: loki.s3.region,
        controller: this.config.bucketLifecycle.controller,
        noncurrent: this.tiers.archive,
      });
    }
  }

  /** Ring and addresses from the topology's Services. */
  private wiring(): LokiWiring {
    const t = this.topology;
    const gossipSvc = this.services.gossip;
    const ingesterMemoryLimit = lokiIngesters(t).resources.memoryLimit;
    if (!t.gossip || !gossipSvc) return { ingesterMemoryLimit };
    const gossip = { joinMember: `dns+${gossipSvc.hostPort('gossip')}`, clusterLabel: t.gossip.clusterLabel, port: t.gossip.port, replicationFactor: LOKI_REPLICATION_FACTOR };
    if (t.mode === 'single-binary') return { ingesterMemoryLimit, gossip };
    const svc = (role: Parameters<typeof workloadFor>[1]) => this.services.service(workloadFor(t, role));
    const cache = (name: string) => (this.services.caches.has(name) ? memcachedAddress(this.services.caches.get(name)!) : undefined);
    return {
      ingesterMemoryLimit,
      gossip,
      distributed: {
        compactorGrpc: svc('compactor').hostPort('grpc'),
        schedulerAddress: svc('scheduler').hostPort('grpc'),
        indexGatewayAddress: `dns+${svc('index-gateway').hostPort('grpc')}`,
        tailProxyUrl: svc('tail').url('http', { scheme: scheme(this.config.tls) }),
        chunksCache: cache('loki-chunks-cache'),
        resultsCache: cache('loki-results-cache'),
      },
    };
  }

  /** The client-facing Service of the single binary (kept for callers that predate the topology). */
  get service(): StackService {
    return this.queryService;
  }

  /** Loki's query API base URL (Grafana's datasource URL): the single binary or the query-frontends. */
  get queryUrl(): string {
    return this.queryService.url('http', { scheme: scheme(this.config.tls) });
  }

  /** Promtail's push URL: the single binary or the distributors. */
  get pushUrl(): string {
    return this.pushService.url('http', { scheme: scheme(this.config.tls), path: '/loki/api/v1/push' });
  }

  /** Tenant id sent as X-Scope-OrgID when auth is enabled; undefined when Loki runs single-tenant. */
  get tenantId(): string | undefined {
    return this.config.loki.authEnabled ? this.config.loki.tenantId : undefined;
  }
}
