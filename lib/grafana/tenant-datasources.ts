/**
 * One extra Loki or Tempo datasource per tenant that asks for it (`<engine>.tenants.<id>.datasource: true`),
 * each sending its tenant as X-Scope-OrgID, so a platform team can look at another team's data without
 * editing the main datasources. The tenant the stack itself writes to (`tenantId`) already has the main
 * datasource and gets no second one. These carry no cross-links: the main Tempo/Loki links would open
 * another tenant's data.
 */
import { createHash } from 'node:crypto';
import { tenantHeader } from './datasources';

/** Grafana datasource UIDs: at most 40 of [a-zA-Z0-9-_] (pkg/util/shortid_generator.go IsValidShortUID). */
export function tenantUid(engine: 'loki' | 'tempo', tenantId: string): string {
  const readable = `${engine}-${tenantId}`;
  return /^[a-zA-Z0-9_-]{1,40}$/.test(readable) ? readable : `${engine}-t${createHash('sha256').update(tenantId).digest('hex').slice(0, 12)}`;
}

export interface TenantDatasourceInputs {
  readonly lokiUrl: string;
  readonly tempoUrl: string;
  readonly caFile?: string;
  readonly loki: { readonly tenants: readonly string[]; readonly own?: string };
  readonly tempo: { readonly tenants: readonly string[]; readonly own?: string };
}

export function tenantDatasources(inputs: TenantDatasourceInputs): Record<string, unknown>[] {
  const verify = inputs.caFile ? { jsonData: { tlsAuthWithCACert: true }, secureJsonData: { tlsCACert: `$__file{${inputs.caFile}}` } } : { jsonData: {} };
  const one = (engine: 'loki' | 'tempo', label: string, url: string, id: string) => {
    const header = tenantHeader(id);
    return {
      name: `${label} (${id})`,
      type: engine,
      uid: tenantUid(engine, id),
      access: 'proxy',
      url,
      isDefault: false,
      editable: false,
      jsonData: { ...header.jsonData, ...verify.jsonData },
      secureJsonData: { ...header.secureJsonData, ...verify.secureJsonData },
    };
  };
  return [
    ...inputs.loki.tenants.filter((id) => id !== inputs.loki.own).map((id) => one('loki', 'Loki', inputs.lokiUrl, id)),
    ...inputs.tempo.tenants.filter((id) => id !== inputs.tempo.own).map((id) => one('tempo', 'Tempo', inputs.tempoUrl, id)),
  ];
}
