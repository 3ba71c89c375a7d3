import { z } from 'zod';
import { dnsLabel, labelSelector } from './primitives';

/**
 * An IPv4 or IPv6 CIDR as NetworkPolicy ipBlock takes it, with the host bits zero (the form the API documents),
 * and never everything: 0.0.0.0/0 or ::/0 would admit every address that can route to the pod.
 */
const cidr = z.string().superRefine((text, ctx) => {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const v6 = /^[0-9a-f:]+\/(\d{1,3})$/i.exec(text);
  const fail = (why: string) => ctx.addIssue({ code: 'custom', message: `expected a CIDR like "10.0.0.0/16"${why}, got ${JSON.stringify(text)}` });
  if (v4) {
    const octets = v4.slice(1, 5).map(Number);
    const prefix = Number(v4[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return fail('');
    const address = octets.reduce((n, o) => n * 256 + o, 0);
    const network = prefix === 0 ? 0 : address - (address % 2 ** (32 - prefix));
    if (prefix === 0) return fail(' (0.0.0.0/0 would admit every address; name the load balancer\'s subnets)');
    if (network !== address) return fail(` with the host bits zero (${[24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.')}/${prefix})`);
  } else if (v6) {
    if (Number(v6[1]) > 128 || (text.match(/::/g) ?? []).length > 1) return fail('');
    if (Number(v6[1]) === 0) return fail(' (::/0 would admit every address; name the load balancer\'s subnets)');
  } else fail('');
});


/** Network isolation and namespace-level access, applied by charts/network-policies.ts and charts/access.ts. */
export const securitySchema = z
  .strictObject({
    applicationNamespaceSelector: labelSelector('namespace (every namespace could send traces)')
      .default({ 'observability/send-traces': 'true' })
      .describe('namespaces whose pods may send OTLP to the traces gateway: label them with this'),
    prometheusNamespace: dnsLabel
      .optional()
      .describe('namespace of the Prometheus that scrapes the stack and receives remote writes; derived from prometheus.url when it is <service>.<namespace>.svc'),
    ingressNamespace: dnsLabel
      .default('ingress-nginx')
      .describe('namespace of the ingress controller allowed to reach Grafana when grafana.exposure is ingress (for httproute the Gateway namespace is used)'),
    ingressCidrs: z
      .array(cidr)
      .default([])
      .describe("address ranges also admitted to Grafana's port when it is exposed (NetworkPolicy ipBlock): the subnets of an ALB in IP mode, or of a load balancer that preserves client addresses"),
    dns: z
      .strictObject({
        namespace: dnsLabel.default('kube-system').describe('namespace of the cluster DNS'),
        podLabels: labelSelector('pod in the DNS namespace').default({ 'k8s-app': 'kube-dns' }).describe('labels of the cluster DNS pods'),
      })
      .prefault({}),
    teams: z
      .array(
        z.strictObject({
          group: z.string().min(1).describe('group name as your authenticator reports it (OIDC group, IAM role mapping...)'),
          role: z.enum(['view', 'edit']).describe('built-in ClusterRole granted in the stack namespace'),
        }),
      )
      .default([])
      .describe("namespace-level access: RoleBindings in the stack's namespace to the built-in view/edit ClusterRoles"),
  })
  .prefault({});
export type SecurityConfig = z.infer<typeof securitySchema>;

/** `prometheus.monitoring.svc.cluster.local` → `monitoring`. */
export function namespaceOfServiceUrl(url: string): string | undefined {
  return /^https?:\/\/[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.|:|\/|$)/.exec(url)?.[1];
}
