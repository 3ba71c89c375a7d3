// Re-export of the prometheus-operator API types (monitoring.coreos.com/v1, operator v0.93) generated in
// @kubernetes-models/prometheus-operator. Types only: that package is ES-module-only and a devDependency, so
// nothing of it is loaded at synth time; the tests validate rendered objects with its runtime models.
export type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
export type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
export type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
export type { IRuleGroup } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/RuleGroup';
export type { IRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Rule';
export type { IRelabelConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/RelabelConfig';
export type { ISafeTLSConfig } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/SafeTLSConfig';
