/**
 * Reads Alloy configuration text back into the model of lib/alloy/syntax.ts, following the scanner and
 * parser rules of grafana/alloy v1.18.1 (syntax/scanner/scanner.go, syntax/parser/internal.go): statements end
 * at a line break, `{` on the block's line, labels are identifier strings, Go escapes only, `//` and `/* *\/`
 * comments, no `#`, no single quotes, decimal numbers, a comma before a line break inside lists and objects.
 * It exists to check what the serializer writes (structural validation, pipeline evaluation in tests), so it
 * reports the first syntax error with its line and column and does not recover.
 */
import { Access, AlloyFile, Binary, BinaryOperator, Block, Call, Identifier, ObjectValue, Statement, Value } from './syntax';

export class AlloySyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly col: number,
    message: string,
  ) {
    super(`${line}:${col}: ${message}`);
  }
}

type TokenType = 'ident' | 'string' | 'number' | 'punct' | 'newline' | 'eof';
interface Token {
  type: TokenType;
  text: string;
  /** Decoded value of a string literal. */
  value?: string;
  line: number;
  col: number;
}

const PUNCT = ['==', '!=', '<=', '>=', '&&', '||', '{', '}', '[', ']', '(', ')', '=', ',', '.', '+', '-', '*', '/', '%', '^', '<', '>', '!'];
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  // As in Go, a line break ends a statement only after a token that can end one (syntax/scanner/scanner.go
  // insertTerm): an identifier, a literal, or a closing bracket. After `=`, `,`, `+`, `(`, `[`, `{` it is space.
  const endsStatement = () => {
    const last = tokens[tokens.length - 1];
    return last !== undefined && (last.type === 'ident' || last.type === 'string' || last.type === 'number' || (last.type === 'punct' && [')', ']', '}'].includes(last.text)));
  };
  const err = (at: number, msg: string): never => {
    throw new AlloySyntaxError(line, at - lineStart + 1, msg);
  };
  while (i < text.length) {
    const c = text[i];
    const col = i - lineStart + 1;
    if (c === '\n') {
      if (endsStatement()) tokens.push({ type: 'newline', text: '\n', line, col });
      i++;
      line++;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) err(i, 'comment not terminated');
      // A comment spanning lines acts like a line break.
      if (text.slice(i, end).includes('\n') && endsStatement()) tokens.push({ type: 'newline', text: '\n', line, col });
      for (let j = i; j < end; j++) if (text[j] === '\n') (line++, (lineStart = j + 1));
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      let out = '';
      for (;;) {
        if (j >= text.length || text[j] === '\n') err(i, 'string literal not terminated');
        const d = text[j];
        if (d === '"') break;
        if (d !== '\\') {
          out += d;
          j++;
          continue;
        }
        const e = text[j + 1];
        if (e in SIMPLE_ESCAPES) {
          out += SIMPLE_ESCAPES[e];
          j += 2;
        } else if (/[0-7]/.test(e)) {
          const oct = text.slice(j + 1, j + 4);
          if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) err(j, `invalid octal escape \\${oct}`);
          out += String.fromCharCode(parseInt(oct, 8));
          j += 4;
        } else if (e === 'x' || e === 'u' || e === 'U') {
          const n = { x: 2, u: 4, U: 8 }[e];
          const hex = text.slice(j + 2, j + 2 + n);
          if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) err(j, `invalid escape \\${e}${hex}`);
          const cp = parseInt(hex, 16);
          if (e !== 'x' && ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)) err(j, `escape \\${e}${hex} is not a valid Unicode code point`);
          out += e === 'x' ? String.fromCharCode(cp) : String.fromCodePoint(cp);
          j += 2 + n;
        } else {
          err(j, `unknown escape sequence \\${e ?? ''}`);
        }
      }
      tokens.push({ type: 'string', text: text.slice(i, j + 1), value: out, line, col });
      i = j + 1;
    } else if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) err(i, 'raw string literal not terminated');
      const raw = text.slice(i + 1, end);
      tokens.push({ type: 'string', text: text.slice(i, end + 1), value: raw.replace(/\r/g, ''), line, col });
      for (let j = i; j < end; j++) if (text[j] === '\n') (line++, (lineStart = j + 1));
      i = end + 1;
    } else if (c === "'") {
      err(i, 'illegal single-quoted string');
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(\d*\.?\d+|\d+\.)([eE][+-]?\d+)?/.exec(text.slice(i))!;
      if (/^[A-Za-z_]/.test(text.slice(i + m[0].length))) err(i, `invalid number ${text.slice(i, i + m[0].length + 1)}`);
      tokens.push({ type: 'number', text: m[0], line, col });
      i += m[0].length;
    } else if (/[\p{L}_]/u.test(c)) {
      const m = /^[\p{L}_][\p{L}\p{Nd}_]*/u.exec(text.slice(i))!;
      tokens.push({ type: 'ident', text: m[0], line, col });
      i += m[0].length;
    } else {
      const p = PUNCT.find((x) => text.startsWith(x, i));
      if (!p) err(i, `illegal character ${JSON.stringify(c)}`);
      tokens.push({ type: 'punct', text: p!, line, col });
      i += p!.length;
    }
  }
  tokens.push({ type: 'eof', text: '', line, col: i - lineStart + 1 });
  return tokens;
}

/** Line of each parsed statement, for messages. */
export const LINES = new WeakMap<Statement, number>();

const BINARY_LEVELS: BinaryOperator[][] = [['||'], ['&&'], ['==', '!=', '<', '<=', '>', '>='], ['+', '-'], ['*', '/', '%'], ['^']];

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private get tok(): Token {
    return this.tokens[this.pos];
  }
  private fail(msg: string, t = this.tok): never {
    throw new AlloySyntaxError(t.line, t.col, msg);
  }
  private is(text: string): boolean {
    return this.tok.type === 'punct' && this.tok.text === text;
  }
  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected ${JSON.stringify(text)}, got ${this.describe(this.tok)}`);
    return this.tokens[this.pos++];
  }
  private describe(t: Token): string {
    return t.type === 'newline' ? 'a line break' : t.type === 'eof' ? 'the end of the file' : JSON.stringify(t.text);
  }
  private skipNewlines(): void {
    while (this.tok.type === 'newline') this.pos++;
  }

  body(closing: '}' | 'eof'): Statement[] {
    const out: Statement[] = [];
    this.skipNewlines();
    const atClose = () => (closing === 'eof' ? this.tokens[this.pos].type === 'eof' : this.is('}'));
    while (!atClose()) {
      if (this.tok.type === 'eof') this.fail('block not closed: expected "}"');
      out.push(this.statement());
      // A statement ends at a line break, or directly before the block's closing brace.
      if (this.tokens[this.pos].type === 'newline') this.skipNewlines();
      else if (!atClose()) this.fail(`expected a line break after the statement, got ${this.describe(this.tok)}`);
    }
    return out;
  }

  private statement(): Statement {
    const start = this.tok;
    if (start.type !== 'ident') this.fail(`expected an attribute or block name, got ${this.describe(start)}`);
    const parts = [start.text];
    this.pos++;
    while (this.is('.')) {
      this.pos++;
      if (this.tok.type !== 'ident') this.fail(`expected an identifier after ".", got ${this.describe(this.tok)}`);
      parts.push(this.tokens[this.pos++].text);
    }
    let s: Statement;
    if (this.is('=')) {
      if (parts.length > 1) this.fail(`attribute name ${parts.join('.')} must be a single identifier`, start);
      this.pos++;
      s = { kind: 'attr', name: parts[0], value: this.expression() };
    } else {
      let label: string | undefined;
      if (this.tok.type === 'string') {
        label = this.tok.value!;
        if (!/^[\p{L}_][\p{L}\p{Nd}_]*$/u.test(label)) this.fail(`block label ${this.tok.text} must be a valid identifier`);
        this.pos++;
      }
      this.expect('{');
      const body = this.body('}');
      this.expect('}');
      s = { kind: 'block', name: parts.join('.'), ...(label !== undefined ? { label } : {}), body };
    }
    LINES.set(s, start.line);
    return s;
  }

  expression(level = 0): Value {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.expression(level + 1);
    while (this.tok.type === 'punct' && (BINARY_LEVELS[level] as string[]).includes(this.tok.text)) {
      const op = this.tokens[this.pos++].text as BinaryOperator;
      left = new Binary(op, left, this.expression(level + 1));
    }
    return left;
  }

  private unary(): Value {
    if (this.is('-') && this.tokens[this.pos + 1].type === 'number') {
      this.pos++;
      return -Number(this.tokens[this.pos++].text);
    }
    if (this.is('-') || this.is('!')) this.fail(`unary ${this.tok.text} is only modelled before a number`);
    let v = this.primary();
    // Postfix indexing and field access (syntax/parser/internal.go parsePrimaryExpr).
    for (;;) {
      if (this.is('[')) {
        this.pos++;
        const index = this.expression();
        this.expect(']');
        v = new Access(v, { index });
      } else if (this.is('.')) {
        this.pos++;
        if (this.tok.type !== 'ident') this.fail(`expected an identifier after ".", got ${this.describe(this.tok)}`);
        v = new Access(v, { field: this.tokens[this.pos++].text });
      } else {
        return v;
      }
    }
  }

  private primary(): Value {
    const t = this.tok;
    if (t.type === 'string') return (this.pos++, t.value!);
    if (t.type === 'number') return (this.pos++, Number(t.text));
    if (this.is('(')) {
      this.pos++;
      const v = this.expression();
      this.expect(')');
      return v;
    }
    if (this.is('[')) return this.list();
    if (this.is('{')) return this.object();
    if (t.type === 'ident') {
      if (t.text === 'true' || t.text === 'false') return (this.pos++, t.text === 'true');
      if (t.text === 'null') return (this.pos++, null);
      const path = [t.text];
      this.pos++;
      while (this.is('.')) {
        this.pos++;
        if (this.tok.type !== 'ident') this.fail(`expected an identifier after ".", got ${this.describe(this.tok)}`);
        path.push(this.tokens[this.pos++].text);
      }
      if (this.is('(')) {
        this.pos++;
        const args: Value[] = [];
        while (!this.is(')')) {
          args.push(this.expression());
          if (!this.is(')')) this.expect(',');
        }
        this.pos++;
        return new Call(path.join('.'), args);
      }
      return new Identifier(path);
    }
    return this.fail(`expected an expression, got ${this.describe(t)}`);
  }

  /** Elements separated by commas; a line break is only allowed right after `[`/`{` or a comma. */
  private elements(close: string, element: () => void): void {
    this.skipNewlines();
    while (!this.is(close)) {
      element();
      if (this.is(',')) {
        this.pos++;
        this.skipNewlines();
      } else if (!this.is(close)) {
        this.fail(this.tok.type === 'newline' ? `missing "," before the line break (needed when ${JSON.stringify(close)} is on a later line)` : `expected "," or ${JSON.stringify(close)}, got ${this.describe(this.tok)}`);
      }
    }
    this.pos++;
  }

  private list(): Value[] {
    this.expect('[');
    const out: Value[] = [];
    this.elements(']', () => out.push(this.expression()));
    return out;
  }

  private object(): ObjectValue {
    this.expect('{');
    const out: Record<string, Value> = {};
    this.elements('}', () => {
      const k = this.tok;
      if (k.type !== 'ident' && k.type !== 'string') this.fail(`expected an object key, got ${this.describe(k)}`);
      this.pos++;
      this.expect('=');
      // Quoted keys are taken verbatim by Alloy (no escape decoding).
      out[k.type === 'string' ? k.text.slice(1, -1) : k.text] = this.expression();
    });
    return out;
  }
}

/** Parses a config file; throws AlloySyntaxError on the first problem. Top-level statements must be blocks. */
export function parseAlloy(text: string): AlloyFile {
  const parser = new Parser(tokenize(text));
  const body = parser.body('eof');
  const blocks: Block[] = [];
  for (const s of body) {
    if (s.kind === 'attr') throw new AlloySyntaxError(LINES.get(s) ?? 0, 1, `unrecognized attribute ${s.name} at the top level (only blocks are allowed there)`);
    blocks.push(s);
  }
  return { blocks };
}
