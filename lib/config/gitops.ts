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
      })
      .prefault({}),
    flux: z
      .strictObject({
        namespace: dnsLabel.default('flux-system').describe("Flux's namespace"),
        interval: z.string().regex(/^\d+(s|m|h)$/, { error: (i) => `expected an interval like "5m", got ${JSON.stringify(i.input)}` }).default('5m').describe('how often Flux fetches and reconciles'),
        secretRef: dnsLabel.optional().describe('name of an existing Secret with Git credentials for a private repository'),
      })
      .prefault({}),
  })
  .prefault({});
export type GitopsConfig = z.infer<typeof gitopsSchema>;
