/**
 * Hardened pod and container defaults that every chart gets without repeating them: non-root,
 * seccomp RuntimeDefault, no privilege escalation, all capabilities dropped, read-only root filesystem,
 * requests and a memory limit, and readiness plus liveness probes, which the types make mandatory.
 * A chart that needs an exception (Promtail reading host logs) says so explicitly through `securityContext`.
 */
import * as k8s from '../../imports/k8s';
import { Resources } from '../config/primitives';
import { StackChart } from './chart';
import { containerPorts, METRICS_PATH, NamedPort } from './service';
import { placePod } from './platform';

/** UID/GID used when an image does not pin a non-root user of its own. */
export const DEFAULT_UID = 10001;

export interface HttpProbe {
  readonly path: string;
  /** Name of a container port. */
  readonly port: string;
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
  readonly timeoutSeconds?: number;
  /** HTTPS when the port serves TLS (the kubelet does not verify the certificate). */
  readonly scheme?: 'HTTP' | 'HTTPS';
}

export interface HardenedContainerProps {
  readonly name: string;
  readonly image: string;
  readonly args?: string[];
  readonly env?: k8s.EnvVar[];
  readonly envFrom?: k8s.EnvFromSource[];
  readonly ports: readonly NamedPort[];
  readonly readiness: HttpProbe;
  readonly liveness: HttpProbe;
  readonly startup?: HttpProbe;
  readonly resources: Resources;
  /** A Go program: GOMEMLIMIT is set below the memory limit (see goMemLimit). */
  readonly goRuntime?: boolean;
  readonly volumeMounts?: k8s.VolumeMount[];
  /** Overrides on top of the hardened defaults; use only for a documented exception. */
  readonly securityContext?: Partial<k8s.SecurityContext>;
}

/**
 * How long a Loki or Tempo pod may take to start after a crash: both replay their WAL before /ready answers 200
 * (Loki ingester wal replay; Tempo live-store / ingester WAL and, on Kafka, partition catch-up), which takes minutes
 * on a busy node. The startup probe holds liveness off for this long, so replay is not killed and restarted.
 */
export const WAL_REPLAY_SECONDS = 900;

/** A startup probe on `path` that allows `WAL_REPLAY_SECONDS` before the kubelet gives up. */
export function walReplayStartupProbe(path: string, port: string, scheme?: 'HTTP' | 'HTTPS'): HttpProbe {
  const periodSeconds = 10;
  return { path, port, scheme, initialDelaySeconds: 10, periodSeconds, failureThreshold: Math.ceil(WAL_REPLAY_SECONDS / periodSeconds) };
}

/**
 * The probes of a Loki or Tempo process (a dskit server on its `http` port). /ready answers 503 until every module
 * runs, which is after the WAL replay (and, for an ingester, after joining its ring): the startup probe waits
 * for it, then readiness follows it. Liveness only asks whether the HTTP server answers: dskit serves /metrics
 * from the start and without a tenant header, so a slow module, a long replay or a lost query-frontend
 * connection does not restart the pod.
 */
export function engineProbes(scheme?: 'HTTP' | 'HTTPS'): Pick<HardenedContainerProps, 'startup' | 'readiness' | 'liveness'> {
  return {
    startup: walReplayStartupProbe('/ready', 'http', scheme),
    readiness: { path: '/ready', port: 'http', initialDelaySeconds: 0, scheme },
    liveness: { path: METRICS_PATH, port: 'http', initialDelaySeconds: 0, periodSeconds: 30, scheme },
  };
}

function probe(p: HttpProbe): k8s.Probe {
  return {
    httpGet: { path: p.path, port: k8s.IntOrString.fromString(p.port), ...(p.scheme === 'HTTPS' ? { scheme: 'HTTPS' } : {}) },
    initialDelaySeconds: p.initialDelaySeconds ?? 10,
    periodSeconds: p.periodSeconds ?? 10,
    timeoutSeconds: p.timeoutSeconds ?? 5,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

/** Bytes of a Kubernetes quantity already validated by the schema's `quantity` (no exponent forms). */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const unit: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * unit[m[2] ?? ''];
}

/**
 * Share of the container's memory limit given to the Go runtime as its soft limit. With GOMEMLIMIT equal to the
 * limit, the heap may grow to the limit before the GC works harder, and the kernel OOM-kills the container first
 * (stacks, cgo and page cache are outside the heap). Loki's Helm chart uses the same 0.85
 * (production/helm/loki/values.yaml `goMemLimitFactor`).
 */
export const GO_MEMLIMIT_FACTOR = 0.85;

/** GOMEMLIMIT for a container with this memory limit, in MiB (Go reads the `MiB` suffix: runtime/debug SetMemoryLimit). */
export function goMemLimit(resources: Resources): k8s.EnvVar {
  const mib = Math.floor((quantityBytes(resources.memoryLimit) * GO_MEMLIMIT_FACTOR) / 2 ** 20);
  return { name: 'GOMEMLIMIT', value: `${mib}MiB` };
}

export function hardenedContainer(props: HardenedContainerProps): k8s.Container {
  const env = [...(props.goRuntime ? [goMemLimit(props.resources)] : []), ...(props.env ?? [])];
  for (const pr of [props.readiness, props.liveness, props.startup]) {
    if (pr && !props.ports.some((p) => p.name === pr.port)) throw new Error(`container ${props.name}: probe port ${pr.port} is not one of its ports`);
  }
  return {
    name: props.name,
    image: props.image,
    imagePullPolicy: 'IfNotPresent',
    ...(props.args ? { args: props.args } : {}),
    ...(env.length ? { env } : {}),
    ...(props.envFrom?.length ? { envFrom: props.envFrom } : {}),
    ports: containerPorts(props.ports),
    readinessProbe: probe(props.readiness),
    livenessProbe: probe(props.liveness),
    ...(props.startup ? { startupProbe: probe(props.startup) } : {}),
    resources: {
      requests: { cpu: k8s.Quantity.fromString(props.resources.cpu), memory: k8s.Quantity.fromString(props.resources.memory) },
      limits: { memory: k8s.Quantity.fromString(props.resources.memoryLimit) },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
      ...props.securityContext,
    },
    ...(props.volumeMounts?.length ? { volumeMounts: props.volumeMounts } : {}),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

export interface HardenedPodProps {
  readonly containers: k8s.Container[];
  readonly serviceAccountName: string;
  /** Off unless the workload talks to the Kubernetes API. */
  readonly automountServiceAccountToken?: boolean;
  readonly volumes?: k8s.Volume[];
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  /** Overrides for a documented exception (Promtail). */
  readonly securityContext?: Partial<k8s.PodSecurityContext>;
  readonly terminationGracePeriodSeconds?: number;
  readonly tolerations?: k8s.Toleration[];
  readonly priorityClassName?: string;
  /** Spread replicas over nodes and zones (multi-replica workloads). */
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
  /** Node affinity (a zone-pinned StatefulSet). */
  readonly affinity?: k8s.Affinity;
}

export function hardenedPodSpec(props: HardenedPodProps): k8s.PodSpec {
  const uid = props.runAsUser ?? DEFAULT_UID;
  return {
    serviceAccountName: props.serviceAccountName,
    automountServiceAccountToken: props.automountServiceAccountToken ?? false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: props.runAsGroup ?? uid,
      fsGroup: props.fsGroup ?? props.runAsGroup ?? uid,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
      ...props.securityContext,
    },
    containers: props.containers,
    ...(props.volumes?.length ? { volumes: props.volumes } : {}),
    ...(props.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: props.terminationGracePeriodSeconds } : {}),
    ...(props.tolerations?.length ? { tolerations: props.tolerations } : {}),
    ...(props.priorityClassName ? { priorityClassName: props.priorityClassName } : {}),
    ...(props.topologySpreadConstraints?.length ? { topologySpreadConstraints: props.topologySpreadConstraints } : {}),
    ...(props.affinity ? { affinity: props.affinity } : {}),
  };
}

/** Pod template with the chart's labels and the annotations that roll pods when their config changes. */
export function podTemplate(
  chart: StackChart,
  spec: k8s.PodSpec,
  checksums: Record<string, string> = {},
  labels: Record<string, string> = chart.commonLabels,
): k8s.PodTemplateSpec {
  const annotations = Object.fromEntries(Object.entries(checksums).map(([k, v]) => [`checksum/${k}`, v]));
  return {
    metadata: { labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    // Every pod of the stack is built here, so the platform's placement and registry mirror reach them all.
    spec: placePod(chart, spec),
  };
}

/** A ServiceAccount per workload; token mounting is decided on the pod. */
export function serviceAccount(chart: StackChart, name: string, annotations?: Record<string, string>, labels?: Record<string, string>): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(chart, `sa-${name}`, {
    metadata: chart.meta(name, { annotations, labels }),
    automountServiceAccountToken: false,
  });
}

/** An emptyDir for a path the program writes to (the root filesystem is read-only). */
export function scratchVolume(name: string, sizeLimit = '256Mi'): k8s.Volume {
  return { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } };
}
