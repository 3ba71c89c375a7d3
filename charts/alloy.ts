import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { alloyLogPipeline, NODE_NAME_ENV } from '../lib/alloy/log-pipeline';
import { renderAlloy } from '../lib/alloy/serialize';
import { imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { METRICS_PATH, NamedPort } from '../lib/k8s/service';
import { TLS_FILES, tlsVolumes } from '../lib/k8s/tls';
import { hardenedContainer, hardenedPodSpec, podTemplate, scratchVolume, serviceAccount } from '../lib/k8s/workload';
import { POD_LOGS_DIR } from '../lib/promtail/config';
import { checksum } from '../lib/serialize';
import { LokiChart } from './loki';
import { podSecurityLabels } from './namespace';

export interface AlloyChartProps {
  readonly env: Environment;
  /** Where logs are pushed; its push URL and tenant come from the construct, never typed here. */
  readonly loki: LokiChart;
}

const CONFIG_DIR = '/etc/alloy';
const CONFIG_KEY = 'config.alloy';
/** --storage.path: every component keeps its state below it (loki.source.* positions.yml). */
const STORAGE_DIR = '/var/lib/alloy/data';
/** The image creates user and group `alloy` with this id and owns /var/lib/alloy by it (Dockerfile, v1.18.1). */
const ALLOY_UID = 473;

/**
 * Grafana Alloy as the log agent DaemonSet (logAgent: alloy), the successor of Promtail: the same stream
 * labels and trace_id structured metadata in Loki (lib/alloy/log-pipeline.ts). Facts from the upstream chart
 * (operations/helm/charts/alloy, chart 1.11.1 = Alloy v1.18.1), with the changes a hardened install needs:
 * - it listens on 0.0.0.0 (the binary's default is 127.0.0.1, which probes and scrapes cannot reach);
 * - --storage.path is a volume (the chart's /tmp/alloy is not, so positions are lost with the container);
 * - liveness reads /metrics: /-/healthy fails whenever one component is unhealthy, and restarting the whole
 *   agent does not fix a Loki outage;
 * - usage reporting is off (the NetworkPolicy would block it anyway).
 *
 * `alloy.source: files` reads the kubelet's files like Promtail: hostPath, root, the privileged agent namespace,
 * and positions on a hostPath that survives pod replacement. `api` streams through the API server: no host
 * access, a restricted namespace, non-root; positions on an emptyDir (kept across container restarts only).
 */
export class AlloyChart extends StackChart {
  override readonly targetNamespace: string;
  readonly ports: NamedPort[];
  readonly configText: string;
  readonly daemonSet: k8s.KubeDaemonSet;

  constructor(scope: Construct, id: string, props: AlloyChartProps) {
    const alloy = props.env.config.alloy;
    super(scope, id, { env: props.env, name: 'alloy', component: 'log-shipping', version: imageVersion(alloy.image) });
    this.targetNamespace = alloy.namespace;
    const files = alloy.source === 'files';
    // Named `metrics` so scrape configs and PodMonitors find Alloy's own metrics by name; it also serves /-/ready.
    this.ports = [{ name: 'metrics', port: alloy.ports.http, metricsPath: METRICS_PATH }];
    // No Service fronts a DaemonSet agent: its pods are scraped through a PodMonitor (charts/monitoring.ts).
    this.podMetrics('alloy', this.selectorLabels, this.ports);

    new k8s.KubeNamespace(this, 'namespace', { metadata: { name: alloy.namespace, labels: podSecurityLabels(files ? 'privileged' : 'restricted') } });

    this.configText = renderAlloy(
      alloyLogPipeline({
        source: alloy.source,
        pushUrl: props.loki.pushUrl,
        tenantId: props.loki.tenantId,
        structuredMetadata: props.loki.structuredMetadata,
        caFile: props.env.config.tls.enabled ? TLS_FILES.ca : undefined,
      }),
    );
    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: this.meta('alloy'), data: { [CONFIG_KEY]: this.configText } });

    const account = serviceAccount(this, 'alloy');
    this.rbac(account.name, files);
    const tlsMount = tlsVolumes(props.env.config.tls);

    const container = hardenedContainer({
      name: 'alloy',
      image: alloy.image,
      args: [
        'run',
        `${CONFIG_DIR}/${CONFIG_KEY}`,
        `--storage.path=${STORAGE_DIR}`,
        `--server.http.listen-addr=0.0.0.0:${alloy.ports.http}`,
        '--stability.level=generally-available',
        '--disable-reporting',
      ],
      // discovery.kubernetes selects spec.nodeName=$HOSTNAME: this pod's node only.
      env: [{ name: NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      ports: this.ports,
      readiness: { path: '/-/ready', port: 'metrics' },
      liveness: { path: METRICS_PATH, port: 'metrics', initialDelaySeconds: 30, periodSeconds: 30 },
      resources: alloy.resources,
      // Alloy would derive a Go memory limit from the cgroup itself (automemlimit); set it like every Go component here.
      goRuntime: true,
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        ...(files ? [{ name: 'pod-logs', mountPath: POD_LOGS_DIR, readOnly: true }] : []),
        { name: 'data', mountPath: STORAGE_DIR },
        ...tlsMount.mounts,
      ],
      // File mode: the documented exception Promtail has (README, Security). The kubelet writes pod logs as
      // root with mode 0640; with every capability dropped, root reads root's files and nothing more.
      securityContext: files ? { runAsNonRoot: false, runAsUser: 0 } : undefined,
    });

    const spec = hardenedPodSpec({
      containers: [container],
      serviceAccountName: account.name,
      // Pod discovery (and, in api mode, the log streams) talk to the API server.
      automountServiceAccountToken: true,
      runAsUser: files ? 0 : ALLOY_UID,
      runAsGroup: files ? 0 : ALLOY_UID,
      ...(files ? { securityContext: { runAsNonRoot: false } } : {}),
      // Every node, tainted or not: a node whose logs are not shipped is a blind spot.
      tolerations: [{ operator: 'Exists' }],
      volumes: [
        { name: 'config', configMap: { name: configMap.name } },
        ...(files
          ? [
              { name: 'pod-logs', hostPath: { path: POD_LOGS_DIR, type: 'Directory' } },
              // One data folder per agent namespace, so two installs on a node never share read offsets.
              { name: 'data', hostPath: { path: `/var/lib/alloy/${alloy.namespace}`, type: 'DirectoryOrCreate' } },
            ]
          : [scratchVolume('data')]),
        ...tlsMount.volumes,
      ],
    });

    this.daemonSet = new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: this.meta('alloy'),
      spec: {
        selector: { matchLabels: this.selectorLabels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: podTemplate(this, spec, { config: checksum(this.configText) }),
      },
    });
  }

  /**
   * discovery.kubernetes role pod: list + watch on pods (an informer, Prometheus discovery/kubernetes).
   * loki.source.kubernetes adds get on pods/log (Pods(ns).GetLogs) and get on pods (Pods(ns).Get, to learn
   * whether a finished container will restart): internal/component/loki/source/kubernetes/kubetail/tailer.go.
   */
  private rbac(accountName: string, files: boolean): void {
    const name = `${this.targetNamespace}-alloy`;
    const role = new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name },
      rules: files
        ? [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]
        : [
            { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
            { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
          ],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: accountName, namespace: this.targetNamespace }],
    });
  }
}
