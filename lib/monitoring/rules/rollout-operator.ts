import { gt, metric, rate, sum } from '../promql';
import { by, RuleSet, Targets } from './model';
import { targetAlerts } from './targets';

/**
 * Grafana's rollout-operator (rolls distributed Tempo's live-store zones). Its controller counts every failed
 * reconcile of a rollout group (pkg/controller/controller.go rollout_operator_group_reconciles_failed_total): a
 * StatefulSet of the group without OnDelete, a pod it cannot delete, RBAC it lacks. While a group fails, config
 * and image changes to its StatefulSets never reach the pods.
 */
export function rolloutOperatorRules(t: Targets): RuleSet {
  const failed = metric('rollout_operator_group_reconciles_failed_total', ...t.sel);
  return {
    name: 'rollout-operator-rules',
    groups: [
      {
        name: 'rollout-operator-alerts',
        rules: [
          ...targetAlerts('RolloutOperator', 'rollout-operator', t),
          {
            alert: 'RolloutOperatorReconcileFailing',
            expr: gt(sum(by('rollout_group'), rate(failed.over('5m'))), 0),
            // It reconciles every few seconds; a quarter of an hour of failures is a stuck rollout, not a blip.
            for: '15m',
            severity: 'warning',
            summary: 'The rollout-operator cannot reconcile rollout group {{ $labels.rollout_group }}',
            description: '{{ $labels.job }} in {{ $labels.namespace }}: every reconcile of rollout group {{ $labels.rollout_group }} has failed for 15 minutes; changes to its StatefulSets do not reach their pods.',
          },
        ],
      },
    ],
  };
}
