/**
 * Value types shared by every component's part of the environment schema.
 * Each one validates once and says what it expected, so the charts never re-check a value.
 */
import { z } from 'zod';
import { isConfigMapKey, isDnsSubdomain, isIpAddress, isLabelKey, isLabelValue, isPortNumber, LIMITS as API_LIMITS } from '../api-rules';

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

/**
 * Durations as Go's `time.ParseDuration` reads them (what Loki, Tempo and the collector parse), plus `d` and
 * `w`, which people write for retention. Go has no day unit and Tempo reads only Go's form, so a value with
 * `d` or `w` is rewritten once, here, to hours (`14d` → `336h`): Go's form is read by every engine we
 * render for (Loki's `model.Duration` fields accept it too), so no chart ever sees a `d`.
 */
// µ is written `\u00b5`: the bundle synth runs stays pure ASCII (bin/bundle.js).
const DURATION = /^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h|d|w))+$/;
const PART = /(\d+(\.\d+)?)(ns|us|\u00b5s|ms|s|m|h|d|w)/g;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Go's largest duration, 2^63-1 ns (2562047h47m16.854775807s); anything longer overflows time.Duration. */
const GO_MAX_MS = 9_223_372_036_854.775807;

export const duration = z
  .string({ error: (i) => `expected a duration like "72h", got ${show(i.input)}` })
  .regex(DURATION, {
    error: (i) => `expected a duration like "72h", "14d" or "5m" (units ns, us, ms, s, m, h, d, w), got ${show(i.input)}`,
    abort: true,
  })
  .refine((text) => durationMs(text) <= GO_MAX_MS, {
    error: (i) => `expected at most 2562047h (the longest duration Go can represent), got ${show(i.input)}`,
    abort: true,
  })
  .overwrite(toGoDuration);

/** Milliseconds of a duration string; NaN when it is not one (so cross-field rules skip invalid values). */
export function durationMs(text: string): number {
  if (typeof text !== 'string' || !DURATION.test(text)) return NaN;
  let total = 0;
  for (const [, n, , unit] of text.matchAll(PART)) total += Number(n) * UNIT_MS[unit];
  return total;
}

/** Go's form of a duration: unchanged unless it uses `d` or `w`, then whole hours (plus minutes, seconds, ms). */
export function toGoDuration(text: string): string {
  if (!/[dw]/.test(text)) return text;
  return formatDurationMs(durationMs(text));
}

/**
 * A number of milliseconds as whole hours, minutes, seconds and ms (`2m`, `1h30m`): the form both Go's
 * time.ParseDuration and Prometheus' model.ParseDuration (Loki's limits) read.
 */
export function formatDurationMs(total: number): string {
  let ms = Math.round(total);
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(ms / size);
    ms -= n * size;
    if (n) parts.push(`${n}${unit}`);
  }
  return parts.join('') || '0s';
}

export const port = z
  .number({ error: (i) => `expected a port number 1-65535, got ${show(i.input)}` })
  .int({ error: (i) => `expected a whole port number, got ${show(i.input)}` })
  .min(1, { error: (i) => `expected a port number 1-65535, got ${show(i.input)}` })
  .max(65535, { error: (i) => `expected a port number 1-65535, got ${show(i.input)}` });

/**
 * `host[:port]` (no scheme) of a server the stack connects to. The host and port also become a NetworkPolicy
 * egress rule (lib/k8s/egress.ts): a host of digits and dots is taken as an IPv4 address and rendered as
 * `ipBlock.cidr: <host>/32`, so it must be one (the API server refuses `999.1.1.1/32`), and the port must be a
 * port number (1-65535), which the API server checks on every NetworkPolicy port.
 */
export const hostPort = (example: string, portRequired = false) =>
  z
    .string({ error: (i) => `expected host${portRequired ? ':port' : '[:port]'} like ${JSON.stringify(example)}, got ${show(i.input)}` })
    .superRefine((v, ctx) => {
      const m = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:(\d{1,5}))?$/.exec(v);
      const fail = (why: string) => ctx.addIssue({ code: 'custom', message: `expected host${portRequired ? ':port' : '[:port]'} like ${JSON.stringify(example)} (no scheme)${why}, got ${show(v)}` });
      if (!m) return fail('');
      if (portRequired && m[4] === undefined) return fail('; the port is required');
      if (m[4] !== undefined && !isPortNumber(Number(m[4]))) return fail(`; the port must be 1-65535`);
      if (/^[\d.]+$/.test(m[1]) && !isIpAddress(m[1])) return fail('; a host of digits and dots must be an IPv4 address (each part 0-255, no leading zeros)');
    });

/** RFC 1123 label: what Kubernetes accepts for namespace and Service names. */
export const dnsLabel = z
  .string({ error: (i) => `expected a DNS label (lowercase letters, digits, "-"), got ${show(i.input)}` })
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    error: (i) => `expected a DNS label (1-63 lowercase letters, digits or "-", starting and ending alphanumeric), got ${show(i.input)}`,
  });

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
export const s3BucketName = z
  .string({ error: (i) => `expected an S3 bucket name, got ${show(i.input)}` })
  .superRefine((name, ctx) => {
    const problems: string[] = [];
    if (name.length < 3 || name.length > 63) problems.push('3-63 characters');
    if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) problems.push('lowercase letters, digits, "." and "-", starting and ending with a letter or digit');
    if (name.includes('..')) problems.push('no two adjacent periods');
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) problems.push('not an IP address');
    if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name)) problems.push('no reserved prefix or suffix');
    if (problems.length) ctx.addIssue({ code: 'custom', message: `expected a valid S3 bucket name (${problems.join('; ')}), got ${show(name)}` });
  });

/** Image reference pinned by tag or digest; `latest` and untagged images are refused. */
export const image = z
  .string({ error: (i) => `expected an image like "grafana/tempo:3.0.3", got ${show(i.input)}` })
  .regex(/^[a-z0-9][a-z0-9._\/:-]*(:[\w][\w.-]{0,127})(@sha256:[a-f0-9]{64})?$|^[a-z0-9][a-z0-9._\/:-]*@sha256:[a-f0-9]{64}$/, {
    error: (i) => `expected an image pinned by tag or digest like "grafana/tempo:3.0.3", got ${show(i.input)}`,
    abort: true,
  })
  .refine((ref) => !/:latest(@|$)/.test(ref), { error: (i) => `expected a pinned version, got ${show(i.input)} (":latest" changes under you)` });

/** The version in an image tag, for the `app.kubernetes.io/version` label and version-aware rendering ('' when there is none). */
export function imageVersion(ref: string): string {
  const tag = ref.replace(/@sha256:.*$/, '').split('/').pop()!.split(':')[1];
  return tag ?? ref.split('@sha256:')[1]?.slice(0, 12) ?? '';
}

const QUANTITY = /^\d+(\.\d+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;
export const quantity = (what: string) =>
  z.string({ error: (i) => `expected a Kubernetes ${what} quantity, got ${show(i.input)}` }).regex(QUANTITY, {
    error: (i) => `expected a Kubernetes ${what} quantity like ${what === 'CPU' ? '"500m"' : '"512Mi"'}, got ${show(i.input)}`,
  });

const QUANTITY_FACTOR: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
/** The value of a quantity already validated by QUANTITY (bytes for memory). */
export function quantityValue(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(q);
  return m ? Number(m[1]) * (QUANTITY_FACTOR[m[2]] ?? NaN) : NaN;
}

/** Requests for scheduling and a memory limit (no CPU limit: throttling hurts latency more than it protects). */
export const resources = (defaults: { cpu: string; memory: string; memoryLimit: string }) =>
  z
    .strictObject({
      cpu: quantity('CPU').default(defaults.cpu).describe('CPU request'),
      memory: quantity('memory').default(defaults.memory).describe('memory request'),
      memoryLimit: quantity('memory').default(defaults.memoryLimit).describe('memory limit (the container is OOM-killed above it)'),
    })
    .superRefine((r, ctx) => {
      // The API server refuses a Pod whose request exceeds its limit (spec.containers[].resources.requests: must be less than or equal to memory limit).
      if (quantityValue(r.memory) > quantityValue(r.memoryLimit)) {
        ctx.addIssue({ code: 'custom', path: ['memory'], message: `expected at most memoryLimit (${r.memoryLimit}), got ${show(r.memory)} (Kubernetes refuses a request above its limit)` });
      }
    })
    .prefault({});
export type Resources = z.infer<ReturnType<typeof resources>>;


export { isLabelKey, isLabelValue } from '../api-rules';

/** A name the API server reads as a DNS subdomain (IsDNS1123Subdomain: ingressClassName, Secret and ConfigMap names). */
export const dnsSubdomain = z
  .string({ error: (i) => `expected a DNS subdomain (lowercase letters, digits, "-", "."), got ${show(i.input)}` })
  .refine(isDnsSubdomain, {
    error: (i) => `expected a DNS subdomain (at most 253 lowercase letters, digits, "-" or ".", each part starting and ending alphanumeric), got ${show(i.input)}`,
  });

/**
 * A key inside a Secret or ConfigMap as the API server validates it (IsConfigMapKey in lib/api-rules.ts, which
 * `secretKeyRef.key`, volume items and Secret `data` keys must pass): 1-253 of A-Z a-z 0-9 - _ ., not "." or "..",
 * not starting with "..". The key is not echoed (a mistyped key can hold part of a secret).
 */
export const secretDataKey = z
  .string({ error: () => 'expected a key of a Secret (1-253 of A-Z a-z 0-9 - _ .)' })
  .regex(/^[-._a-zA-Z0-9]{1,253}$/, { error: () => 'expected a key of a Secret (1-253 of A-Z a-z 0-9 - _ .), like "password"' })
  .refine(isConfigMapKey, { error: 'expected a key of a Secret other than "." or ".." and not starting with ".."' });

/**
 * A count the API server holds in an int32 (minReplicas, partitions sizing our objects): Go refuses the object
 * above 2^31-1, so the schema refuses it by key path instead of rendering what apply rejects.
 */
export const int32Count = (what: string, min: number) =>
  z
    .number({ error: (i) => `expected a whole number of ${what}, got ${show(i.input)}` })
    .int({ error: (i) => `expected a whole number of ${what}, got ${show(i.input)}` })
    .min(min, { error: (i) => `expected at least ${min} ${what}, got ${show(i.input)}` })
    .max(API_LIMITS.int32, { error: (i) => `expected at most ${API_LIMITS.int32} ${what} (a Kubernetes int32), got ${show(i.input)}` });

/**
 * Most pods a cluster holds (https://kubernetes.io/docs/setup/best-practices/cluster-large/: 150,000). A replica
 * count above it cannot run; bounding it there also keeps derived counts (autoscaling to twice the replicas)
 * inside the int32 `replicas` and `maxReplicas` fields.
 */
export const MAX_REPLICAS = 150_000;
export const replicaCount = (min: number, why = '') =>
  z
    .number({ error: (i) => `expected a whole number of replicas, got ${show(i.input)}` })
    .int({ error: (i) => `expected a whole number of replicas, got ${show(i.input)}` })
    .min(min, { error: (i) => `expected at least ${min} replica${min > 1 ? 's' : ''}${why}, got ${show(i.input)}` })
    .max(MAX_REPLICAS, { error: (i) => `expected at most ${MAX_REPLICAS} replicas (the most pods a Kubernetes cluster holds), got ${show(i.input)}` });

/** A key of an existing Secret; the value never passes through this repository. */
export const secretKeyRef = z.strictObject({
  name: dnsLabel.describe('name of an existing Secret in the namespace'),
  key: secretDataKey.describe('key inside that Secret'),
});
export type SecretKeyRef = z.infer<typeof secretKeyRef>;

/** A label selector's matchLabels: valid keys and values, and never empty (an empty selector selects everything). */
export const labelSelector = (what: string) =>
  z.record(z.string(), z.string({ error: (i) => `expected a label value (a string), got ${show(i.input)}` })).superRefine((labels, ctx) => {
    const keys = Object.keys(labels);
    if (!keys.length) ctx.addIssue({ code: 'custom', message: `expected at least one label: an empty selector matches every ${what}` });
    for (const key of keys) {
      if (!isLabelKey(key)) ctx.addIssue({ code: 'custom', path: [key], message: `expected a Kubernetes label key (optional DNS prefix and "/", then up to 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric), got ${show(key)}` });
      else if (typeof labels[key] === 'string' && !isLabelValue(labels[key])) {
        ctx.addIssue({ code: 'custom', path: [key], message: `expected a Kubernetes label value (up to 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric), got ${show(labels[key])}` });
      }
    }
  });

/** Kubernetes' own namespaces: "kube-" is reserved for the system (https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/). */
export function systemNamespace(ns: string): boolean {
  return ns === 'default' || ns.startsWith('kube-');
}

/**
 * Credentials inside a URL (user:password@, a user in an https URL, or a token-like query parameter) would be
 * committed to git and rendered into dist/. Returns what was found, or undefined.
 */
const SECRET_PARAM = /^(.*token.*|.*secret.*|.*passw(or)?d.*|.*api[-_]?key.*|key|sig|signature|auth|authorization|credentials?|x-amz-credential|x-amz-signature|code)$/i;
export function urlCredentials(url: string, allowSshUser = false): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(url);
  if (m) {
    const userinfo = m[2];
    if (userinfo.includes(':')) return 'a user name and password';
    if (!(allowSshUser && /^ssh:/i.test(m[1]))) return 'a user name';
  }
  const query = /\?([^#]*)/.exec(url)?.[1];
  if (query) {
    for (const pair of query.split('&')) {
      const name = decodeURIComponentSafe(pair.split('=')[0]);
      if (SECRET_PARAM.test(name) && pair.includes('=')) return `a ${JSON.stringify(name.slice(0, 40))} query parameter`;
    }
  }
  return undefined;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The text with every credential-looking part of a URL replaced by "***", for messages. */
export function maskSecrets(text: string): string {
  return text
    // Bounded scheme length: the pattern must stay linear on a 100 kB value.
    .replace(/([a-z][a-z0-9+.-]{0,31}:\/\/)([^/?#\s"@]*)@/gi, (_, scheme: string, userinfo: string) => `${scheme}${userinfo.includes(':') ? `${userinfo.split(':')[0]}:***` : '***'}@`)
    .replace(/([?&])([^=&#?\s"]+)=([^&#\s"]*)/g, (all, sep: string, name: string) => (SECRET_PARAM.test(decodeURIComponentSafe(name)) ? `${sep}${name}=***` : all));
}

/** Refuses credentials in a URL field, with a pointer to where they belong. */
export function withoutCredentials<T extends z.ZodType<string | undefined>>(schema: T, instead: string, allowSshUser = false) {
  return schema.superRefine((url, ctx) => {
    if (typeof url !== 'string') return;
    const found = urlCredentials(url, allowSshUser);
    if (found) {
      ctx.addIssue({ code: 'custom', message: `expected a URL without credentials, got ${show(maskSecrets(url))} with ${found} (it would be committed to git and rendered into dist/); ${instead}` });
    }
  });
}
