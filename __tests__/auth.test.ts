/**
 * Issue 24 item 4, safe authentication: every combination of provider, sign-up, restriction and exposure is
 * either refused with a message naming the key, or rendered so that Grafana, reading the rendered GF_* settings
 * the way its OAuth client does, gives no account to a stranger and serves the login over https.
 */
import { grafanaEnv } from '../lib/grafana/settings';
import { ConfigError } from '../lib/config/load';
import { envFrom, findObject, objects } from './helpers';

type Provider = 'github' | 'google' | 'azuread' | 'generic';
const PROVIDERS: Provider[] = ['github', 'google', 'azuread', 'generic'];
const TENANT = '0b6a1c7e-3f1d-4c2a-9e8b-5d4f3a2b1c0d';
const SECTION: Record<Provider, string> = { github: 'GITHUB', google: 'GOOGLE', azuread: 'AZUREAD', generic: 'GENERIC_OAUTH' };

const EXPOSURES = {
  none: { type: 'none' },
  'ingress with a TLS Secret': { type: 'ingress', host: 'grafana.example.org', tlsSecret: 'grafana-tls' },
  'ingress behind a TLS load balancer': { type: 'ingress', host: 'grafana.example.org', loadBalancerTls: true },
  'plain ingress': { type: 'ingress', host: 'grafana.example.org' },
  'httproute with TLS': { type: 'httproute', host: 'grafana.example.org', gateway: { name: 'gw', namespace: 'gateways' } },
  'plain httproute': { type: 'httproute', host: 'grafana.example.org', gateway: { name: 'gw', namespace: 'gateways' }, tls: false },
} as const;
type Exposure = keyof typeof EXPOSURES;

/** The restriction each provider offers, as the user would write it. */
const RESTRICTION: Record<Provider, Record<string, unknown>> = {
  github: { allowedOrganizations: ['acme'] },
  google: { allowedDomains: ['acme.example'] },
  azuread: { allowedGroups: ['5e1f0c2a-platform'] },
  generic: { allowedGroups: ['Platform Team'], groupsAttributePath: 'groups' },
};

function oauth(provider: Provider, allowSignUp: boolean, restricted: boolean): Record<string, unknown> {
  const extra = provider === 'azuread' ? { tenantId: TENANT } : provider === 'generic' ? { authUrl: 'https://sso.acme.example/auth', tokenUrl: 'https://sso.acme.example/token', apiUrl: 'https://sso.acme.example/userinfo' } : {};
  return { provider, clientId: 'grafana', clientSecret: { name: 'grafana-oauth', key: 'client-secret' }, allowSignUp, ...extra, ...(restricted ? RESTRICTION[provider] : {}) };
}

interface Person {
  email: string;
  githubOrgs: string[];
  groups: string[];
  tenant: string;
}
const STRANGER: Person = { email: 'mallory@gmail.com', githubOrgs: ['evil-corp'], groups: ['gamers'], tenant: '11111111-2222-3333-4444-555555555555' };
const COLLEAGUE: Person = { email: 'ada@acme.example', githubOrgs: ['acme'], groups: ['5e1f0c2a-platform', 'Platform Team'], tenant: TENANT };

/** Grafana's util.SplitString: a JSON list, or words split on commas and spaces. */
const split = (v: string | undefined) => (!v ? [] : v.trim().startsWith('[') ? (JSON.parse(v) as string[]) : v.split(/[,\s]+/).filter(Boolean));

/**
 * Whether Grafana creates a user for this person on first OAuth login, from the rendered settings: a missing
 * allow_sign_up means Grafana's default, true (conf/defaults.ini); the gates are the ones its OAuth client and
 * connectors apply (IsEmailAllowed, allowed_organizations, allowed_groups, the Azure AD tenant).
 */
function grafanaCreatesUser(env: Record<string, string>, provider: Provider, who: Person): boolean {
  const k = (key: string) => env[`GF_AUTH_${SECTION[provider]}_${key}`];
  if (k('ENABLED') !== 'true') return false;
  if ((k('ALLOW_SIGN_UP') ?? 'true') !== 'true') return false;
  const domains = split(k('ALLOWED_DOMAINS'));
  if (domains.length && !domains.some((d) => who.email.toLowerCase().endsWith(`@${d.toLowerCase()}`))) return false;
  const orgs = split(k('ALLOWED_ORGANIZATIONS'));
  if (provider === 'github' && orgs.length && !orgs.some((o) => who.githubOrgs.includes(o))) return false;
  if (provider === 'azuread') {
    // The tenant-specific endpoints issue tokens for that directory only; allowed_organizations checks the tid claim.
    const tenantInUrl = /login\.microsoftonline\.com\/([^/]+)\//.exec(k('AUTH_URL') ?? '')?.[1];
    if (tenantInUrl && tenantInUrl !== who.tenant) return false;
    if (orgs.length && !orgs.includes(who.tenant)) return false;
  }
  const groups = split(k('ALLOWED_GROUPS'));
  if (groups.length && !groups.some((g) => who.groups.includes(g))) return false;
  return true;
}

const rows: [Provider, boolean, boolean, Exposure][] = [];
for (const p of PROVIDERS) for (const signUp of [false, true]) for (const restricted of [false, true]) for (const x of Object.keys(EXPOSURES) as Exposure[]) rows.push([p, signUp, restricted, x]);

function attempt(p: Provider, signUp: boolean, restricted: boolean, x: Exposure) {
  try {
    return { env: envFrom({ tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' }, grafana: { exposure: EXPOSURES[x], oauth: oauth(p, signUp, restricted) } }), problems: [] as string[] };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { env: undefined, problems: e.problems.map((l) => l.replace(/^[^:]*: /, '')) };
  }
}

describe('OAuth combinations', () => {
  test.each(rows)('%s, sign-up %s, restricted %s, %s: refused, or no stranger gets in and the login is https', (p, signUp, restricted, x) => {
    const { env, problems } = attempt(p, signUp, restricted, x);
    const plain = x === 'plain ingress' || x === 'plain httproute';
    // Azure AD is always restricted to its tenant; the others only by what the user sets.
    const open = signUp && !restricted && p !== 'azuread';
    if (open) {
      expect(problems).toContainEqual(expect.stringMatching(/^grafana\.oauth\.allowSignUp: expected false without a restriction, got true: any .* would get a Grafana user on first login; set grafana\.oauth\.allowed/));
    }
    if (plain) {
      expect(problems).toContainEqual(expect.stringMatching(/^grafana\.oauth: expected Grafana served over https when OAuth is on, got http:\/\/grafana\.example\.org\/ /));
    }
    if (open || plain) {
      expect(env).toBeUndefined();
      return;
    }
    expect(problems).toEqual([]);
    const vars = Object.fromEntries(grafanaEnv(env!.config.grafana, { data: '/var/lib/grafana', provisioning: '/etc/grafana/provisioning' }).filter((v) => v.value !== undefined).map((v) => [v.name, v.value!]));
    expect(grafanaCreatesUser(vars, p, STRANGER)).toBe(false);
    // Sign-up on with a restriction lets the right people in (the test's gate is not just "always false").
    expect(grafanaCreatesUser(vars, p, COLLEAGUE)).toBe(signUp);
    expect(vars.GF_USERS_ALLOW_SIGN_UP).toBe('false');
    expect(vars.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    if (x === 'none') {
      expect(vars.GF_SERVER_ROOT_URL).toBeUndefined();
    } else {
      expect(vars.GF_SERVER_ROOT_URL).toBe('https://grafana.example.org/');
      expect(vars.GF_SECURITY_COOKIE_SECURE).toBe('true');
    }
  });

  test('the rendered Deployment carries those settings, and TLS at the load balancer leaves the Ingress without a tls block', () => {
    const e = envFrom({ tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' }, grafana: { exposure: EXPOSURES['ingress behind a TLS load balancer'], oauth: oauth('google', true, true) } });
    const m = objects(e);
    const container = findObject(m, 'Deployment', 'grafana').spec.template.spec.containers.find((c: any) => c.name === 'grafana');
    const vars = Object.fromEntries(container.env.filter((v: any) => v.value !== undefined).map((v: any) => [v.name, v.value]));
    expect(vars).toMatchObject({ GF_SERVER_ROOT_URL: 'https://grafana.example.org/', GF_SECURITY_COOKIE_SECURE: 'true', GF_AUTH_GOOGLE_ALLOW_SIGN_UP: 'true', GF_AUTH_GOOGLE_ALLOWED_DOMAINS: 'acme.example' });
    expect(grafanaCreatesUser(vars, 'google', STRANGER)).toBe(false);
    expect(findObject(m, 'Ingress', 'grafana').spec.tls).toBeUndefined();
  });

  test('fails when an Ingress names both a TLS Secret and a TLS load balancer', () => {
    const { problems } = attempt('google', false, false, 'none');
    expect(problems).toEqual([]);
    expect(() => envFrom({ tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' }, grafana: { exposure: { type: 'ingress', host: 'grafana.example.org', tlsSecret: 'grafana-tls', loadBalancerTls: true } } })).toThrow(
      'grafana.exposure.loadBalancerTls: expected either exposure.tlsSecret (the ingress controller terminates TLS) or loadBalancerTls (a load balancer in front does), got both',
    );
  });

  test('fails when generic OAuth restricts groups without saying where the groups are', () => {
    expect(() => envFrom({ tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' }, grafana: { oauth: { ...oauth('generic', true, false), allowedGroups: ['Platform Team'] } } })).toThrow(
      'grafana.oauth.groupsAttributePath: missing, expected the JMESPath to the groups in the token or user info (e.g. "groups") when allowedGroups is set',
    );
  });
});
