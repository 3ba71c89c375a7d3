/** A minimal HTTP(S) client with a pinned CA and server name (port-forwarded TLS endpoints answer on 127.0.0.1). */
import * as http from 'node:http';
import * as https from 'node:https';

export interface Endpoint {
  /** Base URL, e.g. `https://127.0.0.1:40123`. */
  readonly url: string;
  /** PEM CA to verify the server certificate with (HTTPS). */
  readonly ca?: string;
  /** Name to verify the certificate against (the Service's DNS name) when connecting to a forwarded port. */
  readonly servername?: string;
}

export interface Response {
  readonly status: number;
  readonly body: string;
}

export function request(
  endpoint: Endpoint,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<Response> {
  const url = new URL(path, endpoint.url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: { ...(opts.body ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
        timeout: opts.timeoutMs ?? 10_000,
        ...(url.protocol === 'https:' ? { ca: endpoint.ca, servername: endpoint.servername } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}
