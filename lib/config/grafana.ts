import { z } from 'zod';
import { configKey, dnsLabel, dnsSubdomain, hostPort, image, isLabelValue, replicaCount, port, resources, secretKeyRef, withoutCredentials, int32Count } from './primitives';
import { IMAGES } from '../images';

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
      className: dnsSubdomain.optional().describe('IngressClass name (spec.ingressClassName, a DNS subdomain)'),
      tlsSecret: dnsLabel.optional().describe('existing TLS Secret for the host (cookies are marked secure when set)'),
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
    }),
  ],
  { error: (i) => `expected one of "none", "ingress", "httproute", got ${JSON.stringify(discriminator(i.input, 'type'))}` },
);

/** OAuth endpoints: the client secret already comes from oauth.clientSecret; nothing secret belongs in a URL. */
const oauthUrl = withoutCredentials(
  z.url({ protocol: /^https?$/, error: (i) => `expected an http(s) URL, got ${JSON.stringify(i.input)}` }),
  'the client secret comes from grafana.oauth.clientSecret (a Secret key)',
);

const oauthCommon = {
  clientId: z.string().min(1).describe('OAuth client id (not a secret)'),
  clientSecret: secretKeyRef.describe('Secret key holding the OAuth client secret'),
  allowSignUp: z.boolean().default(true).describe('create Grafana users on first login'),
  allowedDomains: z.array(z.string().min(1)).default([]).describe('only e-mail addresses of these domains may log in'),
};

const oauth = z.discriminatedUnion(
  'provider',
  [
    z.strictObject({ provider: z.literal('github').describe('identity provider: Grafana [auth.github], [auth.google], [auth.azuread] or [auth.generic_oauth]'), ...oauthCommon, allowedOrganizations: z.array(z.string().min(1)).default([]).describe('GitHub organizations allowed to log in') }),
    z.strictObject({ provider: z.literal('google'), ...oauthCommon }),
    z.strictObject({ provider: z.literal('azuread'), ...oauthCommon, tenantId: z.string().regex(/^[0-9a-f-]{36}$/, { error: (i) => `expected an Azure AD tenant id (a GUID), got ${JSON.stringify(i.input)}` }).describe('Azure AD tenant (directory) id') }),
    z.strictObject({
      provider: z.literal('generic'),
      ...oauthCommon,
      name: z.string().min(1).default('SSO').describe('label of the login button'),
      authUrl: oauthUrl.describe('authorization endpoint'),
      tokenUrl: oauthUrl.describe('token endpoint'),
      apiUrl: oauthUrl.describe('user info endpoint'),
      scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']).describe('requested scopes'),
      roleAttributePath: z.string().min(1).optional().describe('JMESPath that maps the user info to a Grafana role'),
    }),
  ],
  { error: (i) => `expected one of "github", "google", "azuread", "generic", got ${JSON.stringify(discriminator(i.input, 'provider'))}` },
);

/** `host[:port]` as Grafana's [database] host reads it (no scheme). */
const dbHost = hostPort('grafana-pg.databases.svc.cluster.local:5432');

const dbCommon = {
  host: dbHost.describe('database server host[:port] (port defaults to 5432 for postgres, 3306 for mysql)'),
  name: z.string().min(1).default('grafana').describe('database name'),
  user: z.string().min(1).default('grafana').describe('database user'),
  passwordSecret: secretKeyRef.describe('Secret key holding the database password'),
};

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
    replicas: replicaCount(1).default(1).describe('Grafana pods; more than one needs grafana.database'),
    database: database.optional().describe('shared PostgreSQL/MySQL database; without it Grafana keeps SQLite on a PVC (one replica)'),
    secretKey: secretKeyRef
      .default({ name: 'grafana-secret-key', key: 'secret-key' })
      .describe("existing Secret key holding [security] secret_key, which encrypts data source credentials in Grafana's database (never Grafana's public default)"),
    adminSecret: z
      .strictObject({
        name: dnsLabel.default('grafana-admin').describe('existing Secret holding the admin credentials'),
        userKey: configKey.default('admin-user').describe('key of the admin user name'),
        passwordKey: configKey.default('admin-password').describe('key of the admin password'),
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
        folder: z.string().min(1).default('YBUILT').describe('folder the provisioned dashboards go to'),
        job: z
          .string()
          .refine(isLabelValue, {
            error: (i) => `expected a Kubernetes label value (1-63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric: Promtail copies it from app.kubernetes.io/name), got ${JSON.stringify(i.input)}`,
          })
          .refine((v) => v !== '', { error: 'expected a non-empty job name' })
          .default('ybuilt-api').describe('Loki `job` label of the application the dashboards show (Promtail sets it from app.kubernetes.io/name)'),
      })
      .prefault({}),
    storageGiB: int32Count('GiB', 1).default(10).describe('PVC size for the SQLite database and plugins (no PVC with grafana.database)'),
    resources: resources({ cpu: '250m', memory: '256Mi', memoryLimit: '512Mi' }),
  })
  .superRefine((g, ctx) => {
    // SQLite cannot be shared and its PVC is ReadWriteOnce (scale-out reference, grafana-ha.md section 6).
    if (g.replicas > 1 && !g.database) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], message: `expected 1 without grafana.database (SQLite on a ReadWriteOnce volume serves one pod), got ${g.replicas}; set grafana.database to a PostgreSQL or MySQL server to run more` });
    }
    if (g.ports.alertingHa === g.ports.http) {
      ctx.addIssue({ code: 'custom', path: ['ports', 'alertingHa'], message: `port ${g.ports.alertingHa} is already used by grafana.ports.http, expected a distinct port` });
    }
  })
  .prefault({});
export type GrafanaConfig = z.infer<typeof grafanaSchema>;
