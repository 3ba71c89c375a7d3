import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';

export interface NamespaceChartProps {
  readonly env: Environment;
}

/**
 * The stack's namespace, labelled for Pod Security admission: `restricted` is enforced, so a pod that
 * drifts from the hardened defaults is refused by the API server, not just flagged by a linter.
 */
export class NamespaceChart extends StackChart {
  readonly namespaceObject: k8s.KubeNamespace;

  constructor(scope: Construct, id: string, props: NamespaceChartProps) {
    super(scope, id, { env: props.env, name: 'namespace', component: 'namespace' });
    this.namespaceObject = new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: this.targetNamespace, labels: podSecurityLabels('restricted') },
    });
  }
}

/** https://kubernetes.io/docs/concepts/security/pod-security-admission/ */
export function podSecurityLabels(level: 'restricted' | 'baseline' | 'privileged'): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    // Audit at restricted even where enforcement must be looser, so every exception is recorded in the API
    // server's audit log. Warn at the enforced level: a warn level above it answers every apply of the log
    // agent's DaemonSet with a warning (a real API server did, in e2e/cluster), which `kubectl apply` prints
    // and Argo CD shows on every sync, for an exception that is deliberate and documented (README "Security").
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/audit-version': 'latest',
    'pod-security.kubernetes.io/warn': level,
    'pod-security.kubernetes.io/warn-version': 'latest',
  };
}
