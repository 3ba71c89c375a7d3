/**
 * Grafana's settings as GF_* environment variables (https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#override-configuration-with-environment-variables):
 * no grafana.ini to template, and every secret arrives through a secretKeyRef, so nothing secret is in dist/.
 */
import * as k8s from '../../imports/k8s';
import { GrafanaConfig, servedOverTls } from '../config/grafana';

const value = (name: string, v: string | number | boolean): k8s.EnvVar => ({ name, value: String(v) });
const fromSecret = (name: string, ref: { name: string; key: string }): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });

/** The URL people use, when Grafana is exposed; Grafana builds redirects and OAuth callbacks from it. */
export function rootUrl(grafana: GrafanaConfig): string | undefined {
  const e = grafana.exposure;
  if (e.type === 'none') return undefined;
  return `${servedOverTls(e) ? 'https' : 'http'}://${e.host}/`;
}

/** Grafana reads list settings with util.SplitString, whose JSON form keeps group names with spaces or commas whole. */
const groupList = (groups: readonly string[]) => JSON.stringify(groups);

function oauthEnv(grafana: GrafanaConfig): k8s.EnvVar[] {
  const o = grafana.oauth;
  if (!o) return [];
  const section = { github: 'GITHUB', google: 'GOOGLE', azuread: 'AZUREAD', generic: 'GENERIC_OAUTH' }[o.provider];
  const p = (key: string) => `GF_AUTH_${section}_${key}`;
  const env = [
    value(p('ENABLED'), true),
    value(p('CLIENT_ID'), o.clientId),
    fromSecret(p('CLIENT_SECRET'), o.clientSecret),
    value(p('ALLOW_SIGN_UP'), o.allowSignUp),
    ...(o.allowedDomains.length ? [value(p('ALLOWED_DOMAINS'), o.allowedDomains.join(' '))] : []),
  ];
  switch (o.provider) {
    case 'github':
      env.push(value(p('SCOPES'), 'user:email,read:org'));
      if (o.allowedOrganizations.length) env.push(value(p('ALLOWED_ORGANIZATIONS'), o.allowedOrganizations.join(' ')));
      break;
    case 'google':
      env.push(value(p('SCOPES'), 'openid email profile'));
      break;
    case 'azuread':
      env.push(
        value(p('SCOPES'), 'openid email profile'),
        value(p('AUTH_URL'), `https://login.microsoftonline.com/${o.tenantId}/oauth2/v2.0/authorize`),
        value(p('TOKEN_URL'), `https://login.microsoftonline.com/${o.tenantId}/oauth2/v2.0/token`),
        // Grafana accepts any tenant's token while allowed_organizations is empty (azuread_oauth.go isAllowedTenant).
        value(p('ALLOWED_ORGANIZATIONS'), o.tenantId),
        ...(o.allowedGroups.length ? [value(p('ALLOWED_GROUPS'), groupList(o.allowedGroups))] : []),
      );
      break;
    case 'generic':
      env.push(
        value(p('NAME'), o.name),
        value(p('SCOPES'), o.scopes.join(' ')),
        value(p('AUTH_URL'), o.authUrl),
        value(p('TOKEN_URL'), o.tokenUrl),
        value(p('API_URL'), o.apiUrl),
        ...(o.roleAttributePath ? [value(p('ROLE_ATTRIBUTE_PATH'), o.roleAttributePath)] : []),
        ...(o.groupsAttributePath ? [value(p('GROUPS_ATTRIBUTE_PATH'), o.groupsAttributePath)] : []),
        ...(o.allowedGroups.length ? [value(p('ALLOWED_GROUPS'), groupList(o.allowedGroups))] : []),
      );
      break;
  }
  return env;
}

export interface GrafanaPaths {
  readonly data: string;
  readonly provisioning: string;
}

export function grafanaEnv(grafana: GrafanaConfig, paths: GrafanaPaths): k8s.EnvVar[] {
  const url = rootUrl(grafana);
  return [
    fromSecret('GF_SECURITY_ADMIN_USER', { name: grafana.adminSecret.name, key: grafana.adminSecret.userKey }),
    fromSecret('GF_SECURITY_ADMIN_PASSWORD', { name: grafana.adminSecret.name, key: grafana.adminSecret.passwordKey }),
    value('GF_SERVER_HTTP_PORT', grafana.ports.http),
    ...(url ? [value('GF_SERVER_ROOT_URL', url)] : []),
    value('GF_PATHS_DATA', paths.data),
    value('GF_PATHS_PLUGINS', `${paths.data}/plugins`),
    value('GF_PATHS_PROVISIONING', paths.provisioning),
    value('GF_LOG_MODE', 'console'),
    value('GF_AUTH_ANONYMOUS_ENABLED', false),
    value('GF_USERS_ALLOW_SIGN_UP', false),
    value('GF_SECURITY_COOKIE_SECURE', url?.startsWith('https://') ?? false),
    value('GF_SECURITY_COOKIE_SAMESITE', 'lax'),
    value('GF_SECURITY_DISABLE_GRAVATAR', true),
    value('GF_ANALYTICS_REPORTING_ENABLED', false),
    value('GF_ANALYTICS_CHECK_FOR_UPDATES', false),
    value('GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', false),
    // Grafana 12+ downloads its "preinstalled" plugins from grafana.com at start ([plugins] preinstall); the
    // egress NetworkPolicy blocks that, so each start would log failures and retry. Plugins belong in the image.
    value('GF_PLUGINS_PREINSTALL_DISABLED', true),
    // Audit: who queried which data source (data proxy) and every request to Grafana (router).
    value('GF_DATAPROXY_LOGGING', grafana.audit.dataProxyLogging),
    value('GF_SERVER_ROUTER_LOGGING', grafana.audit.routerLogging),
    ...oauthEnv(grafana),
  ];
}
