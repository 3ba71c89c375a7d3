// Our stand-ins for the AGPL backends, started as endpoints of the rendered Services they replace.
import { Run, Started, waitFor } from '../support/procs';
import { K8sObject, find } from './manifests';
import { Cluster, Endpoint, portFree } from './pods';

export interface RecordedSpan {
  readonly trace_id: string;
  readonly span_id: string;
  readonly name: string;
  readonly service: string;
  /** Remote address of the exporting connection: one per sampler pod (each holds one gRPC connection). */
  readonly peer: string;
  readonly via: 'grpc' | 'http';
}

export class TempoStandIn {
  proc!: Started;
  endpoint!: Endpoint;
  private adminPort = 0;

  constructor(private readonly run: Run, private readonly cluster: Cluster, private readonly binary: string, readonly ip: string, readonly otlpGrpcPort: number, readonly httpPort: number, private readonly tls?: { cert: string; key: string }) {}

  /** Starts (or starts again, at the same address) and becomes an endpoint of the Service once /ready answers. */
  async start(service = 'tempo'): Promise<void> {
    if (!this.adminPort) this.adminPort = await freeAdminPort(this.ip);
    const args = ['-grpc', `${this.ip}:${this.otlpGrpcPort}`, '-query', `${this.ip}:${this.httpPort}`, '-admin', `${this.ip}:${this.adminPort}`];
    if (this.tls) args.push('-tls-cert', this.tls.cert, '-tls-key', this.tls.key);
    this.proc = this.run.start(`tempo-standin-${Date.now()}`, this.binary, args);
    await waitFor('the Tempo stand-in to answer /ready', async () => (await fetch(`http://${this.ip}:${this.adminPort}/ready`)).ok, { watch: [this.proc], timeoutMs: 30_000 });
    this.endpoint ??= this.cluster.addEndpoint('tempo-standin', this.ip, this.cluster.serviceSelector(service));
  }

  /** Kills the process; its address stays in the Service (a crashed container keeps its pod IP). */
  async stop(): Promise<void> {
    try { process.kill(-this.proc.child.pid!, 'SIGTERM'); } catch { /* gone */ }
    await this.proc.exited;
  }

  async spans(): Promise<RecordedSpan[]> {
    const text = await (await fetch(`http://${this.ip}:${this.adminPort}/spans`)).text();
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RecordedSpan);
  }
}

async function freeAdminPort(ip: string): Promise<number> {
  for (let p = 19000 + Math.floor(Math.random() * 1000); ; p++) if (await portFree(ip, p)) return p;
}

/** The port of a rendered Service, by port name. */
export function servicePort(objects: readonly K8sObject[], service: string, portName: string): number {
  const p = (find(objects, 'Service', service).spec.ports as { name: string; port: number }[]).find((x) => x.name === portName);
  if (!p) throw new Error(`e2e: Service ${service} has no port named ${portName}`);
  return p.port;
}
