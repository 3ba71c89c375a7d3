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

/** dskit `server.http_tls_config` (Tempo and Loki). */
export function serverTls(tls: TlsConfig): { http_tls_config: { cert_file: string; key_file: string } } | {} {
  return tls.enabled ? { http_tls_config: { cert_file: TLS_FILES.cert, key_file: TLS_FILES.key } } : {};
}
