// Validates Kubernetes objects against the API schemas shipped in a `kubernetes-models` package:
// types, enums and required fields through the package's own validators, and unknown fields (which the
// OpenAPI schemas, and so the validators, let through) by walking the package's typed interfaces.
// Runs as a plain Node process because current kubernetes-models releases are ES modules only.
//   node k8s-validate.mjs <package name> <objects.json>   → prints a JSON array of problems
//   node k8s-validate.mjs - <entries.json>                 (entries: [{ package, object }], one package per object,
//                                                            for custom resources whose models live in @kubernetes-models/*)
// The same layout serves both: <package>/<group>/<version>/<Kind>.{js,d.ts}. Inherited properties
// (`interface X extends Y`) are followed; an interface with no property is free-form (RawExtension).
// Not covered: CRD CEL rules (x-kubernetes-validations), which the generated models do not carry.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const [pkgArg, objectsFile] = process.argv.slice(2);
const require = createRequire(path.join(process.cwd(), 'package.json'));
const packageDir = (name) => path.dirname(require.resolve(`${name}/package.json`));

/** Directory of a sibling @kubernetes-models package as the models package in `fromDir` resolves it. */
function depDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`cannot find ${name} from ${fromDir}`);
  }
}


/**
 * A small parser for the type syntax of the generated declarations: `"name"?: Type;` properties whose Type
 * is an interface name, `Array<Type>`, an index signature `{ [key: string]: Type }`, an inline object, or a
 * primitive / literal union (a leaf).
 */
function skip(src, pos) {
  while (/\s/.test(src[pos.i] ?? '')) pos.i++;
}
function parseProps(src, pos) {
  const props = new Map();
  for (;;) {
    skip(src, pos);
    if (src[pos.i] === '}' || pos.i >= src.length) {
      pos.i++;
      return props;
    }
    const m = /^"([^"]+)"(\?)?:/.exec(src.slice(pos.i)) ?? /^(\w+)(\?)?:/.exec(src.slice(pos.i));
    if (!m) {
      // constructor or method: skip the line
      pos.i = src.indexOf('\n', pos.i) + 1;
      continue;
    }
    pos.i += m[0].length;
    const type = parseType(src, pos);
    skip(src, pos);
    if (src[pos.i] === ';') pos.i++;
    props.set(m[1], { required: !m[2], type });
  }
}
function parseType(src, pos) {
  skip(src, pos);
  const rest = src.slice(pos.i);
  if (rest.startsWith('Array<')) {
    pos.i += 6;
    const of = parseType(src, pos);
    skip(src, pos);
    pos.i++; // '>'
    return { kind: 'array', of };
  }
  if (rest.startsWith('{')) {
    pos.i++;
    skip(src, pos);
    const index = /^\[key: string\]:/.exec(src.slice(pos.i));
    if (index) {
      pos.i += index[0].length;
      const of = parseType(src, pos);
      skip(src, pos);
      if (src[pos.i] === ';') pos.i++;
      skip(src, pos);
      pos.i++; // '}'
      return { kind: 'map', of };
    }
    return { kind: 'object', props: parseProps(src, pos) };
  }
  let depth = 0;
  const from = pos.i;
  while (pos.i < src.length) {
    const c = src[pos.i];
    if (c === '<' || c === '(') depth++;
    else if (c === ')' || (c === '>' && depth > 0)) depth--;
    else if ((c === ';' || c === '>' || c === '\n') && depth === 0) break;
    pos.i++;
  }
  const text = src.slice(from, pos.i).trim();
  return /^I\w+$/.test(text) ? { kind: 'ref', name: text } : { kind: 'leaf', text };
}

const interfaces = new Map();
/** Properties of the model declared in a .d.ts file: name → { required, type, from }. */
function readInterface(file, pkgDir) {
  if (interfaces.has(file)) return interfaces.get(file);
  const text = readFileSync(file, 'utf8');
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    let target = m[2].replace(/\.js$/, '');
    if (target.startsWith('@kubernetes-models/')) {
      const [scope, name, ...rest] = target.split('/');
      target = path.join(depDir(`${scope}/${name}`, pkgDir), ...rest);
    } else if (!target.startsWith('.')) {
      // A bare package: the prometheus-operator models import core types (SecretKeySelector) from `kubernetes-models`.
      const [name, ...rest] = target.split('/');
      target = path.join(depDir(name, pkgDir), ...rest);
    } else target = path.resolve(path.dirname(file), target);
    imports.set(m[1], `${target}.d.ts`);
  }
  const decl = /export interface (\w+)(?: extends ([\w, ]+))? \{/.exec(text);
  let props;
  if (decl) {
    const src = text.slice(decl.index + decl[0].length).replace(/\/\*[\s\S]*?\*\//g, '');
    props = parseProps(src, { i: 0 });
    // Inherited properties (Gateway API's specs extend CommonRouteSpec, BackendRef, ...); own ones win.
    for (const base of (decl[2] ?? '').split(',').map((b) => b.trim())) {
      const inherited = imports.has(base) && readInterface(imports.get(base), pkgDir);
      if (inherited) for (const [k, v] of inherited.props) if (!props.has(k)) props.set(k, { ...v, from: inherited });
    }
  }
  const body = decl ? [decl[0], decl[1]] : undefined;
  const result = body ? { props, imports, self: body[1], pkgDir, file } : undefined;
  interfaces.set(file, result);
  return result;
}

function walk(value, type, model, at, problems) {
  if (value === null || value === undefined) return;
  if (type.kind === 'array') {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, type.of, model, `${at}[${i}]`, problems));
  } else if (type.kind === 'map') {
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, type.of, model, `${at}.${k}`, problems);
  } else if (type.kind === 'object') {
    if (typeof value === 'object' && !Array.isArray(value)) checkObject(value, { ...model, props: type.props }, at, problems);
  } else if (type.kind === 'ref') {
    const file = type.name === model.self ? model.file : model.imports.get(type.name);
    const next = file && readInterface(file, model.pkgDir);
    if (next && typeof value === 'object' && !Array.isArray(value)) checkObject(value, { ...next, file }, at, problems);
  }
}

function checkObject(value, model, at, problems) {
  // An interface that declares no property is a free-form object (RawExtension, x-kubernetes-preserve-unknown-fields).
  if (model.props.size === 0) return;
  for (const [key, v] of Object.entries(value)) {
    const prop = model.props.get(key);
    if (!prop) problems.push(`${at}.${key}: unknown field`);
    else walk(v, prop.type, prop.from ?? model, `${at}.${key}`, problems);
  }
}

const input = JSON.parse(readFileSync(objectsFile, 'utf8'));
const entries = pkgArg === '-' ? input : input.map((object) => ({ package: pkgArg, object }));
const out = [];
for (const { package: pkgName, object: obj } of entries) {
  const pkgDir = packageDir(pkgName);
  const id = `${obj.kind}/${obj.metadata?.name}`;
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [undefined, obj.apiVersion];
  const base = path.join(pkgDir, ...(group ? [group, version] : [version]), obj.kind);
  if (!existsSync(`${base}.d.ts`)) {
    out.push({ object: id, problems: [`${obj.apiVersion} ${obj.kind} is not a type of ${pkgName}`] });
    continue;
  }
  const problems = [];
  const mod = await import(`${base}.js`);
  const Model = mod[obj.kind] ?? mod.default?.[obj.kind];
  try {
    new Model(obj).validate();
  } catch (e) {
    problems.push(...String(e.message).split('\n').filter(Boolean));
  }
  const model = readInterface(`${base}.d.ts`, pkgDir);
  checkObject(obj, { ...model, file: `${base}.d.ts` }, id, problems);
  if (problems.length) out.push({ object: id, problems });
}
process.stdout.write(JSON.stringify(out));
