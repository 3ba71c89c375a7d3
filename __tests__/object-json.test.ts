// synth renders objects without cdk8s's per-value resolve walk (lib/k8s/object-json.ts) and bundles the generated
// Kubernetes classes with linear mappings (bin/bundle.js). Both must give exactly what cdk8s gives: the same
// keys in the same order, the same values, the same errors. Every object of every variant is compared in
// fast-paths.test.ts (both); here the cases those objects never reach.
import { readFileSync } from 'node:fs';
import { ApiObject, App, Chart, IResolver, JsonPatch, Lazy, ResolutionContext } from 'cdk8s';
import * as k8s from '../imports/k8s';
import { objectJson } from '../lib/k8s/object-json';

import { linearModule } from './helpers';

/** objectJson() and toJson() give the same JSON, keys in the same order, or throw the same error. */
function expectSame(obj: ApiObject): string {
  let expected: string;
  try {
    expected = JSON.stringify(obj.toJson());
  } catch (e) {
    expect(() => objectJson(obj)).toThrow((e as Error).message);
    return (e as Error).message;
  }
  expect(JSON.stringify(objectJson(obj))).toBe(expected);
  return expected;
}

const chart = (app = new App()) => new Chart(app, 'c');

describe('objectJson', () => {
  it('gives what toJson() gives for values cdk8s resolves: Lazy, tokens, IntOrString, Quantity, nested at every depth', () => {
    const c = chart();
    const token = { resolve: () => ({ z: 1, a: [null, undefined, 'x'] }) };
    const obj = new ApiObject(c, 'o', {
      apiVersion: 'v1',
      kind: 'Thing',
      spec: {
        lazy: Lazy.any({ produce: () => ({ b: 2, a: Lazy.any({ produce: () => 'deep' }) }) }),
        token,
        inArray: [token, { k: Lazy.any({ produce: () => undefined }) }],
        port: k8s.IntOrString.fromNumber(8080),
        name: k8s.IntOrString.fromString('http'),
        size: k8s.Quantity.fromString('10Gi'),
        fn: () => 1,
      },
    });
    const out = expectSame(obj);
    expect(out).toContain('"a":"deep"');
    expect(out).toContain('"port":{"value":8080}');
  });

  it('gives what toJson() gives for the generated classes, IntOrString and Quantity mapped to plain values', () => {
    const c = chart();
    const svc = new k8s.KubeService(c, 's', {
      metadata: { name: 's', labels: { b: '1', a: '2' }, annotations: {} },
      spec: { ports: [{ port: 80, targetPort: k8s.IntOrString.fromString('http') }], selector: { z: 'z', a: 'a' }, clusterIp: 'None' },
    });
    const pvc = new k8s.KubePersistentVolumeClaim(c, 'p', { spec: { resources: { requests: { storage: k8s.Quantity.fromString('1Gi') } } } });
    expect(expectSame(svc)).toContain('"clusterIP":"None"');
    expect(expectSame(pvc)).toContain('"storage":"1Gi"');
  });

  it('drops null, undefined and (in metadata) empty values as toJson() does, and sorts keys, numeric ones included', () => {
    const c = chart();
    const obj = new ApiObject(c, 'o', {
      apiVersion: 'v1',
      kind: 'Thing',
      metadata: { labels: {}, annotations: { z: 'z', '10': 'n', '2': 'm', a: 'a' }, finalizers: [] },
      spec: { b: null, a: undefined, empty: {}, list: [], nested: [[], {}, [null]], '10': 1, '9': 2, B: 3, a2: 4 },
    });
    expectSame(obj);
  });

  it('never renders a "__proto__" key, as cdk8s does not, and renders an object without a prototype as cdk8s does', () => {
    const c = chart();
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    expectSame(new ApiObject(c, 'o', { apiVersion: 'v1', kind: 'Thing', spec: hostile }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const bare = Object.assign(Object.create(null), { a: 1 });
    expectSame(new ApiObject(c, 'n', { apiVersion: 'v1', kind: 'Thing', spec: { bare } }));
  });

  it('throws what toJson() throws for an object it cannot render', () => {
    class Opaque {
      readonly x = 1;
    }
    const message = expectSame(new ApiObject(chart(), 'o', { apiVersion: 'v1', kind: 'Thing', spec: { v: new Opaque() } }));
    expect(message).toMatch(/Failed serializing construct at path 'c\/o'.*non-simple object of type 'Opaque'/);
  });

  it('takes cdk8s\'s own path for JSON patches, custom resolvers, a class that renders itself and CDK8S_DISABLE_SORT', () => {
    const patched = new ApiObject(chart(), 'o', { apiVersion: 'v1', kind: 'Thing', spec: { a: 1 } });
    patched.addJsonPatch(JsonPatch.add('/spec/b', 2));
    expect(expectSame(patched)).toContain('"b":2');

    class Upper implements IResolver {
      resolve(ctx: ResolutionContext): void {
        if (typeof ctx.value === 'string' && ctx.value !== ctx.value.toUpperCase()) ctx.replaceValue(ctx.value.toUpperCase());
      }
    }
    const custom = new ApiObject(chart(new App({ resolvers: [new Upper()] })), 'o', { apiVersion: 'v1', kind: 'Thing', spec: { a: 'shout' } });
    expect(expectSame(custom)).toContain('SHOUT');

    class Own extends k8s.KubeConfigMap {
      public toJson(): any {
        return { ...super.toJson(), extra: true };
      }
    }
    expect(expectSame(new Own(chart(), 'm', { data: { a: 'b' } }))).toContain('"extra":true');

    // A cdk8s whose private fields differ from this version's: its own toJson(), never a guess.
    const spy = jest.spyOn(ApiObject.prototype, 'toJson');
    try {
      const plain = new ApiObject(chart(), 'p', { apiVersion: 'v1', kind: 'Thing', spec: { a: 1 } });
      objectJson(plain);
      expect(spy).not.toHaveBeenCalled();
      delete (plain as unknown as { props?: unknown }).props;
      objectJson(plain);
      expect(spy).toHaveBeenCalledTimes(1);
      const noPatches = new ApiObject(chart(), 'q', { apiVersion: 'v1', kind: 'Thing' });
      delete (noPatches as unknown as { patches?: unknown }).patches;
      expect(() => objectJson(noPatches)).toThrow(); // cdk8s's own path, which needs the field
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }

    const unsorted = new ApiObject(chart(), 'u', { apiVersion: 'v1', kind: 'Thing', spec: { b: 1, a: 2 } });
    process.env.CDK8S_DISABLE_SORT = '1';
    try {
      expect(expectSame(unsorted)).toContain('"b":1,"a":2');
    } finally {
      delete process.env.CDK8S_DISABLE_SORT;
    }
  });
});

describe('linear mappings of the generated classes (bin/bundle.js)', () => {
  const linear = linearModule();
  const original = k8s as unknown as Record<string, unknown>;
  const mapping = (mod: Record<string, unknown>, name: string) => mod[name] as (x: unknown) => unknown;

  it('rewrites every quadratic filter of the file and leaves none behind', () => {
    const source = readFileSync(require.resolve('cdk8s-plus-27/lib/imports/k8s.js'), 'utf8');
    expect(linear.count).toBe(source.split('.reduce((r, i) => (i[1] === undefined) ? r : ({ ...r, [i[0]]: ').length - 1);
    expect(linear.count).toBeGreaterThan(400);
    expect(linear.text).not.toMatch(/\.reduce\(\(r, i\)/);
  });

  it('maps maps as the original: undefined values dropped, a "__proto__" key kept as a key, numeric keys first, Quantity values', () => {
    const labels = JSON.parse('{"b": "1", "__proto__": "p", "10": "x", "2": "y", "gone": null}');
    labels.gone = undefined;
    const meta = { name: 'n', labels, annotations: { a: 'b' } };
    const same = (name: string, input: unknown) => {
      const want = mapping(original, name)(input) as Record<string, unknown>;
      const got = mapping(linear.exports, name)(input) as Record<string, unknown>;
      expect(JSON.stringify(got)).toBe(JSON.stringify(want));
      return got;
    };
    const out = same('toJson_ObjectMeta', meta) as { labels: Record<string, unknown> };
    expect(Object.keys(out.labels)).toEqual(['2', '10', 'b', '__proto__']);
    expect(Object.prototype.hasOwnProperty.call(out.labels, '__proto__')).toBe(true);
    same('toJson_ResourceRequirements', { limits: { cpu: k8s.Quantity.fromString('1'), memory: undefined }, requests: { memory: k8s.Quantity.fromNumber(5) } });
    same('toJson_JsonSchemaProps', { properties: { a: { type: 'string', xKubernetesIntOrString: true }, b: undefined } });
  });
});
