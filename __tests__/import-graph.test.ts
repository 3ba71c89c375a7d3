/**
 * The project's imports read one way (STYLE.md: config ← topology ← engine builders and k8s blocks ← charts ←
 * stack ← CLI): no module may reach itself through its imports. Every `import`, `export … from`, `import type`,
 * `require()` and dynamic `import()` counts, type-only ones too: a type import still ties two files' layers.
 * (TypeScript 7, the project's compiler, has no JavaScript API, so the specifiers are read with one regex.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';

const SOURCES = ['lib', 'charts', 'bin', 'tools', 'main.ts'];
const EXTENSIONS = ['.ts', '.js', '.mjs'];

function sourceFiles(entry: string): string[] {
  const full = path.join(ROOT, entry);
  if (!statSync(full).isDirectory()) return [full];
  return readdirSync(full).flatMap((name) => {
    const child = path.join(entry, name);
    if (statSync(path.join(ROOT, child)).isDirectory()) return sourceFiles(child);
    return EXTENSIONS.includes(path.extname(name)) && !name.endsWith('.d.ts') ? [path.join(ROOT, child)] : [];
  });
}

/** The project file a relative specifier names, or undefined for packages and files outside the walked set. */
function resolve(from: string, specifier: string, known: Set<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, ...EXTENSIONS.map((ext) => base + ext), ...EXTENSIONS.map((ext) => path.join(base, 'index' + ext))];
  return candidates.find((candidate) => known.has(candidate));
}

/** Module specifiers of `… from 'x'`, `import 'x'`, `import('x')` and `require('x')`, comment lines left out. */
export function specifiers(source: string): string[] {
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
  const pattern = /\bfrom\s*(['"])([^'"\n]+)\1|\bimport\s*\(?\s*(['"])([^'"\n]+)\3|\brequire\s*\(\s*(['"])([^'"\n]+)\5\s*\)/g;
  return [...code.matchAll(pattern)].map((m) => m[2] ?? m[4] ?? m[6]);
}

export type Graph = Map<string, string[]>;

export function importGraph(): Graph {
  const files = SOURCES.flatMap(sourceFiles);
  const known = new Set(files);
  const graph: Graph = new Map();
  for (const file of files) {
    const targets = specifiers(readFileSync(file, 'utf8'))
      .map((specifier) => resolve(file, specifier, known))
      .filter((t): t is string => !!t);
    graph.set(path.relative(ROOT, file), [...new Set(targets.map((t) => path.relative(ROOT, t)))].sort());
  }
  return graph;
}

/** Every import circle, one per strongly connected component, each written `a → b → … → a` (shortest from its first file). */
export function importCycles(graph: Graph): string[] {
  // Tarjan's strongly connected components (recursive: the graph is a few hundred files deep at most).
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!indices.has(node)) visit(node);

  components.sort((a, b) => a[0].localeCompare(b[0]));
  return components.map((component) => {
    const members = new Set(component);
    const start = component[0];
    // Breadth-first inside the component: the shortest way from `start` back to itself.
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const node = queue.shift()!;
      const nexts = (graph.get(node) ?? []).filter((n) => members.has(n));
      if (nexts.includes(start)) {
        const cycle = [node];
        while (cycle[0] !== start) cycle.unshift(previous.get(cycle[0])!);
        const whole = component.length > cycle.length ? ` (one circle of ${component.length} files: ${component.join(', ')})` : '';
        return [...cycle, start].join(' → ') + whole;
      }
      for (const next of nexts) {
        if (previous.has(next) || next === start) continue;
        previous.set(next, node);
        queue.push(next);
      }
    }
    return component.join(' → ');
  });
}

describe('import graph', () => {
  const graph = importGraph();

  it('walks every source file and sees its imports', () => {
    // Guards the walker itself: if it read nothing, "no cycle" would be a test that cannot fail.
    expect(graph.get('main.ts')).toEqual(expect.arrayContaining(['lib/stack.ts', 'lib/config/load.ts']));
    expect(graph.get('bin/synth.js')).toEqual(['bin/bundle.js']);
    expect(graph.size).toBeGreaterThan(90);
  });

  it('has no import circle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('reads every form of import', () => {
    const source = [
      "import { a } from './a';",
      "import type { B } from './b';",
      'import {',
      '  c,',
      "} from './c';",
      "export * from './d';",
      "import './e';",
      "const f = require('./f');",
      "const g = await import('./g');",
      "// import { h } from './h';",
      "/* import { i } from './i'; */",
    ].join('\n');
    expect(specifiers(source)).toEqual(['./a', './b', './c', './d', './e', './f', './g']);
  });

  it('fails when files import each other in a circle, naming it', () => {
    const circular: Graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(importCycles(circular)).toEqual(['a.ts → b.ts → c.ts → a.ts', 'e.ts → e.ts']);
  });
});
