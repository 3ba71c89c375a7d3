import { z } from 'zod';
import { dnsLabel, image, isLabelValue, port, resources, secretDataKey, secretKeyRef, withoutCredentials } from './primitives';
import { IMAGES } from '../images';
import { annotations } from './platform';

/** The value a discriminated union was given for its tag, for the error message. */
const discriminator = (input: unknown, key: string): unknown => (input && typeof input === 'object' ? (input as Record<string, unknown>)[key] : input);

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, { error: (i) => `expected a DNS host name like "grafana.example.org", got ${JSON.stringify(i.input)}` });

/** How people reach Grafana: nothing (port-forward), an Ingress, or a Gateway API HTTPRoute. */
const exposure = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('none').describe('none: port-forward only; ingress: an Ingress; httproute: a Gateway API HTTPRoute') }),
    z.strictObject({
      type: z.literal('ingress'),
      host: hostname.describe('public host name; root_url is derived from it'),
      className: z.string().min(1).optional().describe('IngressClass name'),
      annotations: annotations.optional().describe('annotations on the Ingress (cert-manager.io/cluster-issuer, alb.ingress.kubernetes.io/*, nginx.ingress.kubernetes.io/*)'),
      tlsSecret: dnsLabel.optional().describe('name of an existing TLS Secret for the host: the ingress controller terminates TLS (root_url https, secure cookies)'),
      // EKS with the AWS Load Balancer Controller: the Ingress becomes an ALB whose listener holds an ACM
      // certificate (alb.ingress.kubernetes.io/certificate-arn), so there is no Secret and no tls block; an NLB
      // TLS listener in front of ingress-nginx is the same case. The browser still sees https.
      loadBalancerTls: z
        .boolean()
        .default(false)
        .describe('TLS is terminated before the Ingress, by a load balancer with its own certificate (ALB + ACM, an NLB TLS listener): root_url https and secure cookies, no tls block on the Ingress'),
    }),
    z.strictObject({
      type: z.literal('httproute'),
      host: hostname.describe('public host name; root_url is derived from it'),
      gateway: z
        .strictObject({
          name: dnsLabel.describe('Gateway name'),
          namespace: dnsLabel.describe('Gateway namespace (also allowed through the NetworkPolicy to reach Grafana)'),
          sectionName: z.string().min(1).optional().describe('listener of that Gateway'),
        })
        .describe('parent Gateway'),
      tls: z.boolean().default(true).describe('the Gateway listener terminates TLS (root_url https, secure cookies)'),
      annotations: annotations.optional().describe('annotations on the HTTPRoute'),
    }),
  ],
  { error: (i) => `expected one of "none", "ingress", "httproute", got ${JSON.stringify(discriminator(i.input, 'type'))}` },
);

/** OAuth endpoints: the client secret already comes from oauth.clientSecret; nothing secret belongs in a URL. */
const oauthUrl = withoutCredentials(
  z.url({ protocol: /^https?$/, error: (i) => `expected an http(s) URL, got ${JSON.stringify(i.input)}` }),
  'the client secret comes from grafana.oauth.clientSecret (a Secret key)',
);

/**
 * Sign-up through OAuth is gated per provider by `[auth.<provider>] allow_sign_up` (Grafana
 * pkg/services/authn/clients/oauth.go: `AllowSignUp: c.connector.IsSignupAllowed()`), not by `[users]
 * allow_sign_up`, which only governs the local sign-up form; Grafana's own default for every provider is true.
 * Ours is false, so "sign-up is off" holds for every provider; turning it on needs a restriction (below).
 */
const oauthCommon = {
  clientId: z.string().min(1).describe('OAuth client id (not a secret)'),
  clientSecret: secretKeyRef.describe('Secret key holding the OAuth client secret'),
  allowSignUp: z
    .boolean()
    .default(false)
    .describe('create a Grafana user on first login (allow_sign_up); off: an admin creates users first. On needs a restriction: allowedDomains, allowedOrganizations (GitHub), allowedGroups (generic, Azure AD) or the Azure AD tenant'),
  allowedDomains: z.array(z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, { error: (i) => `expected an e-mail domain like "example.org", got ${JSON.stringify(i.input)}` })).default([]).describe('only e-mail addresses of these domains may log in (allowed_domains)'),
};
export type OauthProvider = 'github' | 'google' | 'azuread' | 'generic';

const oauth = z.discriminatedUnion(
  'provider',
  [
    z.strictObject({ provider: z.literal('github').describe('identity provider: Grafana [auth.github], [auth.google], [auth.azuread] or [auth.generic_oauth]'), ...oauthCommon, allowedOrganizations: z.array(z.string().min(1)).default([]).describe('GitHub organizations allowed to log in') }),
    z.strictObject({ provider: z.literal('google'), ...oauthCommon }),
    z.strictObject({
      provider: z.literal('azuread'),
      ...oauthCommon,
      tenantId: z.string().regex(/^[0-9a-f-]{36}$/, { error: (i) => `expected an Azure AD tenant id (a GUID), got ${JSON.stringify(i.input)}` }).describe('Azure AD tenant (directory) id: the login endpoints and allowed_organizations, so only this tenant\'s tokens are accepted'),
      allowedGroups: z.array(z.string().min(1)).default([]).describe('object ids of the Azure AD groups allowed to log in (allowed_groups)'),
    }),
    z.strictObject({
      provider: z.literal('generic'),
      ...oauthCommon,
      name: z.string().min(1).default('SSO').describe('label of the login button'),
      authUrl: oauthUrl.describe('authorization endpoint'),
      tokenUrl: oauthUrl.describe('token endpoint'),
      apiUrl: oauthUrl.describe('user info endpoint'),
      scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']).describe('requested scopes'),
      roleAttributePath: z.string().min(1).optional().describe('JMESPath that maps the user info to a Grafana role'),
      groupsAttributePath: z.string().min(1).optional().describe('JMESPath to the list of groups in the ID token or user info (groups_attribute_path); needed by allowedGroups'),
      allowedGroups: z.array(z.string().min(1)).default([]).describe('only members of these groups may log in (allowed_groups)'),
    }),
  ],
  { error: (i) => `expected one of "github", "google", "azuread", "generic", got ${JSON.stringify(discriminator(i.input, 'provider'))}` },
);

/** `host[:port]` as Grafana's [database] host reads it (no scheme). */
const dbHost = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/, { error: (i) => `expected a host name with an optional port like "grafana-pg.databases.svc.cluster.local:5432" (no scheme), got ${JSON.stringify(i.input)}` });

const dbCommon = {
  host: dbHost.describe('database server host[:port] (port defaults to 5432 for postgres, 3306 for mysql)'),
  name: z.string().min(1).default('grafana').describe('database name'),
  user: z.string().min(1).default('grafana').describe('database user'),
  passwordSecret: secretKeyRef.describe('Secret key holding the database password'),
  caCert: z
    .strictObject({
      secret: secretKeyRef.optional().describe('Secret key holding the CA certificate (PEM)'),
      configMap: z
        .strictObject({ name: dnsLabel.describe('name of an existing ConfigMap in the namespace'), key: z.string().min(1).describe('key inside that ConfigMap') })
        .optional()
        .describe('ConfigMap key holding the CA certificate (PEM)'),
    })
    .superRefine((c, ctx) => {
      if (!!c.secret === !!c.configMap) ctx.addIssue({ code: 'custom', path: [], message: `expected exactly one of secret or configMap, got ${c.secret ? 'both' : 'neither'}` });
    })
    .optional()
    .describe('CA that signed the database server certificate, mounted read-only and read as [database] ca_cert_path; required with sslMode verify-ca or verify-full'),
};

/** SSL modes that verify the server certificate against `caCert` (Postgres); MySQL "true" verifies too, against it when given. */
export const VERIFYING_SSL_MODES: readonly string[] = ['verify-ca', 'verify-full'];
/** Modes in which Grafana reads ca_cert_path at all (sqlstore buildConnectionString: Postgres sslrootcert, MySQL "true" TLS config). */
const CA_READING_SSL_MODES: readonly string[] = ['verify-ca', 'verify-full', 'true'];

/**
 * Grafana's [database] section (pkg/services/sqlstore/database_config.go): a shared PostgreSQL or MySQL that
 * every replica uses. `sslMode` is passed to the driver as is: Postgres `sslmode`; for MySQL only "true" and
 * "skip-verify" turn TLS on.
 */
const database = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('postgres').describe('postgres or mysql'),
      ...dbCommon,
      sslMode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).default('require').describe('Postgres sslmode (MySQL: "true", "false" or "skip-verify")'),
    }),
    z.strictObject({ type: z.literal('mysql'), ...dbCommon, sslMode: z.enum(['true', 'false', 'skip-verify']).default('true') }),
  ],
  { error: (i) => `expected one of "postgres", "mysql", got ${JSON.stringify(discriminator(i.input, 'type'))}` },
);
export type GrafanaDatabase = z.infer<typeof database>;

export const grafanaSchema = z
  .strictObject({
    image: image.default(IMAGES.grafana).describe('Grafana image (13.x)'),
    ports: z
      .strictObject({
        http: port.default(3000).describe('HTTP port'),
        alertingHa: port.default(9094).describe('unified alerting HA gossip (TCP and UDP), used when replicas > 1'),
      })
      .prefault({}),
    replicas: z.number().int().min(1).default(1).describe('Grafana pods; more than one needs grafana.database'),
    database: database.optional().describe('shared PostgreSQL/MySQL database; without it Grafana keeps SQLite on a PVC (one replica)'),
    secretKey: secretKeyRef
      .default({ name: 'grafana-secret-key', key: 'secret-key' })
      .describe("existing Secret key holding [security] secret_key, which encrypts data source credentials in Grafana's database (never Grafana's public default)"),
    adminSecret: z
      .strictObject({
        name: dnsLabel.default('grafana-admin').describe('name of an existing Secret holding the admin credentials'),
        userKey: secretDataKey.default('admin-user').describe('key of the admin user name'),
        passwordKey: secretDataKey.default('admin-password').describe('key of the admin password'),
      })
      .prefault({})
      .describe('the admin login comes from this Secret; it is never written to config or dist/'),
    exposure: exposure.default({ type: 'none' }).describe('how people reach Grafana: none (kubectl port-forward), ingress or httproute'),
    oauth: oauth.optional().describe('single sign-on; the client secret comes from a Secret'),
    audit: z
      .strictObject({
        dataProxyLogging: z.boolean().default(true).describe('log every request Grafana proxies to a data source (who, which data source, what)'),
        routerLogging: z.boolean().default(true).describe('log every HTTP request to Grafana itself'),
      })
      .prefault({}),
    dashboards: z
      .strictObject({
        folder: z.string().min(1).default('Observability').describe('folder the tracing and log correlation dashboards go to'),
        teamFolder: z.string().min(1).default('Team dashboards').describe('folder of the JSON dashboards in dashboards/shared/ and dashboards/<env>/'),
        job: z
          .string()
          .refine(isLabelValue, {
            error: (i) => `expected a Kubernetes label value (1-63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric: Promtail copies it from app.kubernetes.io/name), got ${JSON.stringify(i.input)}`,
          })
          .refine((v) => v !== '', { error: 'expected a non-empty job name' })
          .optional()
          .describe('Loki `job` label of the application the log correlation dashboard shows (the log agent sets it from app.kubernetes.io/name); unset: the logs of every job'),
      })
      .prefault({}),
    storageGiB: z.number().int().positive().default(10).describe('PVC size for the SQLite database and plugins (no PVC with grafana.database)'),
    resources: resources({ cpu: '250m', memory: '256Mi', memoryLimit: '512Mi' }),
  })
  .superRefine((g, ctx) => {
    // SQLite cannot be shared and its PVC is ReadWriteOnce (scale-out reference, grafana-ha.md section 6).
    if (g.replicas > 1 && !g.database) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], message: `expected 1 without grafana.database (SQLite on a ReadWriteOnce volume serves one pod), got ${g.replicas}; set grafana.database to a PostgreSQL or MySQL server to run more` });
    }
    // Without ca_cert_path Grafana's sqlstore builds `sslrootcert=` empty, so verification runs against nothing
    // the driver can use for a private or cloud CA and every connection fails: Grafana crash-loops.
    const db = g.database;
    if (db && VERIFYING_SSL_MODES.includes(db.sslMode) && !db.caCert) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'caCert'],
        message: `missing, expected the CA that signed the database server certificate ({secret: {name, key}} or {configMap: {name, key}}) with sslMode ${db.sslMode}: without it Grafana has no root certificate to verify against and cannot connect`,
      });
    }
    if (db?.caCert && !CA_READING_SSL_MODES.includes(db.sslMode)) {
      ctx.addIssue({ code: 'custom', path: ['database', 'caCert'], message: `expected no caCert with sslMode ${db.sslMode} (Grafana reads the CA only with ${CA_READING_SSL_MODES.map((m) => JSON.stringify(m)).join(', ')}), got a caCert` });
    }
    for (const problem of authProblems(g)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    if (g.ports.alertingHa === g.ports.http) {
      ctx.addIssue({ code: 'custom', path: ['ports', 'alertingHa'], message: `port ${g.ports.alertingHa} is already used by grafana.ports.http, expected a distinct port` });
    }
  })
  .prefault({});
export type GrafanaConfig = z.infer<typeof grafanaSchema>;

type GrafanaShape = Pick<GrafanaConfig, 'oauth' | 'exposure'>;

/** Who may get a Grafana account through the provider, besides its sign-up switch; [] means anyone with an account there. */
export function oauthRestrictions(o: NonNullable<GrafanaConfig['oauth']>): string[] {
  const r = o.allowedDomains.length ? [`e-mail domains ${o.allowedDomains.join(', ')}`] : [];
  if (o.provider === 'github' && o.allowedOrganizations.length) r.push(`GitHub organizations ${o.allowedOrganizations.join(', ')}`);
  if ((o.provider === 'generic' || o.provider === 'azuread') && o.allowedGroups.length) r.push(`groups ${o.allowedGroups.join(', ')}`);
  // The tenant-specific endpoints and allowed_organizations = tenantId accept this directory's accounts only.
  if (o.provider === 'azuread') r.push(`the Azure AD tenant ${o.tenantId}`);
  return r;
}

/** Whether people reach Grafana over https (root_url, secure cookies). */
export function servedOverTls(e: GrafanaConfig['exposure']): boolean {
  return e.type === 'ingress' ? Boolean(e.tlsSecret) || e.loadBalancerTls : e.type === 'httproute' ? e.tls : false;
}

/**
 * Safe authentication (issue 24): sign-up on with no restriction lets any Google/GitHub/IdP account in; OAuth over
 * plain http sends the authorization code and the session cookie in clear (Grafana marks cookies Secure only
 * from an https root_url). Both refused, with the key to set.
 */
export function authProblems(g: GrafanaShape): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const e = g.exposure;
  if (e.type === 'ingress' && e.tlsSecret && e.loadBalancerTls) {
    problems.push({ path: ['exposure', 'loadBalancerTls'], message: 'expected either exposure.tlsSecret (the ingress controller terminates TLS) or loadBalancerTls (a load balancer in front does), got both' });
  }
  const o = g.oauth;
  if (!o) return problems;
  if (o.allowSignUp && oauthRestrictions(o).length === 0) {
    const keys = o.provider === 'github' ? 'allowedDomains or allowedOrganizations' : o.provider === 'generic' ? 'allowedDomains or allowedGroups' : 'allowedDomains';
    problems.push({
      path: ['oauth', 'allowSignUp'],
      message: `expected false without a restriction, got true: any ${o.provider === 'generic' ? 'account of the identity provider' : `${o.provider === 'github' ? 'GitHub' : 'Google'} account`} would get a Grafana user on first login; set grafana.oauth.${keys}, or leave sign-up off and create users first`,
    });
  }
  if (o.provider === 'generic' && o.allowedGroups.length && !o.groupsAttributePath) {
    problems.push({ path: ['oauth', 'groupsAttributePath'], message: 'missing, expected the JMESPath to the groups in the token or user info (e.g. "groups") when allowedGroups is set: without it no user has a group and nobody can log in' });
  }
  if (e.type !== 'none' && !servedOverTls(e)) {
    const fix = e.type === 'ingress' ? 'set grafana.exposure.tlsSecret, or loadBalancerTls: true when a load balancer in front terminates TLS' : 'terminate TLS on the Gateway listener (grafana.exposure.tls: true)';
    problems.push({
      path: ['oauth'],
      message: `expected Grafana served over https when OAuth is on, got http://${e.host}/ (the authorization code and session cookie would travel in clear, and cookies would not be Secure); ${fix}`,
    });
  }
  return problems;
}
