import { Construct } from 'constructs';
import { Environment } from '../lib/config/schema';
import { imageVersion } from '../lib/config/primitives';
import { StackChart } from '../lib/k8s/chart';
import { NamedPort, StackService } from '../lib/k8s/service';

export interface LokiChartProps {
  readonly env: Environment;
}

/** Loki (logs). SKELETON from the foundation: Service and endpoints only; issue 5 builds the workload. */
export class LokiChart extends StackChart {
  readonly ports: NamedPort[];
  readonly service: StackService;

  constructor(scope: Construct, id: string, props: LokiChartProps) {
    const loki = props.env.config.loki;
    super(scope, id, { env: props.env, name: 'loki', component: 'logging', version: imageVersion(loki.image) });
    this.ports = [
      { name: 'http', port: loki.ports.http },
      { name: 'grpc', port: loki.ports.grpc },
    ];
    this.service = new StackService(this, { name: 'loki', ports: this.ports });
  }

  /** Loki's query API base URL (Grafana's datasource URL). */
  get queryUrl(): string {
    return this.service.url('http');
  }

  /** Promtail's push URL. */
  get pushUrl(): string {
    return this.service.url('http', { path: '/loki/api/v1/push' });
  }

  /** Tenant id sent as X-Scope-OrgID when auth is enabled; undefined when Loki runs single-tenant. */
  get tenantId(): string | undefined {
    return undefined;
  }
}
