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
import { NamedPort, StackService } from '../lib/k8s/service';
import { hardenedContainer, hardenedPodSpec, podTemplate, scratchVolume, serviceAccount, walReplayStartupProbe } from '../lib/k8s/workload';
import { LOKI_DATA_DIR, LOKI_RULES_DIR, LOKI_SINGLE_TENANT, lokiConfig, LokiYaml, structuredMetadataAllowed } from '../lib/loki/config';
import { LokiTiers, lokiTiers } from '../lib/loki/tiers';
import { checksum, toYaml } from '../lib/serialize';

export interface LokiChartProps {
  readonly env: Environment;
}

const CONFIG_DIR = '/etc/loki';
const CONFIG_KEY = 'loki.yaml';

/**
 * Loki (logs), monolithic (`-target=all`): one StatefulSet replica with an in-memory ring, its WAL, TSDB
 * index and compactor on a PVC, chunks and index in S3 (or on the PVC in dev). Queries stop and compactor
 * retention deletes at the warm tier; the cold tier keeps deleted objects in Glacier through a bucket
 * lifecycle rule (lib/loki/tiers.ts).
 */
export class LokiChart extends StackChart {
  readonly ports: NamedPort[];
  readonly service: StackService;
  readonly lokiYaml: LokiYaml;
  readonly tiers: LokiTiers;
  /** Whether Loki accepts structured metadata; Promtail sends trace_id as structured metadata only then. */
  readonly structuredMetadata: boolean;
  readonly statefulSet: k8s.KubeStatefulSet;

  constructor(scope: Construct, id: string, props: LokiChartProps) {
    const loki = props.env.config.loki;
    super(scope, id, { env: props.env, name: 'loki', component: 'logging', version: imageVersion(loki.image) });
    this.ports = [
      { name: 'http', port: loki.ports.http },
      { name: 'grpc', port: loki.ports.grpc },
    ];
    this.service = new StackService(this, { name: 'loki', ports: this.ports });

    this.tiers = lokiTiers(loki.retention);
    this.structuredMetadata = structuredMetadataAllowed(loki.schemaPeriods);
    const tls = props.env.config.tls;
    const tlsMount = tlsVolumes(tls);
    this.lokiYaml = lokiConfig(loki, this.tiers, tls);
    const text = toYaml(this.lokiYaml);
    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: this.meta('loki'), data: { [CONFIG_KEY]: text } });
    // The ruler's tenant folder. No rule is shipped yet, so it is empty: the ruler finds no group instead of
    // failing to list a missing folder. Mounted without subPath, so rule changes reach the pod without a restart.
    const rules = new k8s.KubeConfigMap(this, 'rules', { metadata: this.meta('loki-rules'), data: {} });
    const ruleTenant = this.tenantId ?? LOKI_SINGLE_TENANT;

    const runtimeFile = lokiRuntimeFile(loki);
    const overrides = runtimeFile && runtimeOverrides(this, { name: 'loki-runtime', dir: LOKI_RUNTIME_DIR, file: LOKI_RUNTIME_FILE, content: runtimeFile });

    const s3 = loki.backend === 's3';
    const store = objectStorageAccess(loki);
    const account = serviceAccount(this, 'loki', store.serviceAccountAnnotations);

    const container = hardenedContainer({
      name: 'loki',
      image: loki.image,
      args: [`-config.file=${CONFIG_DIR}/${CONFIG_KEY}`, '-target=all', ...(lokiConfigReadsEnv(loki) ? ['-config.expand-env=true'] : [])],
      // No keys in loki.yaml: the object store client reads them from the environment or workload identity.
      env: store.env,
      ports: this.ports,
      // /ready answers 503 until the ingester has replayed the WAL and joined its ring: the startup probe waits
      // for it, then readiness follows it.
      startup: walReplayStartupProbe('/ready', 'http', probeScheme(tls)),
      readiness: { path: '/ready', port: 'http', initialDelaySeconds: 0, scheme: probeScheme(tls) },
      // Liveness must not depend on readiness: /metrics is served as soon as the HTTP server runs, without a
      // tenant header.
      liveness: { path: '/metrics', port: 'http', initialDelaySeconds: 0, periodSeconds: 30, scheme: probeScheme(tls) },
      resources: loki.resources,
      goRuntime: true,
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'rules', mountPath: `${LOKI_RULES_DIR}/${ruleTenant}`, readOnly: true },
        { name: 'storage', mountPath: LOKI_DATA_DIR },
        { name: 'tmp', mountPath: '/tmp' },
        ...tlsMount.mounts,
        ...store.mounts,
        ...(overrides ? [overrides.mount] : []),
      ],
    });

    const spec = hardenedPodSpec({
      containers: [container],
      serviceAccountName: account.name,
      volumes: [{ name: 'config', configMap: { name: configMap.name } }, { name: 'rules', configMap: { name: rules.name } }, scratchVolume('tmp'), ...tlsMount.volumes, ...store.volumes, ...(overrides ? [overrides.volume] : [])],
    });

    this.statefulSet = new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: this.meta('loki'),
      spec: {
        // The in-memory ring holds exactly one ingester: monolithic Loki does not scale by replicas.
        replicas: 1,
        serviceName: this.service.name,
        selector: { matchLabels: this.selectorLabels },
        template: podTemplate(this, spec, { config: checksum(text) }, { ...this.commonLabels, ...store.podLabels }),
        volumeClaimTemplates: [
          {
            metadata: { name: 'storage', labels: this.selectorLabels },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(`${loki.storageGiB}Gi`) } } },
          },
        ],
      },
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

  /** Loki's query API base URL (Grafana's datasource URL). */
  get queryUrl(): string {
    return this.service.url('http', { scheme: scheme(this.config.tls) });
  }

  /** Promtail's push URL. */
  get pushUrl(): string {
    return this.service.url('http', { scheme: scheme(this.config.tls), path: '/loki/api/v1/push' });
  }

  /** Tenant id sent as X-Scope-OrgID when auth is enabled; undefined when Loki runs single-tenant. */
  get tenantId(): string | undefined {
    return this.config.loki.authEnabled ? this.config.loki.tenantId : undefined;
  }
}
