/**
 * Structural check of rendered Alloy text, without an Alloy binary: it parses the text (syntax), then checks
 * each block against lib/alloy/components.ts (known components and config blocks, labels where they belong,
 * known attributes and blocks, attribute versus block, required ones present, non-repeatable ones once,
 * literal types) and every reference (`<component>.<label>.<export>` names a component the file defines and a
 * field it exports; other identifiers are stdlib constants; calls are stdlib functions). It returns one
 * message per problem, `line N: <where>: <what>`; an empty list means the config passed.
 */
import { AttrSpec, AttrType, BlockSpec, COMPONENTS, CONFIG_BLOCKS, NestedBlockSpec, STDLIB_CONSTANTS, STDLIB_FUNCTIONS } from './components';
import { AlloySyntaxError, LINES, parseAlloy } from './parse';
import { Access, Binary, Block, Call, Identifier, isExpression, Statement, Value } from './syntax';

const GO_DURATION = /^-?(\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h))*$/;
const SIZE = /^\d+(\.\d+)?(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB|PB|PiB|EB|EiB|kB)$/;

const show = (v: Value): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'a list' : v && typeof v === 'object' && !isExpression(v) ? 'an object' : String(v));

export function validateAlloy(text: string): string[] {
  let file;
  try {
    file = parseAlloy(text);
  } catch (e) {
    if (e instanceof AlloySyntaxError) return [`line ${e.line}:${e.col}: syntax: ${e.message.replace(/^\d+:\d+: /, '')}`];
    throw e;
  }
  const problems: string[] = [];
  const at = (s: Statement, where: string, msg: string): void => {
    problems.push(`line ${LINES.get(s) ?? '?'}: ${where}: ${msg}`);
  };

  // Components defined in the file, by "name.label", for the reference check.
  const defined = new Map<string, Block>();
  for (const b of file.blocks) {
    const spec = COMPONENTS[b.name];
    if (spec) {
      if (b.label === undefined) at(b, b.name, 'component without a label');
      const id = `${b.name}.${b.label}`;
      if (defined.has(id)) at(b, `${b.name} "${b.label}"`, 'defined twice');
      defined.set(id, b);
    } else if (CONFIG_BLOCKS[b.name]) {
      if (b.label !== undefined) at(b, b.name, `config block takes no label, got "${b.label}"`);
    } else {
      at(b, b.name, `unknown component or config block (the components this project renders are listed in lib/alloy/components.ts)`);
    }
  }

  const checkReference = (s: Statement, where: string, v: Identifier): void => {
    const path = v.path.join('.');
    if (STDLIB_CONSTANTS.has(path)) return;
    for (const name of Object.keys(COMPONENTS)) {
      const parts = name.split('.');
      if (v.path.length < parts.length || parts.some((p, i) => v.path[i] !== p)) continue;
      const label = v.path[parts.length];
      const field = v.path[parts.length + 1];
      const target = defined.get(`${name}.${label}`);
      if (!target) return at(s, where, `reference ${path} names ${name} "${label ?? ''}", which this config does not define`);
      if (field === undefined || v.path.length > parts.length + 2) return at(s, where, `reference ${path} must be ${name}.${label}.<export>`);
      if (!(field in COMPONENTS[name].exports)) {
        const exports = Object.keys(COMPONENTS[name].exports);
        return at(s, where, `reference ${path}: ${name} exports ${exports.length ? exports.join(', ') : 'nothing'}, not ${field}`);
      }
      return;
    }
    at(s, where, `unknown identifier ${path}`);
  };

  const checkExpressions = (s: Statement, where: string, v: Value): void => {
    if (v instanceof Identifier) return checkReference(s, where, v);
    if (v instanceof Call) {
      if (!STDLIB_FUNCTIONS.has(v.fn)) at(s, where, `unknown function ${v.fn}`);
      return v.args.forEach((a) => checkExpressions(s, where, a));
    }
    if (v instanceof Binary) return [v.left, v.right].forEach((a) => checkExpressions(s, where, a));
    if (v instanceof Access) return [v.target, ...('index' in v.key ? [v.key.index] : [])].forEach((a) => checkExpressions(s, where, a));
    if (Array.isArray(v)) return v.forEach((a) => checkExpressions(s, where, a));
    if (v && typeof v === 'object') Object.values(v).forEach((a) => checkExpressions(s, where, a as Value));
  };

  const checkType = (s: Statement, where: string, type: AttrType, v: Value): void => {
    if (isExpression(v)) return; // evaluated by Alloy at run time; references are checked separately
    const bad = (expected: string) => at(s, where, `expected ${expected}, got ${show(v)}`);
    switch (type) {
      case 'string':
      case 'secret':
        if (typeof v !== 'string' && typeof v !== 'number') bad('a string');
        break;
      case 'number':
        if (typeof v !== 'number') bad('a number');
        break;
      case 'bool':
        if (typeof v !== 'boolean') bad('true or false');
        break;
      case 'duration':
        if (!(v === 0 || (typeof v === 'string' && GO_DURATION.test(v)))) bad('a duration string like "30s" or "24h" (units ns, us, ms, s, m, h)');
        break;
      case 'size':
        if (!(v === 0 || (typeof v === 'string' && SIZE.test(v)))) bad('a size string with a unit like "1MiB"');
        break;
      case 'list(string)':
        if (!Array.isArray(v)) bad('a list of strings');
        else v.forEach((x) => typeof x !== 'string' && !isExpression(x) && bad('a list of strings'));
        break;
      case 'map(string)':
        if (!v || typeof v !== 'object' || Array.isArray(v)) bad('an object');
        else Object.values(v).forEach((x) => typeof x !== 'string' && !isExpression(x as Value) && bad('an object of strings'));
        break;
      case 'targets':
        if (!Array.isArray(v)) bad('a list of targets or a reference to one');
        break;
      case 'receivers':
        if (!Array.isArray(v)) bad('a list of component references');
        else for (const x of v) if (!(x instanceof Identifier)) at(s, where, `expected a reference like loki.write.default.receiver, got ${show(x)} (a quoted reference is only a string)`);
        break;
    }
  };

  const checkBody = (b: Block, where: string, spec: BlockSpec) => {
    const seen = new Map<string, number>();
    for (const s of b.body) {
      seen.set(s.name, (seen.get(s.name) ?? 0) + 1);
      const inner = `${where} > ${s.name}`;
      if (s.kind === 'attr') {
        const attr: AttrSpec | undefined = spec.attrs[s.name];
        if (!attr) {
          at(s, inner, spec.blocks?.[s.name] ? 'is a block, written as an attribute' : 'unknown attribute');
          continue;
        }
        if (seen.get(s.name)! > 1) at(s, inner, 'attribute given more than once');
        checkType(s, inner, attr.type, s.value);
        checkExpressions(s, inner, s.value);
      } else {
        const nested: NestedBlockSpec | undefined = spec.blocks?.[s.name];
        if (!nested) {
          at(s, inner, spec.attrs[s.name] ? 'is an attribute, written as a block' : 'unknown block');
          continue;
        }
        if (s.label !== undefined) at(s, inner, `nested blocks take no label, got "${s.label}"`);
        if (!nested.repeatable && seen.get(s.name)! > 1) at(s, inner, 'block may only be given once');
        checkBody(s, inner, nested);
      }
    }
    for (const [name, attr] of Object.entries(spec.attrs)) if (attr.required && !seen.has(name)) problems.push(`line ${LINES.get(b) ?? '?'}: ${where}: missing required attribute ${name}`);
    for (const [name, nested] of Object.entries(spec.blocks ?? {})) if (nested.required && !seen.has(name)) problems.push(`line ${LINES.get(b) ?? '?'}: ${where}: missing required block ${name}`);
  };

  for (const b of file.blocks) {
    const spec = COMPONENTS[b.name] ?? CONFIG_BLOCKS[b.name];
    if (spec) checkBody(b, b.label !== undefined ? `${b.name} "${b.label}"` : b.name, spec);
  }
  return problems;
}
