import { div, gt, lt, Matcher, max, metric, min, plus, rate, sum } from '../promql';
import { by, RuleSet, Targets } from './model';
import { targetAlerts } from './targets';

export interface CollectorRuleProps {
  /** Every collector target (both tiers). */
  readonly targets: Targets;
  /** The load-balancing tier only (its exporter reports the sampler backends). */
  readonly gatewaySel: Matcher[];
  /** Sampler pods the gateway should route to (collector.sampler.replicas). */
  readonly samplerReplicas: number;
  /** Traces each sampler keeps in memory (collector.sampler.numTraces), quoted in the advice. */
  readonly numTraces: number;
}

/**
 * The two collector tiers (contrib 0.159 internal telemetry: names without `_total`, metrics.md 5.1). Rates
 * are summed per job so the `worker` label some tail_sampling versions add never splits an alert.
 */
export function collectorRules(p: CollectorRuleProps): RuleSet {
  const { sel } = p.targets;
  const r5 = (name: string, ...keep: string[]) => sum(by(...keep), rate(metric(name, ...sel).over('5m')));
  const anyRate = (name: string, ...keep: string[]) => gt(r5(name, ...keep), 0);
  return {
    name: 'otel-collector-rules',
    groups: [
      {
        name: 'otel-collector-alerts',
        rules: [
          ...targetAlerts('Otelcol', 'OpenTelemetry Collector', p.targets),
          {
            alert: 'OtelcolReceiverRefusingSpans',
            expr: gt(div(r5('otelcol_receiver_refused_spans', 'receiver'), plus(r5('otelcol_receiver_accepted_spans', 'receiver'), r5('otelcol_receiver_refused_spans', 'receiver'))), 0.01),
            // Refusals are back-pressure (memory limiter, a slow next tier); SDKs retry them. 1 % for 10 minutes
            // is more than retries absorb: spans are being lost at the applications.
            for: '10m',
            severity: 'warning',
            summary: 'Collector receiver {{ $labels.receiver }} refuses more than 1% of spans',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: receiver {{ $labels.receiver }} refused more than 1% of spans for 10 minutes.',
          },
          {
            alert: 'OtelcolReceiverFailedSpans',
            expr: anyRate('otelcol_receiver_failed_spans', 'receiver'),
            // Failed (not refused) spans are internal receiver errors: any, sustained, is a fault.
            for: '10m',
            severity: 'warning',
            summary: 'Collector receiver {{ $labels.receiver }} fails spans',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: receiver {{ $labels.receiver }} keeps failing spans.',
          },
          {
            alert: 'OtelcolExporterSendFailures',
            expr: gt(div(r5('otelcol_exporter_send_failed_spans', 'exporter'), plus(r5('otelcol_exporter_sent_spans', 'exporter'), r5('otelcol_exporter_send_failed_spans', 'exporter'))), 0.01),
            // Counted after retries are exhausted: these spans are gone. 1 % for 10 minutes rules out a
            // sampler pod restarting under the gateway.
            for: '10m',
            severity: 'critical',
            summary: 'Collector exporter {{ $labels.exporter }} loses more than 1% of spans',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: exporter {{ $labels.exporter }} failed to send more than 1% of spans for 10 minutes.',
          },
          {
            alert: 'OtelcolExporterQueueNearlyFull',
            expr: gt(max(by('exporter'), div(metric('otelcol_exporter_queue_size', ...sel), metric('otelcol_exporter_queue_capacity', ...sel))), 0.8),
            // A queue above 80 % for 10 minutes is a backend that stopped keeping up; at 100 % spans are dropped.
            for: '10m',
            severity: 'warning',
            summary: 'Collector exporter {{ $labels.exporter }} queue is above 80%',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: the sending queue of {{ $labels.exporter }} stayed above 80% of its capacity for 10 minutes.',
          },
          {
            alert: 'OtelcolExporterEnqueueFailures',
            expr: anyRate('otelcol_exporter_enqueue_failed_spans', 'exporter'),
            // The queue was full and spans were dropped: data loss, so five minutes and critical.
            for: '5m',
            severity: 'critical',
            summary: 'Collector exporter {{ $labels.exporter }} drops spans: queue full',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: {{ $labels.exporter }} could not enqueue spans for 5 minutes; they were dropped.',
          },
          {
            alert: 'OtelcolTracesDroppedBeforeDecision',
            expr: anyRate('otelcol_processor_tail_sampling_sampling_trace_dropped_too_early'),
            // Should stay at zero: each drop is a trace evicted before its sampling decision, errors included.
            for: '10m',
            severity: 'warning',
            summary: 'Tail sampling evicts traces before deciding',
            description: `{{ $labels.job }} in {{ $labels.namespace }}: traces are evicted before decision_wait ends; num_traces (${p.numTraces}, collector.sampler.numTraces) is too small for the load or more sampler replicas are needed.`,
          },
          {
            alert: 'OtelcolSamplingPolicyErrors',
            expr: anyRate('otelcol_processor_tail_sampling_sampling_policy_evaluation_error', 'policy'),
            // A policy that errors does not vote: traces it should keep may be dropped.
            for: '10m',
            severity: 'warning',
            summary: 'Tail-sampling policy {{ $labels.policy }} fails to evaluate',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: policy {{ $labels.policy }} keeps failing to evaluate.',
          },
          {
            alert: 'OtelcolMemoryLimiterRefusing',
            expr: anyRate('otelcol_processor_memory_limiter_refused_spans'),
            // The memory limiter refuses data before an OOM kill; doing it for 10 minutes means the pods need
            // more memory or more replicas.
            for: '10m',
            severity: 'warning',
            summary: 'Collector memory limiter refuses spans',
            description: '{{ $labels.job }} in {{ $labels.namespace }} is at its memory limit and refuses spans.',
          },
          {
            alert: 'OtelcolSamplerBackendsMissing',
            expr: lt(min(by(), metric('otelcol_loadbalancer_num_backends', ...p.gatewaySel)), p.samplerReplicas),
            // The gateway should see every sampler pod (collector.sampler.replicas); fewer for 10 minutes
            // (longer than a rolling update) means DNS resolution or sampler pods are failing.
            for: '10m',
            severity: 'warning',
            summary: `The gateway routes to fewer than ${p.samplerReplicas} sampler pods`,
            description: `{{ $labels.job }} in {{ $labels.namespace }} resolves fewer sampler backends than the ${p.samplerReplicas} configured replicas.`,
          },
        ],
      },
    ],
  };
}
