/**
 * An ApiObject's JSON, as cdk8s's `toJson()` gives it, in one walk.
 *
 * cdk8s 2.70's `ApiObject.toJson()` resolves every value of an object through `resolve()` (cdk8s/lib/resolve.js)
 * and then copies the result again through `sanitizeValue()` (cdk8s/lib/_util.js). For every single value,
 * `resolve()` walks up the construct tree to the App for its resolvers (`App.of`), allocates a
 * ResolutionContext and a new key path, and asks each resolver; with the generated mappings (made linear in the
 * bundle, bin/bundle.js) that was about a third of synth's time per environment. Here plain values (strings, numbers, booleans, arrays, plain objects without a `resolve`
 * method) are resolved and sanitized in one walk, since none of cdk8s's three built-in resolvers replaces them
 * (`LazyResolver`: only a Lazy; `ImplicitTokenResolver`: only a value with a `resolve()` method;
 * `NumberStringUnionResolver`: only a non-plain object with a number or string `value`). Anything else (a
 * Lazy, an IntOrString, a token) goes through cdk8s's own `resolve()` and is then sanitized as cdk8s does. An
 * app with resolvers of its own, a class that renders itself differently, or an object with JSON patches takes
 * cdk8s's path whole. The generated Kubernetes classes (imports/k8s.ts) are rendered by their own mapping
 * function, as their `toJson()` does. A test holds this equal to `toJson()` over every object of every
 * variant, and over the cases above.
 */
import { ApiObject, App, ImplicitTokenResolver, LazyResolver, NumberStringUnionResolver, resolve } from 'cdk8s';
import * as k8s from '../../imports/k8s';

interface SanitizeOptions {
  readonly sortKeys: boolean;
  readonly filterEmptyArrays: boolean;
  readonly filterEmptyObjects: boolean;
}

/** cdk8s's `sanitizeValue()`: null and undefined dropped, keys sorted, only plain objects. */
function sanitize(value: unknown, options: SanitizeOptions): unknown {
  if (value == null) return undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return options.filterEmptyArrays && value.length === 0 ? undefined : value.map((x) => sanitize(x, options));
  const name = (value as object).constructor.name;
  if (name !== 'Object') throw new Error(`can't render non-simple object of type '${name}'`);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  if (options.sortKeys) keys.sort();
  for (const key of keys) {
    const v = sanitize((value as Record<string, unknown>)[key], options);
    if (v != null) out[key] = v;
  }
  return options.filterEmptyObjects && Object.keys(out).length === 0 ? undefined : out;
}

/** `sanitize(resolve([], value, apiObject), options)` for an app whose resolvers are cdk8s's built-in three. */
function resolveSanitized(value: unknown, apiObject: ApiObject, options: SanitizeOptions): unknown {
  if (value == null) return undefined;
  const type = typeof value;
  if (type !== 'object') {
    // A string, number or boolean no resolver replaces; a function or symbol goes the long way.
    return type === 'function' || type === 'symbol' ? sanitize(resolve([], value, apiObject), options) : value;
  }
  if (typeof (value as { resolve?: unknown }).resolve === 'function') return sanitize(resolve([], value, apiObject), options);
  if (Array.isArray(value)) {
    if ((value as { value?: unknown }).value !== undefined) return sanitize(resolve([], value, apiObject), options);
    if (options.filterEmptyArrays && value.length === 0) return undefined;
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = resolveSanitized(value[i], apiObject, options);
    return out;
  }
  if ((value as object).constructor !== Object) return sanitize(resolve([], value, apiObject), options);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  if (options.sortKeys) keys.sort();
  let count = 0;
  for (const key of keys) {
    // resolve() assigns `result[key]`: a key "__proto__" sets the copy's prototype rather than a key, so it is
    // never rendered.
    if (key === '__proto__') continue;
    const v = resolveSanitized((value as Record<string, unknown>)[key], apiObject, options);
    if (v != null) {
      out[key] = v;
      count++;
    }
  }
  return options.filterEmptyObjects && count === 0 ? undefined : out;
}

const METADATA: SanitizeOptions = { sortKeys: true, filterEmptyArrays: true, filterEmptyObjects: true };

/** The fields `ApiObjectMetadata.toJson()` reads (cdk8s/lib/metadata.js); private there, so checked before use. */
interface MetadataFields {
  readonly _additionalAttributes: Record<string, unknown>;
  readonly name?: string;
  readonly namespace?: string;
  readonly annotations: Record<string, string>;
  readonly finalizers: string[];
  readonly ownerReferences: unknown[];
  readonly labels: Record<string, string>;
}

function metadataJson(obj: ApiObject): unknown {
  const m = obj.metadata as unknown as MetadataFields;
  if (typeof m._additionalAttributes !== 'object' || !Array.isArray(m.finalizers) || !Array.isArray(m.ownerReferences)) return obj.metadata.toJson();
  return resolveSanitized(
    { ...m._additionalAttributes, name: m.name, namespace: m.namespace, annotations: m.annotations, finalizers: m.finalizers, ownerReferences: m.ownerReferences, labels: m.labels },
    obj,
    METADATA,
  );
}

/** `ApiObject.prototype.toJson()` (cdk8s/lib/api-object.js) for an object without patches. */
function baseJson(obj: ApiObject): Record<string, unknown> {
  const options: SanitizeOptions = { sortKeys: !process.env.CDK8S_DISABLE_SORT, filterEmptyArrays: false, filterEmptyObjects: false };
  const json = (resolveSanitized({ ...(obj as unknown as { props: object }).props, metadata: metadataJson(obj) }, obj, options) ?? {}) as Record<string, unknown>;
  // apiVersion, kind and metadata first, then the rest in their order.
  const result: Record<string, unknown> = {};
  for (const key of ['apiVersion', 'kind', 'metadata', ...Object.keys(json)]) if (key in json) result[key] = json[key];
  return result;
}

type Mapping = (props: unknown) => Record<string, unknown>;
/** The generated classes (`KubeDeployment`, ...) whose `toJson()` is `{ ...GVK, ...toJson_<Class>Props(super.toJson()) }`. */
const GENERATED = new Map<Function, { gvk: object; mapping: Mapping }>();
for (const [name, cls] of Object.entries(k8s)) {
  const mapping = (k8s as Record<string, unknown>)[`toJson_${name}Props`];
  const gvk = (cls as { GVK?: object }).GVK;
  if (typeof cls === 'function' && typeof mapping === 'function' && gvk) GENERATED.set(cls, { gvk, mapping: mapping as Mapping });
}

const BUILT_IN = [LazyResolver, ImplicitTokenResolver, NumberStringUnionResolver];
const builtInOnly = new WeakMap<App, boolean>();

/** Whether `app` resolves with cdk8s's built-in resolvers only (custom resolvers may replace any value). */
function hasBuiltInResolvers(app: App): boolean {
  let known = builtInOnly.get(app);
  if (known === undefined) {
    const r = app.resolvers;
    known = r.length === BUILT_IN.length && r.every((x, i) => x.constructor === BUILT_IN[i]);
    builtInOnly.set(app, known);
  }
  return known;
}

/** `obj.toJson()`, faster for what synth renders (see above). */
export function objectJson(obj: ApiObject, app: App = App.of(obj)): unknown {
  const own = Object.prototype.hasOwnProperty.call(obj, 'toJson');
  // `props` and `patches` are private to cdk8s's ApiObject: without them as this version has them, its own path.
  const fields = obj as unknown as { props?: unknown; patches?: unknown[] };
  const patched = !Array.isArray(fields.patches) || fields.patches.length > 0;
  if (own || patched || typeof fields.props !== 'object' || fields.props === null || !hasBuiltInResolvers(app)) return obj.toJson();
  const ctor = obj.constructor;
  if (ctor === ApiObject) {
    try {
      return baseJson(obj);
    } catch {
      return obj.toJson();
    }
  }
  const generated = GENERATED.get(ctor);
  if (!generated) return obj.toJson();
  try {
    return { ...generated.gvk, ...generated.mapping(baseJson(obj)) };
  } catch {
    return obj.toJson(); // which throws cdk8s's own error, naming the construct
  }
}
