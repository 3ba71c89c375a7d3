/**
 * The API server's own validation, beyond what the OpenAPI schemas encode: the rules that refuse an object at
 * apply time although every field has the right type. Read from Kubernetes 1.34:
 *  - k8s.io/apimachinery pkg/util/validation/validation.go (IsDNS1123Label, IsDNS1123Subdomain, IsValidPortName,
 *    IsValidPortNum, IsConfigMapKey) and pkg/api/validate/content (IsLabelKey, IsLabelValue);
 *  - kubernetes pkg/apis/core/validation/validation.go (ValidatePortNumOrName, validateContainerPorts,
 *    ValidateService, ValidateConfigMap and ValidateSecret: core.MaxSecretSize = 1 MiB; ValidateAnnotations:
 *    TotalAnnotationSizeLimitB = 256 KiB) and pkg/apis/networking/validation (ipBlock.cidr, ingressClassName).
 * One leaf module (it imports nothing of ours), below the config layer, so the schema (where a config value flows into one of these fields), synth and
 * the test suite (every object of every variant) apply the same rules.
 */
import { isIP } from 'node:net';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** validation.DNS1123LabelMaxLength, DNS1123SubdomainMaxLength, content.LabelValueMaxLength. */
export const LIMITS = {
  dnsLabel: 63,
  dnsSubdomain: 253,
  qualifiedName: 63,
  portName: 15,
  /** core.MaxSecretSize: the sum of a ConfigMap's or Secret's values (ValidateConfigMap, ValidateSecret). */
  dataBytes: 1024 * 1024,
  /**
   * TotalAnnotationSizeLimitB (ValidateAnnotations). `kubectl apply` without --server-side, and Argo CD's default
   * sync, store the whole object in the `kubectl.kubernetes.io/last-applied-configuration` annotation, so an
   * object whose JSON is above this cannot be applied that way. Flux and server-side apply do not, but we render
   * for all three, so every object stays under it.
   */
  annotationBytes: 256 * 1024,
  int32: 2 ** 31 - 1,
} as const;

export function isDnsLabel(v: string): boolean {
  return v.length <= LIMITS.dnsLabel && DNS1123_LABEL.test(v);
}
/** IsDNS1035Label (Service names: ValidateServiceName = NameIsDNS1035Label): a label that starts with a letter. */
export function isDns1035Label(v: string): boolean {
  return isDnsLabel(v) && /^[a-z]/.test(v);
}
export function isDnsSubdomain(v: string): boolean {
  return v.length <= LIMITS.dnsSubdomain && DNS1123_SUBDOMAIN.test(v);
}
/** IsValidPortName: an IANA_SVC_NAME, at most 15 of [-a-z0-9], at least one letter, no "--", no hyphen at either end. */
export function isPortName(v: string): boolean {
  return v.length <= LIMITS.portName && /^[-a-z0-9]+$/.test(v) && /[a-z]/.test(v) && !v.includes('--') && !v.startsWith('-') && !v.endsWith('-');
}
/** IsValidPortNum: 1-65535. */
export function isPortNumber(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
}
/** An `int32` field (replicas, minReplicas, ...): Go's json decoding refuses anything above 2^31-1. */
export function isInt32(v: unknown, min = 0): boolean {
  return Number.isInteger(v) && (v as number) >= min && (v as number) <= LIMITS.int32;
}
/** content.IsLabelKey (IsQualifiedName): an optional DNS-subdomain prefix and "/", then a name of at most 63. */
export function isLabelKey(v: string): boolean {
  const parts = v.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (parts.length === 2 && (parts[0] === '' || !isDnsSubdomain(parts[0]))) return false;
  return name.length <= LIMITS.qualifiedName && QUALIFIED_NAME.test(name);
}
/** content.IsLabelValue: empty, or a qualified name's name part (at most 63, alphanumeric at both ends). */
export function isLabelValue(v: string): boolean {
  return v === '' || (v.length <= LIMITS.qualifiedName && QUALIFIED_NAME.test(v));
}
/** IsConfigMapKey: keys of ConfigMaps and Secrets, and so every secretKeyRef/configMapKeyRef `key`. */
export function isConfigMapKey(v: string): boolean {
  return v.length <= LIMITS.dnsSubdomain && CONFIG_MAP_KEY.test(v) && v !== '.' && v !== '..' && !v.startsWith('..');
}
/** An IP address in the canonical form the 1.34 validators want (no leading zeros, no zone). */
export function isIpAddress(v: string): boolean {
  if (isIP(v) === 4) return v.split('.').every((o) => o === '0' || !o.startsWith('0'));
  return isIP(v) === 6 && !v.includes('%');
}
/** ValidateCIDR: an address and a prefix length within its family. */
export function isCidr(v: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  if (!m || !isIpAddress(m[1]) || (m[2].length > 1 && m[2].startsWith('0'))) return false;
  return Number(m[2]) <= (isIP(m[1]) === 4 ? 32 : 128);
}

/**
 * resource.ParseQuantity's grammar (k8s.io/apimachinery pkg/api/resource/quantity.go): a decimal number and one
 * suffix, binary (Ki..Ei), decimal (n, u, m, k, M..E) or an exponent. JavaScript's "1e+21" form of a large
 * number followed by "Gi" is none of these.
 */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;
export function isQuantity(v: unknown): boolean {
  return (typeof v === 'string' && QUANTITY.test(v)) || (typeof v === 'number' && Number.isFinite(v));
}

/** The value a label-derived field gets when its source (an image tag) is not a label value: cut to fit, ends trimmed. */
export function toLabelValue(v: string): string {
  return v
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .slice(0, LIMITS.qualifiedName)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v);

const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);
/**
 * How each kind's metadata.name is validated: a Namespace is a DNS-1123 label (ValidateNamespaceName), a Service a
 * DNS-1035 label (ValidateServiceName), RBAC objects a path segment (ValidateRBACName = path.IsValidPathSegmentName:
 * not "." or "..", no "/" or "%"), everything else we render a DNS subdomain.
 */
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
function nameProblem(kind: string, name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must be set';
  if (kind === 'Namespace') return isDnsLabel(name) ? undefined : 'must be a DNS-1123 label';
  if (kind === 'Service') return isDns1035Label(name) ? undefined : 'must be a DNS-1035 label (a DNS label starting with a letter)';
  if (RBAC_KINDS.has(kind)) return name !== '.' && name !== '..' && !/[/%]/.test(name) ? undefined : 'must be a path segment name (not "." or "..", no "/" or "%")';
  return isDnsSubdomain(name) ? undefined : 'must be a DNS subdomain';
}

/**
 * Every problem the API server would report for one object, as `Kind/name.field.path: what`, empty when it
 * would be admitted on these rules. The OpenAPI shape (types, required fields) is checked elsewhere.
 */
export function apiProblems(obj: Obj): string[] {
  const problems: string[] = [];
  const at = `${obj.kind}/${obj.metadata?.name}`;
  const fail = (path: string, what: string) => problems.push(`${at}.${path}: ${what}`);

  const bytes = Buffer.byteLength(JSON.stringify(obj));
  if (bytes > LIMITS.annotationBytes) fail('', `the object is ${bytes} bytes; kubectl apply and Argo CD keep it in the last-applied annotation, which holds at most ${LIMITS.annotationBytes}`);

  const badName = nameProblem(obj.kind, obj.metadata?.name);
  if (badName) fail('metadata.name', `${badName}, got ${show(obj.metadata?.name)}`);
  metadata(obj.metadata ?? {}, 'metadata', fail);
  if (obj.kind === 'ConfigMap' || obj.kind === 'Secret') dataKeys(obj, fail);
  const spec = obj.spec ?? {};
  if (POD_TEMPLATE_KINDS.has(obj.kind)) {
    if (spec.replicas !== undefined && !isInt32(spec.replicas)) fail('spec.replicas', `must be an int32 of at least 0, got ${show(spec.replicas)}`);
    selector(spec.selector, 'spec.selector', fail);
    metadata(spec.template?.metadata ?? {}, 'spec.template.metadata', fail);
    // A StatefulSet's claim templates are volumes of its pods too.
    const claims = (spec.volumeClaimTemplates ?? []).map((t: Obj) => t.metadata?.name);
    podSpec(spec.template?.spec ?? {}, 'spec.template.spec', fail, claims);
  }
  if (obj.kind === 'CronJob') podSpec(spec.jobTemplate?.spec?.template?.spec ?? {}, 'spec.jobTemplate.spec.template.spec', fail);
  if (obj.kind === 'StatefulSet') {
    (spec.volumeClaimTemplates ?? []).forEach((t: Obj, i: number) => {
      const storage = t.spec?.resources?.requests?.storage;
      if (storage !== undefined && !isQuantity(storage)) fail(`spec.volumeClaimTemplates[${i}].spec.resources.requests.storage`, `must be a quantity like "10Gi", got ${show(storage)}`);
      if (!isDnsSubdomain(t.metadata?.name ?? '')) fail(`spec.volumeClaimTemplates[${i}].metadata.name`, `must be a DNS subdomain, got ${show(t.metadata?.name)}`);
      metadata(t.metadata ?? {}, `spec.volumeClaimTemplates[${i}].metadata`, fail);
    });
    if (spec.serviceName !== undefined && !isDnsLabel(spec.serviceName)) fail('spec.serviceName', `must be a DNS label, got ${show(spec.serviceName)}`);
  }
  if (obj.kind === 'PersistentVolumeClaim') {
    const storage = spec.resources?.requests?.storage;
    if (!isQuantity(storage)) fail('spec.resources.requests.storage', `must be a quantity like "10Gi", got ${show(storage)}`);
  }
  if (obj.kind === 'Service') service(spec, fail);
  if (obj.kind === 'NetworkPolicy') networkPolicy(spec, fail);
  if (obj.kind === 'Ingress') ingress(spec, fail);
  if (obj.kind === 'HorizontalPodAutoscaler') {
    if (!isInt32(spec.minReplicas ?? 1, 1)) fail('spec.minReplicas', `must be an int32 of at least 1, got ${show(spec.minReplicas)}`);
    if (!isInt32(spec.maxReplicas, 1)) fail('spec.maxReplicas', `must be an int32 of at least 1, got ${show(spec.maxReplicas)}`);
    else if (spec.maxReplicas < (spec.minReplicas ?? 1)) fail('spec.maxReplicas', `must be at least minReplicas (${spec.minReplicas})`);
  }
  if (obj.kind === 'PodDisruptionBudget') selector(spec.selector, 'spec.selector', fail);
  return problems;
}

function metadata(meta: Obj, path: string, fail: (p: string, w: string) => void): void {
  if (meta.namespace !== undefined && !isDnsLabel(meta.namespace)) fail(`${path}.namespace`, `must be a DNS label, got ${show(meta.namespace)}`);
  labels(meta.labels, `${path}.labels`, fail);
  if (isObj(meta.annotations)) {
    let total = 0;
    for (const [k, v] of Object.entries(meta.annotations)) {
      // ValidateAnnotations: keys are qualified names, lowercased before the check.
      if (!isLabelKey(k.toLowerCase())) fail(`${path}.annotations`, `key ${show(k)} must be a qualified name`);
      total += k.length + String(v).length;
    }
    if (total > LIMITS.annotationBytes) fail(`${path}.annotations`, `must have at most ${LIMITS.annotationBytes} bytes, got ${total}`);
  }
}

/** Label keys and values found valid: the same few recur on every object of every environment. */
const validLabelKeys = new Set<string>();
const validLabelValues = new Set<string>();

function labels(map: unknown, path: string, fail: (p: string, w: string) => void): void {
  if (!isObj(map)) return;
  for (const k of Object.keys(map)) {
    const v = map[k];
    if (!validLabelKeys.has(k)) {
      if (isLabelKey(k)) validLabelKeys.add(k);
      else fail(path, `key ${show(k)} must be a qualified name`);
    }
    if (typeof v === 'string' && validLabelValues.has(v)) continue;
    if (typeof v === 'string' && isLabelValue(v)) validLabelValues.add(v);
    else fail(`${path}.${k}`, `must be a label value (at most 63 of A-Z a-z 0-9 - _ ., alphanumeric at both ends), got ${show(v)}`);
  }
}

function selector(sel: unknown, path: string, fail: (p: string, w: string) => void): void {
  if (!isObj(sel)) return;
  labels(sel.matchLabels, `${path}.matchLabels`, fail);
  (sel.matchExpressions ?? []).forEach((e: Obj, i: number) => {
    if (!isLabelKey(e.key)) fail(`${path}.matchExpressions[${i}].key`, `must be a qualified name, got ${show(e.key)}`);
    for (const v of e.values ?? []) if (!isLabelValue(v)) fail(`${path}.matchExpressions[${i}].values`, `must be label values, got ${show(v)}`);
  });
}

function dataKeys(obj: Obj, fail: (p: string, w: string) => void): void {
  let total = 0;
  for (const field of ['data', 'binaryData', 'stringData'] as const) {
    if (!isObj(obj[field])) continue;
    for (const [k, v] of Object.entries(obj[field])) {
      if (!isConfigMapKey(k)) fail(field, `key ${show(k)} must be a config key (at most 253 of - . _ a-z A-Z 0-9, not "." or "..")`);
      total += Buffer.byteLength(String(v));
    }
  }
  if (total > LIMITS.dataBytes) fail('data', `holds ${total} bytes; a ${obj.kind} holds at most ${LIMITS.dataBytes}`);
}

/** A port given as number or name (ValidatePortNumOrName), and whether a name refers to a declared port. */
function portRef(v: unknown, declared: Set<string> | undefined, path: string, fail: (p: string, w: string) => void): void {
  if (typeof v === 'number') {
    if (!isPortNumber(v)) fail(path, `must be between 1 and 65535, inclusive, got ${v}`);
  } else if (typeof v === 'string') {
    if (!isPortName(v)) fail(path, `must be an IANA_SVC_NAME (at most 15 of a-z 0-9 -, with a letter), got ${show(v)}`);
    else if (declared && !declared.has(v)) fail(path, `names no port the container declares, got ${show(v)}`);
  }
}

function podSpec(spec: Obj, path: string, fail: (p: string, w: string) => void, claims: string[] = []): void {
  const volumes = new Set<string>(claims);
  (spec.volumes ?? []).forEach((v: Obj, i: number) => {
    if (!isDnsLabel(v.name)) fail(`${path}.volumes[${i}].name`, `must be a DNS label, got ${show(v.name)}`);
    volumes.add(v.name);
    const items = [...(v.secret?.items ?? []), ...(v.configMap?.items ?? []), ...(v.projected?.sources ?? []).flatMap((s: Obj) => [...(s.secret?.items ?? []), ...(s.configMap?.items ?? [])])];
    for (const item of items) if (!isConfigMapKey(item.key)) fail(`${path}.volumes[${i}]`, `item key must be a config key, got ${show(item.key)}`);
  });
  const containers: [string, Obj[]][] = [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers ?? []],
  ];
  const hostPorts = new Set<string>();
  for (const [field, list] of containers) {
    list.forEach((c, i) => {
      const cp = `${path}.${field}[${i}]`;
      if (!isDnsLabel(c.name)) fail(`${cp}.name`, `must be a DNS label, got ${show(c.name)}`);
      const names = new Set<string>();
      (c.ports ?? []).forEach((p: Obj, j: number) => {
        if (p.name !== undefined) {
          if (!isPortName(p.name)) fail(`${cp}.ports[${j}].name`, `must be an IANA_SVC_NAME (at most 15 of a-z 0-9 -, with a letter), got ${show(p.name)}`);
          if (names.has(p.name)) fail(`${cp}.ports[${j}].name`, `duplicate port name ${show(p.name)}`);
          names.add(p.name);
        }
        if (!isPortNumber(p.containerPort)) fail(`${cp}.ports[${j}].containerPort`, `must be between 1 and 65535, inclusive, got ${show(p.containerPort)}`);
        if (p.hostPort !== undefined) {
          const key = `${p.protocol ?? 'TCP'}/${p.hostPort}`;
          if (hostPorts.has(key)) fail(`${cp}.ports[${j}].hostPort`, `duplicate host port ${key}`);
          hostPorts.add(key);
        }
      });
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const pr = c[probe];
        if (!pr) continue;
        if (pr.httpGet) portRef(pr.httpGet.port, names, `${cp}.${probe}.httpGet.port`, fail);
        if (pr.tcpSocket) portRef(pr.tcpSocket.port, names, `${cp}.${probe}.tcpSocket.port`, fail);
        if (pr.grpc && !isPortNumber(pr.grpc.port)) fail(`${cp}.${probe}.grpc.port`, `must be between 1 and 65535, inclusive, got ${show(pr.grpc.port)}`);
      }
      (c.env ?? []).forEach((e: Obj, j: number) => {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        if (ref && !isConfigMapKey(ref.key)) fail(`${cp}.env[${j}].valueFrom`, `key must be a config key (- . _ a-z A-Z 0-9), got ${show(ref.key)}`);
        if (ref && !isDnsSubdomain(ref.name)) fail(`${cp}.env[${j}].valueFrom`, `name must be a DNS subdomain, got ${show(ref.name)}`);
      });
      for (const kind of ['requests', 'limits'] as const) {
        for (const [r, q] of Object.entries(c.resources?.[kind] ?? {})) if (!isQuantity(q)) fail(`${cp}.resources.${kind}.${r}`, `must be a quantity like "512Mi", got ${show(q)}`);
      }
      (c.volumeMounts ?? []).forEach((m: Obj, j: number) => {
        if (!volumes.has(m.name)) fail(`${cp}.volumeMounts[${j}].name`, `names no volume of the pod, got ${show(m.name)}`);
      });
    });
  }
  if (spec.serviceAccountName !== undefined && !isDnsSubdomain(spec.serviceAccountName)) fail(`${path}.serviceAccountName`, `must be a DNS subdomain, got ${show(spec.serviceAccountName)}`);
  labels(spec.nodeSelector, `${path}.nodeSelector`, fail);
}

function service(spec: Obj, fail: (p: string, w: string) => void): void {
  const ports: Obj[] = spec.ports ?? [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    // ValidateService: with more than one port each needs a name, a DNS label, unique in the Service.
    if (ports.length > 1 || p.name !== undefined) {
      if (typeof p.name !== 'string' || !isDnsLabel(p.name)) fail(`spec.ports[${i}].name`, `must be a DNS label, got ${show(p.name)}`);
      else if (names.has(p.name)) fail(`spec.ports[${i}].name`, `duplicate port name ${show(p.name)}`);
      names.add(p.name);
    }
    if (!isPortNumber(p.port)) fail(`spec.ports[${i}].port`, `must be between 1 and 65535, inclusive, got ${show(p.port)}`);
    if (p.targetPort !== undefined) portRef(p.targetPort, undefined, `spec.ports[${i}].targetPort`, fail);
  });
  labels(spec.selector, 'spec.selector', fail);
}

function networkPolicy(spec: Obj, fail: (p: string, w: string) => void): void {
  selector(spec.podSelector, 'spec.podSelector', fail);
  for (const dir of ['ingress', 'egress'] as const) {
    (spec[dir] ?? []).forEach((rule: Obj, i: number) => {
      const base = `spec.${dir}[${i}]`;
      (rule.ports ?? []).forEach((p: Obj, j: number) => {
        portRef(p.port, undefined, `${base}.ports[${j}].port`, fail);
        if (p.endPort !== undefined && (!isPortNumber(p.endPort) || typeof p.port !== 'number' || p.endPort < p.port)) fail(`${base}.ports[${j}].endPort`, `must be a port number at least port, got ${show(p.endPort)}`);
      });
      (rule[dir === 'ingress' ? 'from' : 'to'] ?? []).forEach((peer: Obj, j: number) => {
        const pp = `${base}.${dir === 'ingress' ? 'from' : 'to'}[${j}]`;
        selector(peer.podSelector, `${pp}.podSelector`, fail);
        selector(peer.namespaceSelector, `${pp}.namespaceSelector`, fail);
        if (peer.ipBlock) {
          if (!isCidr(peer.ipBlock.cidr)) fail(`${pp}.ipBlock.cidr`, `must be a valid CIDR, got ${show(peer.ipBlock.cidr)}`);
          for (const ex of peer.ipBlock.except ?? []) if (!isCidr(ex)) fail(`${pp}.ipBlock.except`, `must be valid CIDRs, got ${show(ex)}`);
        }
      });
    });
  }
}

function ingress(spec: Obj, fail: (p: string, w: string) => void): void {
  if (spec.ingressClassName !== undefined && !isDnsSubdomain(spec.ingressClassName)) fail('spec.ingressClassName', `must be a DNS subdomain, got ${show(spec.ingressClassName)}`);
  (spec.rules ?? []).forEach((r: Obj, i: number) => {
    if (r.host !== undefined && !isDnsSubdomain(r.host.replace(/^\*\./, ''))) fail(`spec.rules[${i}].host`, `must be a DNS subdomain (optionally "*."), got ${show(r.host)}`);
  });
  (spec.tls ?? []).forEach((t: Obj, i: number) => {
    if (t.secretName !== undefined && !isDnsSubdomain(t.secretName)) fail(`spec.tls[${i}].secretName`, `must be a DNS subdomain, got ${show(t.secretName)}`);
  });
}
