/**
 * Typed alerting and recording rules, turned into a PrometheusRule's `spec` (which is exactly a Prometheus
 * rule file: prometheus-operator writes it out unchanged). Every alert carries a severity, a summary, a
 * description and a runbook link to its section of RUNBOOKS.md; thresholds and `for` are reasoned where the
 * alert is defined. Annotations use only `{{ $labels.<name> }}`, so what an alert says is predictable in tests.
 */
import type { IRuleGroup } from '../../../imports/monitoring-coreos-com';
import { and, Expr, gt, increase, Matcher, metric, rate, sum, Window } from '../promql';

export type Severity = 'critical' | 'warning';

export interface AlertRule {
  readonly alert: string;
  readonly expr: Expr;
  /** How long the condition must hold before the alert fires; absent fires on the first evaluation. */
  readonly for?: Window;
  readonly severity: Severity;
  readonly summary: string;
  readonly description: string;
}
export interface RecordingRule {
  readonly record: string;
  readonly expr: Expr;
}
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (AlertRule | RecordingRule)[];
}
/** One PrometheusRule object: the rules about one component. */
export interface RuleSet {
  /** Object name, e.g. `loki-rules`. */
  readonly name: string;
  readonly groups: readonly RuleGroup[];
}

/** How rules select a component's series: all its targets at once, and each target alone. */
export interface Targets {
  /** `namespace` and `job` matchers covering every target of the component. */
  readonly sel: Matcher[];
  /** The same for each target (`job` equality), where a per-target answer matters (absent()). */
  readonly each: Matcher[][];
}

/** The labels every rule keeps: the target labels the monitors produce (lib/monitoring/targets.ts). */
export const TARGET_LABELS = ['namespace', 'job'] as const;
export const by = (...extra: string[]): string[] => [...TARGET_LABELS, ...extra];

/** The file the alerts' runbook links point into, at the repository root. */
export const RUNBOOKS_FILE = 'RUNBOOKS.md';

/** The RUNBOOKS.md anchor of an alert's runbook (GitHub's heading anchors: lower case). */
export const runbookAnchor = (alert: string): string => alert.toLowerCase();

export const isAlert = (r: AlertRule | RecordingRule): r is AlertRule => 'alert' in r;

/**
 * A failure counter that moved more than `perHour` times in the last hour and is still moving: a single
 * transient error (an object-store hiccup, a restart) does not page, a failure that keeps recurring does.
 */
export function persistentFailures(name: string, sel: Matcher[], perHour: number, keep: string[] = []): Expr {
  const s = metric(name, ...sel);
  return and(gt(sum(by(...keep), increase(s.over('1h'))), perHour), gt(sum(by(...keep), rate(s.over('5m'))), 0));
}

/** The rule file form of the groups (a PrometheusRule's spec.groups). */
export function ruleGroups(set: RuleSet, runbookUrl: (alert: string) => string): IRuleGroup[] {
  return set.groups.map((g) => ({
    name: g.name,
    rules: g.rules.map((r) =>
      isAlert(r)
        ? {
            alert: r.alert,
            expr: r.expr.text,
            ...(r.for ? { for: r.for } : {}),
            labels: { severity: r.severity },
            annotations: { summary: r.summary, description: r.description, runbook_url: runbookUrl(r.alert) },
          }
        : { record: r.record, expr: r.expr.text },
    ),
  }));
}
