import { NamedPort } from '../lib/k8s/service';

/**
 * What the rest of the stack needs to know about the log agent DaemonSet, whichever one `logAgent` picks
 * (PromtailChart or AlloyChart): where it runs, how its pods are selected, and its ports. NetworkPolicies and
 * the CA certificate for its namespace read this; nothing else asks which agent it is.
 */
export interface LogAgent {
  /** `app.kubernetes.io/name` of the agent: `promtail` or `alloy`. */
  readonly appName: string;
  readonly targetNamespace: string;
  readonly selectorLabels: Record<string, string>;
  readonly ports: readonly NamedPort[];
}
