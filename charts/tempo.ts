import { Construct } from 'constructs';
import { Environment } from '../lib/config/schema';
import { imageVersion } from '../lib/config/primitives';
import { StackChart } from '../lib/k8s/chart';
import { NamedPort, StackService } from '../lib/k8s/service';

export interface TempoChartProps {
  readonly env: Environment;
}

/** Tempo (traces). SKELETON from the foundation: Service and endpoints only; issue 4 builds the workload. */
export class TempoChart extends StackChart {
  readonly ports: NamedPort[];
  readonly service: StackService;

  constructor(scope: Construct, id: string, props: TempoChartProps) {
    const tempo = props.env.config.tempo;
    super(scope, id, { env: props.env, name: 'tempo', component: 'tracing', version: imageVersion(tempo.image) });
    this.ports = [
      { name: 'http', port: tempo.ports.http },
      { name: 'grpc', port: tempo.ports.grpc },
      { name: 'otlp-grpc', port: tempo.ports.otlpGrpc },
      { name: 'otlp-http', port: tempo.ports.otlpHttp },
    ];
    this.service = new StackService(this, { name: 'tempo', ports: this.ports });
  }

  /** Tempo's query API (Grafana's datasource URL). */
  get queryUrl(): string {
    return this.service.url('http');
  }

  /** OTLP gRPC endpoint as host:port (the collector's exporter). */
  get otlpGrpcEndpoint(): string {
    return this.service.hostPort('otlp-grpc');
  }

  /** OTLP HTTP base URL. */
  get otlpHttpUrl(): string {
    return this.service.url('otlp-http');
  }

  /** Whether span metrics and service graphs are written to Prometheus (Grafana's service map needs them). */
  get metricsGeneratorEnabled(): boolean {
    return false;
  }
}
