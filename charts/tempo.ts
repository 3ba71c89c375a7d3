import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { durationMs, imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { tempoMajor } from '../lib/config/tempo';
import { bucketLifecycle, daysCovering } from '../lib/k8s/bucket-lifecycle';
import { StackChart } from '../lib/k8s/chart';
import { objectStorageAccess } from '../lib/k8s/object-storage';
import { NamedPort, StackService } from '../lib/k8s/service';
import { hardenedContainer, hardenedPodSpec, podTemplate, scratchVolume, serviceAccount, walReplayStartupProbe } from '../lib/k8s/workload';
import { checksum, toYaml } from '../lib/serialize';
import { probeScheme, scheme, tlsVolumes } from '../lib/k8s/tls';
import { padsTraceIds, TEMPO_DATA_DIR, tempoConfig } from '../lib/tempo/config';
import { TEMPO_OVERRIDES_DIR, TEMPO_OVERRIDES_FILE, tempoOverridesFile } from '../lib/tempo/overrides';
import { runtimeOverrides } from '../lib/k8s/runtime-overrides';

export interface TempoChartProps {
  readonly env: Environment;
}

const CONFIG_DIR = '/conf';
const CONFIG_KEY = 'tempo.yaml';

/**
 * Tempo (traces) in monolithic mode (`-target=all`, no Kafka): one StatefulSet whose PVC holds every local
 * path Tempo writes (WAL, live-store, scheduler work dir, generator WAL, and the blocks with the filesystem
 * backend), a Service with the query and OTLP ports, and the bucket lifecycle for the archive tier.
 */
export class TempoChart extends StackChart {
  readonly ports: NamedPort[];
  readonly service: StackService;
  /** The rendered tempo.yaml, as mounted. */
  readonly configText: string;

  constructor(scope: Construct, id: string, props: TempoChartProps) {
    const { tempo, prometheus, tls, bucketLifecycle: lifecycle } = props.env.config;
    super(scope, id, { env: props.env, name: 'tempo', component: 'tracing', version: imageVersion(tempo.image) });
    this.ports = [
      { name: 'http', port: tempo.ports.http },
      { name: 'grpc', port: tempo.ports.grpc },
      { name: 'otlp-grpc', port: tempo.ports.otlpGrpc },
      { name: 'otlp-http', port: tempo.ports.otlpHttp },
    ];
    this.service = new StackService(this, { name: 'tempo', ports: this.ports });

    const remoteWriteUrl = `${prometheus.url.replace(/\/$/, '')}/api/v1/write`;
    const major = tempoMajor(tempo.image)!;
    const tempoYaml = tempoConfig({ tempo, major, remoteWriteUrl, tls }) as { overrides: { defaults: Record<string, unknown> } };
    this.configText = toYaml(tempoYaml);
    const tenantFile = tempoOverridesFile(tempo, major, tempoYaml.overrides.defaults);
    const overrides = tenantFile && runtimeOverrides(this, { name: 'tempo-overrides', dir: TEMPO_OVERRIDES_DIR, file: TEMPO_OVERRIDES_FILE, content: tenantFile });
    const tlsMount = tlsVolumes(tls);
    new k8s.KubeConfigMap(this, 'config', { metadata: this.meta('tempo'), data: { [CONFIG_KEY]: this.configText } });

    const store = objectStorageAccess(tempo);
    serviceAccount(this, 'tempo', store.serviceAccountAnnotations);
    const container = hardenedContainer({
      name: 'tempo',
      image: tempo.image,
      args: ['-target=all', `-config.file=${CONFIG_DIR}/${CONFIG_KEY}`],
      env: store.env,
      ports: this.ports,
      // /ready answers 503 until every module runs (after the WAL replay) and a querier is connected to the
      // query-frontend: the startup probe waits for it, then readiness follows it.
      startup: walReplayStartupProbe('/ready', 'http', probeScheme(tls)),
      readiness: { path: '/ready', port: 'http', initialDelaySeconds: 0, scheme: probeScheme(tls) },
      // Liveness only asks whether the HTTP server answers (dskit serves /metrics from the start), so a slow
      // module or a lost query-frontend connection does not restart the pod.
      liveness: { path: '/metrics', port: 'http', initialDelaySeconds: 0, periodSeconds: 30, scheme: probeScheme(tls) },
      resources: tempo.resources,
      goRuntime: true,
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'data', mountPath: TEMPO_DATA_DIR },
        { name: 'tmp', mountPath: '/tmp' },
        ...tlsMount.mounts,
        ...store.mounts,
        ...(overrides ? [overrides.mount] : []),
      ],
    });
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: this.meta('tempo'),
      spec: {
        replicas: 1,
        serviceName: this.service.name,
        selector: { matchLabels: this.selectorLabels },
        podManagementPolicy: 'Parallel',
        template: podTemplate(
          this,
          hardenedPodSpec({
            serviceAccountName: 'tempo',
            containers: [container],
            volumes: [{ name: 'config', configMap: { name: 'tempo' } }, scratchVolume('tmp'), ...tlsMount.volumes, ...store.volumes, ...(overrides ? [overrides.volume] : [])],
            // Lets the live-store flush its WAL on shutdown.
            terminationGracePeriodSeconds: 60,
          }),
          { config: checksum(this.configText) },
          { ...this.commonLabels, ...store.podLabels },
        ),
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: this.selectorLabels },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(`${tempo.storageGiB}Gi`) } } },
          },
        ],
      },
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

  /** Tempo's query API (Grafana's datasource URL). */
  get queryUrl(): string {
    return this.service.url('http', { scheme: scheme(this.config.tls) });
  }

  /** OTLP gRPC endpoint as host:port (the collector's exporter). */
  get otlpGrpcEndpoint(): string {
    return this.service.hostPort('otlp-grpc');
  }

  /** OTLP HTTP base URL. */
  get otlpHttpUrl(): string {
    return this.service.url('otlp-http', { scheme: scheme(this.config.tls) });
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
