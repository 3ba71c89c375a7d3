import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { Dashboard, dashboardJson, LOG_CORRELATION_UID, logCorrelationDashboard, TRACING_UID, tracingDashboard } from '../lib/grafana/dashboards';
import { ConfigError } from '../lib/config/load';
import { datasources } from '../lib/grafana/datasources';
import { tenantDatasources } from '../lib/grafana/tenant-datasources';
import { grafanaEnv } from '../lib/grafana/settings';
import { databaseCaVolume, databaseEndpoint, gossipPorts, sharedStateEnv } from '../lib/grafana/shared-state';
import { StackChart } from '../lib/k8s/chart';
import { METRICS_PATH, StackService } from '../lib/k8s/service';
import { hardenedContainer, hardenedPodSpec, podTemplate, scratchVolume, serviceAccount } from '../lib/k8s/workload';
import { checksum, toYaml } from '../lib/serialize';
import { claimSpec } from '../lib/k8s/platform';
import { TLS_FILES, tlsVolumes } from '../lib/k8s/tls';
import { LokiChart } from './loki';
import { TempoChart } from './tempo';

export interface GrafanaChartProps {
  readonly env: Environment;
  readonly tempo: TempoChart;
  readonly loki: LokiChart;
  /** The stack's operational dashboards (lib/monitoring/dashboards.ts), provisioned into `monitoring.dashboardsFolder`. */
  readonly operationalDashboards?: readonly Dashboard[];
}

/** The grafana/grafana image's user and group. */
const GRAFANA_UID = 472;
const DATA_DIR = '/var/lib/grafana';
const PROVISIONING_DIR = '/etc/grafana/provisioning';
const DASHBOARDS_DIR = '/etc/grafana/dashboards';
const STACK_DASHBOARDS_DIR = '/etc/grafana/dashboards-stack';
const TEAM_DASHBOARDS_DIR = '/etc/grafana/dashboards-team';
/**
 * Client-side `kubectl apply` (and Argo CD's default) stores the whole object in the
 * last-applied-configuration annotation, which is capped at 262,144 bytes; bigger ConfigMaps need
 * server-side apply. Switch early, with headroom for metadata.
 */
export const SERVER_SIDE_APPLY_BYTES = 200_000;

/** Annotations a ConfigMap of this size needs to sync with Argo CD. */
export function largeConfigMapAnnotations(data: Record<string, string>): Record<string, string> | undefined {
  const bytes = Object.entries(data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  return bytes > SERVER_SIDE_APPLY_BYTES ? { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true' } : undefined;
}

/**
 * Grafana with Prometheus, Tempo and Loki provisioned and linked both ways, two dashboards, and no secret in
 * git: the admin login and any OAuth client secret come from existing Secrets.
 */
export class GrafanaChart extends StackChart {
  readonly service: StackService;
  /** Headless Service over every replica for alerting gossip (replicas > 1). */
  readonly peers?: StackService;
  /** The shared database Grafana connects to, for the egress NetworkPolicy. */
  readonly database?: { host: string; port: number };

  constructor(scope: Construct, id: string, props: GrafanaChartProps) {
    const { grafana, prometheus } = props.env.config;
    super(scope, id, { env: props.env, name: 'grafana', component: 'visualization', version: imageVersion(grafana.image) });
    const ports = [{ name: 'http', port: grafana.ports.http, metricsPath: METRICS_PATH }];
    this.service = new StackService(this, { name: 'grafana', ports });
    const gossip = gossipPorts(grafana);
    if (gossip.length) {
      // Not-ready pods are published too: a starting replica joins the cluster before it passes readiness.
      this.peers = new StackService(this, { name: 'grafana-alerting', ports: gossip, headless: true, publishNotReadyAddresses: true });
    }
    this.database = grafana.database && databaseEndpoint(grafana.database);

    const provisioned = datasources({
      prometheusUrl: prometheus.url,
      tempoUrl: props.tempo.queryUrl,
      lokiUrl: props.loki.queryUrl,
      lokiTenantId: props.loki.tenantId,
      tempoTenantId: props.tempo.tenantId,
      spanMetrics: props.tempo.metricsGeneratorEnabled,
      caFile: props.env.config.tls.enabled ? TLS_FILES.ca : undefined,
      structuredMetadata: props.loki.structuredMetadata,
      paddedTraceIds: props.tempo.paddedTraceIds,
    }) as { datasources: Record<string, unknown>[] };
    const { loki: lokiConfig, tempo: tempoConfig } = props.env.config;
    const wanted = (tenants: Record<string, { datasource: boolean }>) => Object.entries(tenants).filter(([, t]) => t.datasource).map(([id]) => id);
    provisioned.datasources.push(
      ...tenantDatasources({
        lokiUrl: props.loki.queryUrl,
        tempoUrl: props.tempo.queryUrl,
        caFile: props.env.config.tls.enabled ? TLS_FILES.ca : undefined,
        loki: { tenants: wanted(lokiConfig.tenants), own: props.loki.tenantId },
        tempo: { tenants: wanted(tempoConfig.tenants), own: props.tempo.tenantId },
      }),
    );
    const datasourcesText = toYaml(provisioned);
    const stackDashboards = props.operationalDashboards?.length ? Object.fromEntries(props.operationalDashboards.map((d) => [`${d.uid}.json`, dashboardJson(d)])) : undefined;
    const team = props.env.teamDashboards ?? [];
    const teamDashboards = team.length ? Object.fromEntries(team.map((d) => [d.key, d.json])) : undefined;
    // A team dashboard may not take a uid of ours: Grafana would keep one of the two, whichever provider ran last.
    const ours = new Set([TRACING_UID, LOG_CORRELATION_UID, ...(props.operationalDashboards ?? []).map((d) => d.uid)]);
    const taken = team.filter((d) => ours.has(d.uid));
    if (taken.length) throw new ConfigError(taken.map((d) => `${d.file}: uid ${JSON.stringify(d.uid)} is the uid of one of the stack's own dashboards, expected another uid`));
    const providersText = toYaml({
      apiVersion: 1,
      providers: [
        {
          name: 'ybuilt',
          orgId: 1,
          folder: grafana.dashboards.folder,
          type: 'file',
          disableDeletion: true,
          allowUiUpdates: false,
          updateIntervalSeconds: 60,
          options: { path: DASHBOARDS_DIR, foldersFromFilesStructure: false },
        },
        ...(stackDashboards
          ? [
              {
                name: 'stack',
                orgId: 1,
                folder: props.env.config.monitoring.dashboardsFolder,
                type: 'file',
                disableDeletion: true,
                allowUiUpdates: false,
                updateIntervalSeconds: 60,
                options: { path: STACK_DASHBOARDS_DIR, foldersFromFilesStructure: false },
              },
            ]
          : []),
        ...(teamDashboards
          ? [
              {
                name: 'team',
                orgId: 1,
                folder: grafana.dashboards.teamFolder,
                type: 'file',
                disableDeletion: true,
                // The files in git are the source: a change made in the UI would be lost at the next sync.
                allowUiUpdates: false,
                updateIntervalSeconds: 60,
                options: { path: TEAM_DASHBOARDS_DIR, foldersFromFilesStructure: false },
              },
            ]
          : []),
      ],
    });
    const dashboards = {
      'ybuilt-tracing.json': dashboardJson(tracingDashboard({ serviceGraph: props.tempo.metricsGeneratorEnabled })),
      'ybuilt-log-correlation.json': dashboardJson(logCorrelationDashboard({ job: grafana.dashboards.job })),
    };
    new k8s.KubeConfigMap(this, 'datasources', { metadata: this.meta('grafana-datasources'), data: { 'datasources.yaml': datasourcesText } });
    new k8s.KubeConfigMap(this, 'dashboard-providers', { metadata: this.meta('grafana-dashboard-providers'), data: { 'dashboards.yaml': providersText } });
    new k8s.KubeConfigMap(this, 'dashboards', { metadata: this.meta('grafana-dashboards', { annotations: largeConfigMapAnnotations(dashboards) }), data: dashboards });
    if (teamDashboards) {
      new k8s.KubeConfigMap(this, 'dashboards-team', { metadata: this.meta('grafana-dashboards-team', { annotations: largeConfigMapAnnotations(teamDashboards) }), data: teamDashboards });
    }
    if (stackDashboards) {
      new k8s.KubeConfigMap(this, 'dashboards-stack', { metadata: this.meta('grafana-dashboards-stack', { annotations: largeConfigMapAnnotations(stackDashboards) }), data: stackDashboards });
    }

    const tlsMount = tlsVolumes(props.env.config.tls);
    const databaseCa = databaseCaVolume(grafana);
    // With a shared database nothing in the data path outlives the pod (the search index is rebuilt from
    // the database), so each replica gets its own emptyDir; SQLite keeps its ReadWriteOnce claim.
    const dataVolume: k8s.Volume = grafana.database
      ? scratchVolume('data', '1Gi')
      : { name: 'data', persistentVolumeClaim: { claimName: 'grafana' } };
    if (!grafana.database) {
      new k8s.KubePersistentVolumeClaim(this, 'data', {
        metadata: this.meta('grafana'),
        spec: claimSpec(this, grafana.storageGiB),
      });
    }
    serviceAccount(this, 'grafana');

    const container = hardenedContainer({
      name: 'grafana',
      image: grafana.image,
      env: [...grafanaEnv(grafana, { data: DATA_DIR, provisioning: PROVISIONING_DIR }), ...sharedStateEnv(grafana, this.peers?.host)],
      ports: [...ports, ...gossip],
      readiness: { path: '/api/health', port: 'http', initialDelaySeconds: 10 },
      liveness: { path: '/api/health', port: 'http', initialDelaySeconds: 60, failureThreshold: 6 },
      resources: grafana.resources,
      goRuntime: true,
      volumeMounts: [
        { name: 'data', mountPath: DATA_DIR },
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'datasources', mountPath: `${PROVISIONING_DIR}/datasources`, readOnly: true },
        { name: 'dashboard-providers', mountPath: `${PROVISIONING_DIR}/dashboards`, readOnly: true },
        { name: 'dashboards', mountPath: DASHBOARDS_DIR, readOnly: true },
        ...(stackDashboards ? [{ name: 'dashboards-stack', mountPath: STACK_DASHBOARDS_DIR, readOnly: true }] : []),
        ...(teamDashboards ? [{ name: 'dashboards-team', mountPath: TEAM_DASHBOARDS_DIR, readOnly: true }] : []),
        ...tlsMount.mounts,
        ...databaseCa.mounts,
      ],
    });
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: this.meta('grafana'),
      spec: {
        replicas: grafana.replicas,
        // SQLite: the data volume is ReadWriteOnce and takes one writer, never two pods at once. With a
        // database, roll one new pod at a time; schema migrations run under Grafana's database lock.
        strategy: grafana.database ? { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } } : { type: 'Recreate' },
        selector: { matchLabels: this.selectorLabels },
        template: podTemplate(
          this,
          this.spread({
            ...hardenedPodSpec({
            serviceAccountName: 'grafana',
            runAsUser: GRAFANA_UID,
            containers: [container],
            volumes: [
              dataVolume,
              scratchVolume('tmp'),
              { name: 'datasources', configMap: { name: 'grafana-datasources' } },
              { name: 'dashboard-providers', configMap: { name: 'grafana-dashboard-providers' } },
              { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
              ...(stackDashboards ? [{ name: 'dashboards-stack', configMap: { name: 'grafana-dashboards-stack' } }] : []),
              ...(teamDashboards ? [{ name: 'dashboards-team', configMap: { name: 'grafana-dashboards-team' } }] : []),
              ...tlsMount.volumes,
              ...databaseCa.volumes,
            ],
            }),
          }),
          { datasources: checksum(datasourcesText), dashboards: checksum(providersText, ...Object.values(dashboards), ...Object.values(stackDashboards ?? {}), ...Object.values(teamDashboards ?? {})) },
        ),
      },
    });
    if (grafana.replicas > 1) {
      new k8s.KubePodDisruptionBudget(this, 'pdb', {
        metadata: this.meta('grafana'),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.selectorLabels } },
      });
    }
    this.expose();
  }

  /** Several replicas: spread them over nodes and zones, best effort (a small cluster still schedules them). */
  private spread(spec: k8s.PodSpec): k8s.PodSpec {
    if (this.config.grafana.replicas === 1) return spec;
    const constraint = (topologyKey: string): k8s.TopologySpreadConstraint => ({
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: this.selectorLabels },
      // Count only pods of the same rollout step, so a rolling update is not pushed onto one node.
      matchLabelKeys: ['pod-template-hash'],
    });
    return { ...spec, topologySpreadConstraints: [constraint('kubernetes.io/hostname'), constraint('topology.kubernetes.io/zone')] };
  }

  private expose(): void {
    const e = this.config.grafana.exposure;
    const backend = { name: this.service.name, port: this.service.port('http') };
    if (e.type === 'ingress') {
      new k8s.KubeIngress(this, 'ingress', {
        metadata: this.meta('grafana', { annotations: e.annotations }),
        spec: {
          ...(e.className ? { ingressClassName: e.className } : {}),
          ...(e.tlsSecret ? { tls: [{ hosts: [e.host], secretName: e.tlsSecret }] } : {}),
          rules: [{ host: e.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: backend.name, port: { number: backend.port } } } }] } }],
        },
      });
    } else if (e.type === 'httproute') {
      // Gateway API is a CRD set, not part of the 1.27 types: https://gateway-api.sigs.k8s.io/reference/spec/#httproute
      new ApiObject(this, 'httproute', {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: this.meta('grafana', { annotations: e.annotations }),
        spec: {
          parentRefs: [{ name: e.gateway.name, namespace: e.gateway.namespace, ...(e.gateway.sectionName ? { sectionName: e.gateway.sectionName } : {}) }],
          hostnames: [e.host],
          rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [backend] }],
        },
      });
    }
  }
}
