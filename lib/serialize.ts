import { createHash } from 'node:crypto';
import { dump } from 'js-yaml';

/**
 * The one YAML serializer for manifests and component config files: insertion key order (objects are
 * built in a fixed order), no line folding, no anchors, so the output is byte-identical on every run.
 */
export function toYaml(value: unknown): string {
  return dump(value, { lineWidth: -1, noRefs: true });
}

/** sha256 of rendered config, for `checksum/config` pod annotations: a config change rolls the pods. */
export function checksum(...contents: string[]): string {
  const hash = createHash('sha256');
  for (const c of contents) hash.update(c).update('\0');
  return hash.digest('hex');
}
