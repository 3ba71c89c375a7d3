import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { imageVersion } from '../lib/config/primitives';
import { Environment } from '../lib/config/schema';
import { StackChart } from '../lib/k8s/chart';
import { OtelCollectorChart } from './otel-collector';

export interface OtelSdkChartProps {
  readonly env: Environment;
  /** The gateway the applications send to; its SDK settings are the ones the stack namespace gets. */
  readonly collector: OtelCollectorChart;
}

/**
 * The `otel-sdk` ConfigMap in every namespace of `applications.namespaces`, so a pod there needs only
 * `envFrom: [{configMapRef: {name: otel-sdk}}]` to send traces to the gateway (whose NetworkPolicy admits these
 * namespaces, see network-policies.ts). The namespaces belong to the application teams: this chart does not
 * create them.
 */
export class OtelSdkChart extends StackChart {
  constructor(scope: Construct, id: string, props: OtelSdkChartProps) {
    const { collector } = props;
    super(scope, id, { env: props.env, name: 'otel-sdk', component: 'trace-gateway', version: imageVersion(props.env.config.collector.image) });
    for (const ns of this.config.applications.namespaces) {
      new k8s.KubeConfigMap(this, `${ns.name}-otel-sdk`, {
        metadata: this.meta(collector.sdkConfigMapName, { namespace: ns.name }),
        data: collector.sdkEnvironment(ns.serviceName),
      });
    }
  }
}
