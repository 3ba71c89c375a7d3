/**
 * Bucket lifecycle arithmetic: the model of a noncurrent-version rule and the day count S3 expects. It lives
 * below both its users, the engine tiers (lib/loki/tiers.ts) and the controller objects
 * (lib/k8s/bucket-lifecycle.ts), so neither imports the other.
 */

export interface NoncurrentRules {
  /** Days a deleted (noncurrent) version is kept before it expires for good. */
  readonly expireAfterDays: number;
  /** Days after which noncurrent versions move to the GLACIER storage class (omit to keep them in STANDARD). */
  readonly glacierAfterDays?: number;
}

/** Whole days covering a duration in milliseconds (lifecycle rules count in days). */
export function daysCovering(ms: number): number {
  return Math.max(1, Math.ceil(ms / 86_400_000));
}
