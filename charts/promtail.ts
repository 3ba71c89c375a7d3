import { Construct } from 'constructs';
import { TLS_FILES, tlsVolumes } from '../lib/k8s/tls';
import * as k8s from '../imports/k8s';
import { imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { METRICS_PATH, NamedPort } from '../lib/k8s/service';
import { hardenedContainer, hardenedPodSpec, podTemplate, serviceAccount } from '../lib/k8s/workload';
import { POD_LOGS_DIR, POSITIONS_DIR, promtailConfig, PromtailYaml } from '../lib/promtail/config';
import { checksum, toYaml } from '../lib/serialize';
import { LokiChart } from './loki';
import { podSecurityLabels } from './namespace';

export interface PromtailChartProps {
  readonly env: Environment;
  /** Where logs are pushed; its push URL and tenant come from the construct, never typed here. */
  readonly loki: LokiChart;
}

const CONFIG_DIR = '/etc/promtail';
const CONFIG_KEY = 'promtail.yaml';

/**
 * Promtail (log shipping) as a DaemonSet. Promtail reached end of life on 2026-03-02 (3.6.x is its last
 * line); Grafana Alloy is its successor.
 *
 * It must read the node's pod logs through hostPath volumes, which Pod Security `baseline` and `restricted`
 * both forbid, so it lives in its own namespace enforcing `privileged` (audit and warn stay at `restricted`,
 * so the exception shows up in audit logs) while the stack's namespace keeps enforcing `restricted`.
 * Everything else about the pod stays hardened; see the README's Security section.
 */
export class PromtailChart extends StackChart {
  /** The agent namespace (promtail.namespace), not the stack's: every namespaced object goes there. */
  override readonly targetNamespace: string;
  readonly ports: NamedPort[];
  readonly promtailYaml: PromtailYaml;
  readonly daemonSet: k8s.KubeDaemonSet;

  constructor(scope: Construct, id: string, props: PromtailChartProps) {
    const promtail = props.env.config.promtail;
    super(scope, id, { env: props.env, name: 'promtail', component: 'log-shipping', version: imageVersion(promtail.image) });
    this.targetNamespace = promtail.namespace;
    this.ports = [{ name: 'http', port: promtail.ports.http, metricsPath: METRICS_PATH }];
    // No Service fronts the agents: Prometheus scrapes each pod (a PodMonitor).
    this.podMetrics('promtail', this.selectorLabels, this.ports);

    new k8s.KubeNamespace(this, 'namespace', { metadata: { name: promtail.namespace, labels: podSecurityLabels('privileged') } });

    this.promtailYaml = promtailConfig({
      httpPort: promtail.ports.http,
      pushUrl: props.loki.pushUrl,
      tenantId: props.loki.tenantId,
      structuredMetadata: props.loki.structuredMetadata,
      caFile: props.env.config.tls.enabled ? TLS_FILES.ca : undefined,
    });
    const tlsMount = tlsVolumes(props.env.config.tls);
    const text = toYaml(this.promtailYaml);
    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: this.meta('promtail'), data: { [CONFIG_KEY]: text } });

    const account = serviceAccount(this, 'promtail');
    this.discoveryRbac(account.name);

    const container = hardenedContainer({
      name: 'promtail',
      image: promtail.image,
      args: [`-config.file=${CONFIG_DIR}/${CONFIG_KEY}`],
      // Promtail narrows pod discovery to spec.nodeName=$HOSTNAME; without the node name here it would use
      // the pod's own name, match no pod and ship nothing (targets/file/filetargetmanager.go).
      env: [{ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      ports: this.ports,
      readiness: { path: '/ready', port: 'http' },
      liveness: { path: METRICS_PATH, port: 'http', initialDelaySeconds: 30, periodSeconds: 30 },
      resources: promtail.resources,
      goRuntime: true,
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'pod-logs', mountPath: POD_LOGS_DIR, readOnly: true },
        { name: 'positions', mountPath: POSITIONS_DIR },
        ...tlsMount.mounts,
      ],
      // The documented exception: kubelet and the runtime write pod logs as root with mode 0640, and the
      // positions hostPath is created root-owned, so Promtail runs as uid 0. With every capability dropped
      // (no CAP_DAC_OVERRIDE) root gets only owner permissions: it reads root's files and nothing more.
      securityContext: { runAsNonRoot: false, runAsUser: 0 },
    });

    const spec = hardenedPodSpec({
      containers: [container],
      serviceAccountName: account.name,
      // Kubernetes pod discovery talks to the API server.
      automountServiceAccountToken: true,
      runAsUser: 0,
      runAsGroup: 0,
      securityContext: { runAsNonRoot: false },
      // Every node, tainted or not: a node whose logs are not shipped is a blind spot.
      tolerations: [{ operator: 'Exists' }],
      volumes: [
        { name: 'config', configMap: { name: configMap.name } },
        { name: 'pod-logs', hostPath: { path: POD_LOGS_DIR, type: 'Directory' } },
        // One positions folder per agent namespace, so two installs on a node never share read offsets.
        { name: 'positions', hostPath: { path: `/var/lib/promtail/${promtail.namespace}`, type: 'DirectoryOrCreate' } },
        ...tlsMount.volumes,
      ],
    });

    this.daemonSet = new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: this.meta('promtail'),
      spec: {
        selector: { matchLabels: this.selectorLabels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: podTemplate(this, spec, { config: checksum(text) }),
      },
    });
  }

  /**
   * Kubernetes SD with role pod runs one informer on pods (list + watch; nodes only with attach_metadata.node,
   * which this config does not set): prometheus/discovery/kubernetes/kubernetes.go. Nothing else is granted.
   */
  private discoveryRbac(accountName: string): void {
    const name = `${this.targetNamespace}-promtail`;
    const role = new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: accountName, namespace: this.targetNamespace }],
    });
  }
}
