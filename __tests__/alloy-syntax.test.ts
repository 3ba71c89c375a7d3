/**
 * The Alloy model, its one serializer, the parser that reads it back, and the structural check. Escaping is
 * tested by round trip (what the parser decodes is what the model held) plus the exact text for the cases
 * Alloy is strict about (grafana/alloy v1.18.1 syntax/scanner).
 */
import { AlloySyntaxError, parseAlloy } from '../lib/alloy/parse';
import { quote, renderAlloy, value } from '../lib/alloy/serialize';
import { Access, Binary, block, Call, component, concat, env, Identifier, ref, Value } from '../lib/alloy/syntax';
import { validateAlloy } from '../lib/alloy/validate';

const roundTrip = (v: Value): Value => {
  const text = renderAlloy({ blocks: [block('logging', { level: v })] });
  const parsed = parseAlloy(text).blocks[0].body[0];
  if (parsed.kind !== 'attr') throw new Error('expected an attribute');
  return parsed.value;
};

describe('strings', () => {
  test.each([
    ['plain', 'info'],
    ['double quotes', 'say "hi"'],
    ['backslashes and a regex', '^\\d+\\.\\s*(?P<x>\\w+)$'],
    ['line breaks and tabs', 'a\nb\r\tc'],
    ['control characters', '\u0000\u0007\u001b\u007f'],
    ['non-ASCII and emoji', 'Grüße 日本 🚀'],
    ['a relabel replacement', '/var/log/pods/*$1/*.log'],
    ['a # and // inside', '# not a comment // nor this'],
    ['backticks and single quotes', "`it's`"],
  ])('%s survive the round trip', (_, s) => {
    expect(roundTrip(s)).toBe(s);
  });

  test('any well-formed string survives the round trip (1,000 random strings, fixed seed)', () => {
    let seed = 42;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // Mostly ASCII (quotes, backslashes, control characters), some BMP, some astral code points; no lone surrogates.
    const codePoint = () => {
      const r = next();
      if (r < 0.7) return Math.floor(next() * 128);
      if (r < 0.9) return 0xe000 + Math.floor(next() * 0x2000);
      return 0x10000 + Math.floor(next() * 0xfffff);
    };
    for (let i = 0; i < 1000; i++) {
      const s = String.fromCodePoint(...Array.from({ length: Math.floor(next() * 20) }, codePoint));
      expect(roundTrip(s)).toBe(s);
    }
  });

  test('are written with Go escapes only: \\d becomes \\\\d, never a bare \\d', () => {
    expect(quote('\\d+')).toBe('"\\\\d+"');
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('a\nb')).toBe('"a\\nb"');
  });

  test('fails when a string holds a lone surrogate (Alloy refuses \\uD800)', () => {
    expect(() => quote('x\uD800y')).toThrow('lone UTF-16 surrogate');
  });
});

describe('values', () => {
  test('numbers are decimal; NaN and Infinity are refused', () => {
    expect(value(10)).toBe('10');
    expect(value(0.5)).toBe('0.5');
    expect(value(-1)).toBe('-1');
    expect(roundTrip(1e21)).toBe(1e21);
    expect(roundTrip(-2.5)).toBe(-2.5);
    expect(() => value(NaN)).toThrow('decimal literals only');
    expect(() => value(Infinity)).toThrow('decimal literals only');
  });

  test('object keys are bare identifiers, quoted otherwise (dots, slashes, leading digits, keywords)', () => {
    const text = value({ cluster: 'a', 'app.kubernetes.io/name': 'x', '1st': 'y', true: 'z', _ok: 'w' });
    expect(text).toContain('\n  cluster ');
    expect(text).toContain('"app.kubernetes.io/name" = "x",');
    expect(text).toContain('"1st"');
    expect(text).toContain('"true"');
    expect(text).toContain('\n  _ok ');
    expect(roundTrip({ cluster: 'a', 'app.kubernetes.io/name': 'x', true: 'z' })).toEqual({ cluster: 'a', 'app.kubernetes.io/name': 'x', true: 'z' });
  });

  test('fails when an object key holds a quote or backslash (Alloy reads quoted keys verbatim)', () => {
    expect(() => value({ 'a"b': 'x' })).toThrow('cannot be written in Alloy');
    expect(() => value({ 'a\\b': 'x' })).toThrow('cannot be written in Alloy');
  });

  test('multi-line lists and objects end every element with a comma', () => {
    const long = Array.from({ length: 8 }, (_, i) => `__meta_kubernetes_pod_label_${i}`);
    const text = value(long);
    expect(text.split('\n').slice(1, -1).every((l) => l.endsWith(','))).toBe(true);
    expect(roundTrip(long)).toEqual(long);
    expect(roundTrip([{ a: '1' }, { b: ['x', 'y'] }])).toEqual([{ a: '1' }, { b: ['x', 'y'] }]);
    expect(value([])).toBe('[]');
    expect(value({})).toBe('{}');
  });

  test('references, calls and concatenation are written unquoted and read back as such', () => {
    const write = component('loki.write', 'default');
    expect(value(ref(write, 'receiver'))).toBe('loki.write.default.receiver');
    expect(value(concat('spec.nodeName=', env('HOSTNAME')))).toBe('"spec.nodeName=" + sys.env("HOSTNAME")');
    expect(roundTrip(concat('spec.nodeName=', env('HOSTNAME')))).toEqual(concat('spec.nodeName=', env('HOSTNAME')));
    expect(roundTrip([ref(write, 'receiver')])).toEqual([new Identifier(['loki', 'write', 'default', 'receiver'])]);
  });

  test('indexing and field access on calls and literals round-trip', () => {
    const indexed = new Access(new Access(new Call('encoding.from_json', ['{"a":[1]}']), { field: 'a' }), { index: 0 });
    expect(value(indexed)).toBe('encoding.from_json("{\\"a\\":[1]}").a[0]');
    expect(roundTrip(indexed)).toEqual(indexed);
    expect(roundTrip(new Access(['x', 'y'], { index: 1 }))).toEqual(new Access(['x', 'y'], { index: 1 }));
  });

  test('operands of a weaker operator are parenthesized so the tree survives', () => {
    const tree = new Binary('*', new Binary('+', 1, 2), 3);
    expect(value(tree)).toBe('(1 + 2) * 3');
    expect(roundTrip(tree)).toEqual(tree);
    const right = new Binary('-', 1, new Binary('-', 2, 3));
    expect(value(right)).toBe('1 - (2 - 3)');
    expect(roundTrip(right)).toEqual(right);
  });
});

describe('blocks', () => {
  test('a component with a label, attributes aligned, nested blocks after a blank line', () => {
    const text = renderAlloy({
      blocks: [component('discovery.kubernetes', 'pods', { role: 'pod' }, [block('selectors', { role: 'pod', field: concat('spec.nodeName=', env('HOSTNAME')) })])],
    });
    expect(text).toBe(
      [
        'discovery.kubernetes "pods" {',
        '  role = "pod"',
        '',
        '  selectors {',
        '    role  = "pod"',
        '    field = "spec.nodeName=" + sys.env("HOSTNAME")',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    expect(parseAlloy(text).blocks[0]).toMatchObject({ name: 'discovery.kubernetes', label: 'pods' });
  });

  test('an empty block is written on one line', () => {
    expect(renderAlloy({ blocks: [component('loki.process', 'p', {}, [block('stage.cri')])] })).toContain('  stage.cri {}\n');
  });

  test.each(['loki-gateway', 'loki.gw', '1st', ''])('fails when a label is not an identifier: %j', (label) => {
    expect(() => renderAlloy({ blocks: [component('loki.write', label)] })).toThrow(`label ${JSON.stringify(label)} of loki.write is not an identifier`);
  });

  test('fails when a block or attribute name is not an identifier', () => {
    expect(() => renderAlloy({ blocks: [block('stage-cri')] })).toThrow('block name "stage-cri"');
    expect(() => renderAlloy({ blocks: [block('logging', { 'log-level': 'x' })] })).toThrow('attribute name "log-level"');
  });

  test('undefined attributes are left out', () => {
    expect(renderAlloy({ blocks: [block('logging', { level: 'info', format: undefined })] })).toBe('logging {\n  level = "info"\n}\n');
  });
});

describe('the parser refuses what Alloy refuses', () => {
  const syntaxError = (text: string) => {
    try {
      parseAlloy(text);
    } catch (e) {
      if (e instanceof AlloySyntaxError) return e.message;
      throw e;
    }
    return 'no error';
  };
  test.each([
    ['an invalid escape', 'logging {\n  level = "\\d"\n}\n', '2:12: unknown escape sequence \\d'],
    ['a # comment', '# comment\nlogging {}\n', '1:1: illegal character "#"'],
    ['single quotes', "logging {\n  level = 'info'\n}\n", '2:11: illegal single-quoted string'],
    ['a label that is not an identifier', 'loki.write "loki-gw" {}\n', '1:12: block label "loki-gw" must be a valid identifier'],
    ['an unclosed block', 'logging {\n  level = "info"\n', 'block not closed'],
    ['two statements on one line', 'logging {\n  level = "info" format = "json"\n}\n', 'expected a line break after the statement'],
    ['a missing comma before a line break', 'logging {\n  level = [\n    "a"\n  ]\n}\n', 'missing "," before the line break'],
    ['a hex number', 'logging {\n  level = 0x10\n}\n', 'invalid number 0x'],
    ['a surrogate escape', 'logging {\n  level = "\\uD800"\n}\n', 'not a valid Unicode code point'],
    ['a top-level attribute', 'level = "info"\n', 'unrecognized attribute level at the top level'],
    ['a brace on the next line', 'logging\n{\n}\n', 'expected "{", got a line break'],
  ])('%s', (_, text, message) => {
    expect(syntaxError(text)).toContain(message);
  });

  test('a line break after "=", "+" or "(" does not end the statement (Go terminator rule), after a value it does', () => {
    const file = parseAlloy('logging {\n  level =\n    "a" +\n    sys.env(\n"X")\n  format = "json"\n}\n');
    expect(file.blocks[0].body.map((s) => s.name)).toEqual(['level', 'format']);
    expect(() => parseAlloy('logging {\n  level = "a"\n    + "b"\n}\n')).toThrow('expected an attribute or block name');
  });

  test('comments and raw strings are read', () => {
    const file = parseAlloy('// a comment\n/* and\n another */\nlogging {\n  level = `\\d+`\n}\n');
    expect(file.blocks[0].body[0]).toMatchObject({ name: 'level', value: '\\d+' });
  });
});

describe('structural validation', () => {
  const PIPELINE = `
discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }
}
loki.source.kubernetes "pods" {
  targets    = discovery.kubernetes.pods.targets
  forward_to = [loki.write.default.receiver]
}
loki.write "default" {
  endpoint {
    url = "http://loki:3100/loki/api/v1/push"
  }
}
`;
  test('a well-formed pipeline passes', () => {
    expect(validateAlloy(PIPELINE)).toEqual([]);
  });

  test.each([
    ['an unknown component', 'loki.source.journal "j" {}', 'line 1: loki.source.journal: unknown component or config block'],
    ['a component without a label', 'loki.write {}', 'line 1: loki.write: component without a label'],
    ['a label on a config block', 'logging "x" {}', 'line 1: logging: config block takes no label, got "x"'],
    ['a duplicate component', 'loki.write "a" {}\nloki.write "a" {}', 'line 2: loki.write "a": defined twice'],
    ['an unknown attribute (Promtail spelling)', 'loki.write "a" {\n  endpoint {\n    url = "x"\n    batchwait = "1s"\n  }\n}', 'line 4: loki.write "a" > endpoint > batchwait: unknown attribute'],
    ['a block written as an attribute', 'loki.write "a" {\n  endpoint = {}\n}', 'line 2: loki.write "a" > endpoint: is a block, written as an attribute'],
    ['an attribute written as a block', 'loki.write "a" {\n  external_labels {}\n}', 'line 2: loki.write "a" > external_labels: is an attribute, written as a block'],
    ['a missing required attribute', 'loki.write "a" {\n  endpoint {}\n}', 'line 2: loki.write "a" > endpoint: missing required attribute url'],
    ['a repeated single block', 'discovery.kubernetes "k" {\n  role = "pod"\n  namespaces {}\n  namespaces {}\n}', 'line 4: discovery.kubernetes "k" > namespaces: block may only be given once'],
    ['a repeated attribute', 'discovery.kubernetes "k" {\n  role = "pod"\n  role = "node"\n}', 'line 3: discovery.kubernetes "k" > role: attribute given more than once'],
    ['a "d" duration', 'loki.write "a" {\n  endpoint {\n    url = "x"\n    batch_wait = "1d"\n  }\n}', 'batch_wait: expected a duration string like "30s"'],
    ['a size without unit', 'loki.write "a" {\n  endpoint {\n    url = "x"\n    batch_size = 1048576\n  }\n}', 'batch_size: expected a size string with a unit'],
    ['a string for a bool', 'loki.write "a" {\n  endpoint {\n    url = "x"\n    retry_on_http_429 = "true"\n  }\n}', 'retry_on_http_429: expected true or false, got "true"'],
    ['a quoted reference', 'loki.process "p" {\n  forward_to = ["loki.write.a.receiver"]\n}', 'expected a reference like loki.write.default.receiver, got "loki.write.a.receiver"'],
    ['a reference to an undefined component', 'loki.process "p" {\n  forward_to = [loki.write.missing.receiver]\n}', 'reference loki.write.missing.receiver names loki.write "missing", which this config does not define'],
    ['a reference to a field that is not exported', 'loki.write "a" {}\nloki.process "p" {\n  forward_to = [loki.write.a.input]\n}', 'loki.write exports receiver, not input'],
    ['a reference without a field', 'loki.write "a" {}\nloki.process "p" {\n  forward_to = [loki.write.a]\n}', 'must be loki.write.a.<export>'],
    ['an unknown function', 'discovery.kubernetes "k" {\n  role = env("ROLE")\n}', 'unknown function env'],
    ['an unknown identifier', 'discovery.kubernetes "k" {\n  role = rolename\n}', 'unknown identifier rolename'],
    ['a nested block with a label', 'loki.write "a" {\n  endpoint "x" {\n    url = "y"\n  }\n}', 'nested blocks take no label'],
    ['a syntax error', 'loki.write "a" {\n  endpoint {\n    url = "\\."\n  }\n}', 'line 3:12: syntax: unknown escape sequence \\.'],
  ])('fails on %s', (_, text, message) => {
    expect(validateAlloy(text).join('\n')).toContain(message);
  });
});
