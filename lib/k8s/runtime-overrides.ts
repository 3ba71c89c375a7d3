/**
 * A runtime overrides file (Loki's runtime_config, Tempo's per_tenant_override_config) as a ConfigMap mounted
 * as a whole directory. Not with subPath: a subPath mount is a copy taken at pod start and never sees
 * ConfigMap updates, so the engines' 10s reload would keep reading the old limits. The file's content is
 * left out of the pod's checksum annotation for the same reason: changing a tenant's limits must not
 * restart the pod.
 */
import * as k8s from '../../imports/k8s';
import { toYaml } from '../serialize';
import { StackChart } from './chart';

export interface RuntimeOverrides {
  readonly text: string;
  readonly volume: k8s.Volume;
  readonly mount: k8s.VolumeMount;
}

export function runtimeOverrides(chart: StackChart, props: { name: string; dir: string; file: string; content: unknown }): RuntimeOverrides {
  const text = toYaml(props.content);
  const cm = new k8s.KubeConfigMap(chart, 'runtime-overrides', { metadata: chart.meta(props.name), data: { [props.file]: text } });
  return {
    text,
    volume: { name: 'runtime-overrides', configMap: { name: cm.name } },
    mount: { name: 'runtime-overrides', mountPath: props.dir, readOnly: true },
  };
}
