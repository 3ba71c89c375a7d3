/** A component's named port: the model service.ts turns into container and Service ports, and chart.ts into metrics endpoints. */
export interface NamedPort {
  /** IANA-style port name (<= 15 chars), used as the Service targetPort. */
  readonly name: string;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
  /** Set for ports only the pod itself uses (not published on the Service). */
  readonly internal?: boolean;
  /** Set when the port serves Prometheus metrics at this path: it is then scraped (see MetricsEndpoint). */
  readonly metricsPath?: string;
  /** The port serves HTTPS (with the certificate of `tls.secretName`). */
  readonly tls?: boolean;
}
