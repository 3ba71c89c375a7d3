/**
 * What every Grafana replica must share (https://grafana.com/docs/grafana/latest/setup-grafana/set-up-for-high-availability/):
 * - `[security] secret_key`, from a Secret in every environment: it encrypts the data keys that encrypt data
 *   source credentials in the database, so a replica with another key cannot read what a peer wrote, and the
 *   shipped default is public;
 * - `[database]`: one PostgreSQL or MySQL server (SQLite cannot be shared); login sessions and the
 *   `[remote_cache]` (type `database` by default) live there too, so no sticky sessions are needed;
 * - `[unified_alerting] ha_*`: the replicas gossip on one port (TCP and UDP) so each notification is sent
 *   once and silences replicate; peers are found through a headless Service whose DNS name resolves to
 *   every pod, and each pod advertises its own IP (the gossip library's own pick fails without a default
 *   route on a private address).
 * All are set as GF_* variables: Grafana applies an env override only to keys present in its defaults.ini,
 * and every key used here is (conf/defaults.ini [security], [database], [unified_alerting]).
 */
import * as k8s from '../../imports/k8s';
import { GrafanaConfig, GrafanaDatabase } from '../config/grafana';
import { hostPortOf } from '../config/object-storage';
import { NamedPort } from '../k8s/service';

const DEFAULT_DB_PORT: Record<GrafanaDatabase['type'], number> = { postgres: 5432, mysql: 3306 };

/** Host and port Grafana connects to (what its driver does with a host without a port). */
export function databaseEndpoint(db: GrafanaDatabase): { host: string; port: number } {
  return hostPortOf(db.host, DEFAULT_DB_PORT[db.type]);
}

/** Whether the replicas form an alerting cluster. */
export function alertingHa(grafana: GrafanaConfig): boolean {
  return grafana.replicas > 1;
}

/** The gossip port, once per protocol (memberlist uses both). */
export function gossipPorts(grafana: GrafanaConfig): NamedPort[] {
  if (!alertingHa(grafana)) return [];
  return [
    { name: 'gossip-tcp', port: grafana.ports.alertingHa, protocol: 'TCP' },
    { name: 'gossip-udp', port: grafana.ports.alertingHa, protocol: 'UDP' },
  ];
}

/** Where the database CA is mounted (read-only, a folder: no subPath, so a rotated CA reaches the pod). */
export const DATABASE_CA_DIR = '/etc/grafana/database-ca';
const DATABASE_CA_FILE = 'ca.crt';

/** The volume and mount of the database CA (Secret or ConfigMap key), or nothing without one. */
export function databaseCaVolume(grafana: GrafanaConfig): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const ca = grafana.database?.caCert;
  if (!ca) return { volumes: [], mounts: [] };
  const items = [{ key: (ca.secret ?? ca.configMap)!.key, path: DATABASE_CA_FILE }];
  const volume: k8s.Volume = ca.secret
    ? { name: 'database-ca', secret: { secretName: ca.secret.name, items } }
    : { name: 'database-ca', configMap: { name: ca.configMap!.name, items } };
  return { volumes: [volume], mounts: [{ name: 'database-ca', mountPath: DATABASE_CA_DIR, readOnly: true }] };
}

const value = (name: string, v: string | number): k8s.EnvVar => ({ name, value: String(v) });
const fromSecret = (name: string, ref: { name: string; key: string }): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });

/**
 * @param peersHost DNS name of the headless Service selecting every Grafana pod (used when replicas > 1).
 */
export function sharedStateEnv(grafana: GrafanaConfig, peersHost: string | undefined): k8s.EnvVar[] {
  const env: k8s.EnvVar[] = [fromSecret('GF_SECURITY_SECRET_KEY', grafana.secretKey)];
  const db = grafana.database;
  if (db) {
    const { host, port } = databaseEndpoint(db);
    env.push(
      value('GF_DATABASE_TYPE', db.type),
      value('GF_DATABASE_HOST', `${host}:${port}`),
      value('GF_DATABASE_NAME', db.name),
      value('GF_DATABASE_USER', db.user),
      fromSecret('GF_DATABASE_PASSWORD', db.passwordSecret),
      value('GF_DATABASE_SSL_MODE', db.sslMode),
      // [database] ca_cert_path: Postgres sslrootcert, MySQL's TLS root (sqlstore database_config.go).
      ...(db.caCert ? [value('GF_DATABASE_CA_CERT_PATH', `${DATABASE_CA_DIR}/${DATABASE_CA_FILE}`)] : []),
    );
  }
  if (alertingHa(grafana)) {
    if (!peersHost) throw new Error('grafana: alerting HA needs the headless Service host');
    const p = grafana.ports.alertingHa;
    env.push(
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      value('GF_UNIFIED_ALERTING_HA_PEERS', `${peersHost}:${p}`),
      value('GF_UNIFIED_ALERTING_HA_LISTEN_ADDRESS', `0.0.0.0:${p}`),
      // $(POD_IP) is expanded by the kubelet from the variable above.
      value('GF_UNIFIED_ALERTING_HA_ADVERTISE_ADDRESS', `$(POD_IP):${p}`),
    );
  }
  return env;
}
