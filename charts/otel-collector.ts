import { Construct } from 'constructs';
import { TLS_FILES, tlsVolumes } from '../lib/k8s/tls';
import * as k8s from '../imports/k8s';
import { imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { METRICS_PATH, NamedPort, StackService } from '../lib/k8s/service';
import { hardenedContainer, hardenedPodSpec, podTemplate, serviceAccount } from '../lib/k8s/workload';
import { gatewayConfig, samplerConfig } from '../lib/otelcol/config';
import type { OtelcolConfig } from '../lib/otelcol/types';
import { checksum, toYaml } from '../lib/serialize';
import { TempoChart } from './tempo';

export interface OtelCollectorChartProps {
  readonly env: Environment;
  /** Where kept traces go: Tempo's OTLP gRPC endpoint comes from its Service. */
  readonly tempo: TempoChart;
}

/** Where the image reads its configuration (its default `--config`). */
const CONFIG_DIR = '/etc/otelcol-contrib';
const CONFIG_KEY = 'config.yaml';
/** The contrib image is FROM scratch and runs as this user. */
const COLLECTOR_UID = 10001;

/**
 * The traces gateway. Tail sampling needs every span of a trace in one process, so it runs as two tiers:
 * `otel-gateway` (stateless, what applications send to) routes by trace id through the `loadbalancing`
 * exporter to the pods behind the headless `otel-sampler` Service, which apply the sampling policies and
 * export what they keep to Tempo. Either tier scales on its own.
 */
export class OtelCollectorChart extends StackChart {
  /** What applications send OTLP to. */
  readonly gateway: StackService;
  readonly sampler: StackService;
  /** ConfigMap applications `envFrom` to reach the gateway with the right SDK settings. */
  readonly sdkConfigMapName = 'otel-sdk';

  constructor(scope: Construct, id: string, props: OtelCollectorChartProps) {
    const { collector, sampling } = props.env.config;
    super(scope, id, { env: props.env, name: 'otel-collector', component: 'trace-gateway', version: imageVersion(collector.image) });

    const health: NamedPort = { name: 'health', port: collector.ports.health, internal: true };
    const metrics: NamedPort = { name: 'metrics', port: collector.ports.metrics, metricsPath: METRICS_PATH };
    const otlpGrpc: NamedPort = { name: 'otlp-grpc', port: collector.ports.otlpGrpc };
    const otlpHttp: NamedPort = { name: 'otlp-http', port: collector.ports.otlpHttp };

    const samplerLabels = this.workloadLabels('otel-sampler');
    this.sampler = new StackService(this, { name: 'otel-sampler', ports: [otlpGrpc, metrics], headless: true, selector: samplerLabels.selector, labels: samplerLabels.labels });
    const gatewayLabels = this.workloadLabels('otel-gateway');
    this.gateway = new StackService(this, { name: 'otel-gateway', ports: [otlpGrpc, otlpHttp, metrics], selector: gatewayLabels.selector, labels: gatewayLabels.labels });

    const tls = props.env.config.tls;
    this.tier('otel-sampler', samplerLabels, collector.sampler, [otlpGrpc, metrics, health], samplerConfig(collector, sampling, props.tempo.otlpExport, tls.enabled ? TLS_FILES.ca : undefined, props.tempo.tenantId), tlsVolumes(tls));
    this.tier('otel-gateway', gatewayLabels, collector.gateway, [otlpGrpc, otlpHttp, metrics, health], gatewayConfig(collector, this.sampler.host), { volumes: [], mounts: [] });

    new k8s.KubeConfigMap(this, 'sdk-env', {
      metadata: this.meta(this.sdkConfigMapName),
      data: this.sdkEnvironment(collector.serviceName),
    });
  }

  /**
   * OpenTelemetry SDK settings for applications (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
   * The head keeps every trace (parent-based always-on): the gateway decides after seeing the whole trace, so a
   * head sampler would only drop errors and slow requests before anyone knew they were. The endpoint is the
   * gateway's cluster-wide name, so the same settings work from any namespace.
   */
  sdkEnvironment(serviceName: string | undefined): Record<string, string> {
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: this.gateway.url('otlp-grpc'),
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      ...(serviceName ? { OTEL_SERVICE_NAME: serviceName } : {}),
    };
  }

  private tier(
    name: string,
    labels: { selector: Record<string, string>; labels: Record<string, string> },
    settings: { replicas: number; resources: { cpu: string; memory: string; memoryLimit: string } },
    ports: NamedPort[],
    config: OtelcolConfig,
    tls: ReturnType<typeof tlsVolumes>,
  ): void {
    const text = toYaml(config);
    new k8s.KubeConfigMap(this, `${name}-config`, { metadata: this.meta(name, { labels: labels.labels }), data: { [CONFIG_KEY]: text } });
    serviceAccount(this, name, undefined, labels.labels);
    const container = hardenedContainer({
      name: 'otelcol',
      image: this.config.collector.image,
      args: [`--config=${CONFIG_DIR}/${CONFIG_KEY}`],
      goRuntime: true,
      ports,
      readiness: { path: '/', port: 'health', initialDelaySeconds: 5 },
      liveness: { path: '/', port: 'health', initialDelaySeconds: 15 },
      resources: settings.resources,
      volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }, ...tls.mounts],
    });
    new k8s.KubeDeployment(this, name, {
      metadata: this.meta(name, { labels: labels.labels }),
      spec: {
        replicas: settings.replicas,
        selector: { matchLabels: labels.selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: podTemplate(
          this,
          {
            ...hardenedPodSpec({ serviceAccountName: name, runAsUser: COLLECTOR_UID, containers: [container], volumes: [{ name: 'config', configMap: { name } }, ...tls.volumes] }),
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels.selector } }],
          },
          { config: checksum(text) },
          labels.labels,
        ),
      },
    });
    if (settings.replicas > 1) {
      new k8s.KubePodDisruptionBudget(this, `${name}-pdb`, {
        metadata: this.meta(name, { labels: labels.labels }),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels.selector } },
      });
    }
  }
}
