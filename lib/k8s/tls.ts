/**
 * Where TLS material is mounted and how servers and clients refer to it: one place for the paths the
 * Tempo, Loki, Promtail, collector and Grafana configs name.
 */
import * as k8s from '../../imports/k8s';
import { TlsConfig } from '../config/tls';

export const TLS_DIR = '/etc/tls';
export const TLS_VOLUME = 'tls';
export const TLS_FILES = { cert: `${TLS_DIR}/tls.crt`, key: `${TLS_DIR}/tls.key`, ca: `${TLS_DIR}/ca.crt` } as const;

export const scheme = (tls: TlsConfig): 'http' | 'https' => (tls.enabled ? 'https' : 'http');
export const probeScheme = (tls: TlsConfig): 'HTTP' | 'HTTPS' => (tls.enabled ? 'HTTPS' : 'HTTP');

/** The Secret volume and mount a pod needs when TLS is on (none otherwise). */
export function tlsVolumes(tls: TlsConfig): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  if (!tls.enabled) return { volumes: [], mounts: [] };
  return {
    volumes: [{ name: TLS_VOLUME, secret: { secretName: tls.secretName } }],
    mounts: [{ name: TLS_VOLUME, mountPath: TLS_DIR, readOnly: true }],
  };
}

/**
 * How often an OpenTelemetry-style TLS server (Tempo's OTLP receivers, configtls.ServerConfig) re-reads its
 * certificate. configtls reads the files once unless `reload_interval` is set
 * (go.opentelemetry.io/collector/config/configtls configtls.go, newServerCertReloader); cert-manager renews
 * `renewBefore` (360h) ahead of expiry and the kubelet updates the mounted Secret within minutes, so an hour
 * leaves a wide margin.
 */
export const TLS_RELOAD_INTERVAL = '1h';

/** configtls.ServerConfig for a receiver serving the mounted certificate. */
export function otlpServerTls(tls: TlsConfig): { tls: { cert_file: string; key_file: string; reload_interval: string } } | {} {
  return tls.enabled ? { tls: { cert_file: TLS_FILES.cert, key_file: TLS_FILES.key, reload_interval: TLS_RELOAD_INTERVAL } } : {};
}

/**
 * dskit `server.http_tls_config` (Tempo and Loki). No reload setting is needed: dskit builds it with
 * exporter-toolkit's web.ConfigToTLSConfig (grafana/dskit server/server.go), whose GetCertificate re-reads
 * cert_file and key_file on every handshake (prometheus/exporter-toolkit web/tls_config.go), so a renewed
 * Secret is served from the next connection on. The Secret is mounted as a whole directory (no subPath), which
 * the kubelet updates in place.
 */
export function serverTls(tls: TlsConfig): { http_tls_config: { cert_file: string; key_file: string } } | {} {
  return tls.enabled ? { http_tls_config: { cert_file: TLS_FILES.cert, key_file: TLS_FILES.key } } : {};
}
