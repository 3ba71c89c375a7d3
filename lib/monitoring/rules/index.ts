/**
 * The stack's rule sets, with selectors derived from the monitored targets themselves: each component's
 * `namespace`/`job` matchers come from the MetricsEndpoints its chart declares (lib/monitoring/targets.ts),
 * the very list the monitors are rendered from, so the rules select what the monitors produce by construction.
 */
import { StackChart } from '../../k8s/chart';
import { StackService } from '../../k8s/service';
import { Matcher, oneOf } from '../promql';
import { jobLabel, targetsOf } from '../targets';
import { collectorRules } from './collector';
import { grafanaRules } from './grafana';
import { lokiRules } from './loki';
import { RuleSet, Targets } from './model';
import { LogAgentMetrics, logAgentRules } from './log-agent';
import { prometheusRules } from './prometheus';
import { rolloutOperatorRules } from './rollout-operator';
import { tempoRules } from './tempo';

export interface StackRulesProps {
  readonly loki: StackChart;
  readonly tempo: StackChart;
  readonly tempoMajor: 2 | 3;
  readonly collector: StackChart & { readonly gateway: StackService; readonly sampler: StackService };
  /** The log agent's chart (Promtail or Alloy) and the names of its metrics. */
  readonly logAgent: { readonly chart: StackChart; readonly metrics: LogAgentMetrics };
  readonly grafana: StackChart;
  /** Present when a topology has zone StatefulSets rolled by the operator. */
  readonly rolloutOperator?: StackChart;
  readonly samplerReplicas: number;
  readonly numTraces: number;
  /** Namespace of the platform's Prometheus and the raw retention it must have. */
  readonly prometheus: { readonly namespace: string; readonly retentionSeconds: number };
}

/** `namespace` and `job` matchers for the targets of a chart; undefined when it declares none. */
export function targetMatchers(chart: StackChart): Targets | undefined {
  const endpoints = chart.metricsEndpoints;
  if (!endpoints.length) return undefined;
  const t = targetsOf([chart], chart.appName);
  const each = [...new Map(endpoints.map((e) => [jobLabel(e), [oneOf('namespace', [e.namespace]), oneOf('job', [jobLabel(e)])]])).values()];
  return { sel: [oneOf('namespace', t.namespaces), oneOf('job', t.jobs)], each };
}

/** `namespace` and `job` matchers of one Service's targets (one collector tier). */
export function serviceMatchers(chart: StackChart, service: StackService): Matcher[] {
  const e = chart.metricsEndpoints.find((x) => x.via === 'service' && x.name === service.name);
  if (!e) throw new Error(`Service ${service.name} declares no metrics port`);
  return [oneOf('namespace', [e.namespace]), oneOf('job', [jobLabel(e)])];
}

export function stackRules(p: StackRulesProps): RuleSet[] {
  const sets: RuleSet[] = [];
  const add = (chart: StackChart, build: (t: Targets) => RuleSet) => {
    const sel = targetMatchers(chart);
    if (sel) sets.push(build(sel));
  };
  add(p.loki, lokiRules);
  add(p.tempo, (t) => tempoRules(t, p.tempoMajor));
  add(p.collector, (targets) => {
    const gatewaySel = serviceMatchers(p.collector, p.collector.gateway);
    return collectorRules({ targets, gatewaySel, samplerReplicas: p.samplerReplicas, numTraces: p.numTraces });
  });
  add(p.logAgent.chart, (t) => logAgentRules(t, p.logAgent.metrics));
  add(p.grafana, grafanaRules);
  if (p.rolloutOperator) add(p.rolloutOperator, rolloutOperatorRules);
  sets.push(prometheusRules(p.prometheus));
  return sets;
}
