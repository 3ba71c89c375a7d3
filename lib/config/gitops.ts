import { z } from 'zod';
import { dnsLabel, withoutCredentials } from './primitives';

/**
 * How a cluster starts following dist/<env>/: the objects rendered into dist/bootstrap/<env>/ for Argo CD or
 * Flux. Without `repoURL` nothing is rendered (no placeholder URL ever reaches dist/).
 */
export const gitopsSchema = z
  .strictObject({
    repoURL: withoutCredentials(
      z
        .string()
        .regex(/^(https:\/\/|ssh:\/\/|git@)[^\s]+$/, { error: (i) => `expected a Git URL like "https://github.com/org/repo.git" or "git@github.com:org/repo.git", got ${JSON.stringify(i.input)}` }),
      'give the controller Git credentials from a Secret instead: gitops.flux.secretRef (Flux) or an Argo CD repository Secret',
      true,
    )
      .optional()
      .describe('the Git repository holding this project; bootstrap objects are rendered only when set'),
    branch: z.string().min(1).default('main').describe('branch (Argo CD targetRevision, Flux ref.branch)'),
    tool: z.enum(['argocd', 'flux']).default('argocd').describe('which GitOps controller the bootstrap objects are for'),
    argocd: z
      .strictObject({
        namespace: dnsLabel.default('argocd').describe("Argo CD's namespace (where Applications live)"),
        project: z.string().min(1).default('default').describe('Argo CD project'),
        // Hub and spoke: one Argo CD deploys to clusters registered with it (Application spec.destination).
        destination: z
          .union(
            [
              z.strictObject({ server: z.url({ protocol: /^https?$/, error: (i) => `expected the cluster's API server URL like "https://eu-prod.example.com:6443", got ${JSON.stringify(i.input)}` }) }),
              z.strictObject({ name: z.string().min(1).max(253) }),
            ],
            { error: () => 'expected { server: <API server URL> } or { name: <cluster name registered in Argo CD> }' },
          )
          .default({ server: 'https://kubernetes.default.svc' })
          .describe('the cluster the Application deploys to: { server: <API server URL> } or { name: <Argo CD cluster name> }; default: the cluster Argo CD runs in'),
      })
      .prefault({}),
    flux: z
      .strictObject({
        namespace: dnsLabel.default('flux-system').describe("Flux's namespace"),
        interval: z.string().regex(/^\d+(s|m|h)$/, { error: (i) => `expected an interval like "5m", got ${JSON.stringify(i.input)}` }).default('5m').describe('how often Flux fetches and reconciles'),
        secretRef: dnsLabel.optional().describe('name of an existing Secret with Git credentials for a private repository (required with an SSH repoURL)'),
      })
      .prefault({}),
  })
  .superRefine((g, ctx) => {
    // Flux's source-controller authenticates over SSH only with a key from spec.secretRef
    // (https://fluxcd.io/flux/components/source/gitrepositories/#ssh-authentication); without one every fetch
    // fails and the cluster never syncs. (Argo CD finds repository credentials by URL, so it needs no reference.)
    if (g.tool === 'flux' && g.repoURL && /^(ssh:\/\/|[^@/\s]+@)/.test(g.repoURL) && !g.flux.secretRef)
      ctx.addIssue({
        code: 'custom',
        path: ['flux', 'secretRef'],
        message: `required with an SSH repoURL ("ssh://…" or "git@…"): Flux reads the SSH key from a Secret with identity, identity.pub and known_hosts (flux create secret git <name> --url=<repoURL>); or use an https:// URL`,
      });
  })
  .prefault({});
export type GitopsConfig = z.infer<typeof gitopsSchema>;
