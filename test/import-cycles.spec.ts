// No import cycles in apps/ and libs/, not even through types (STYLE.md). The lint setup has no
// import plugin, so this test is the rule: it reads every import, export-from, require and
// import() of every source file with the TypeScript compiler's own pre-processor (`import type`
// included), resolves each the way tsc does (the @tributary/* paths of tsconfig.json
// included), and fails naming every cycle it finds, as a path from a file back to itself.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..');
const SCANNED = ['apps', 'libs'];
/** Generated code (the Prisma client) is not ours to shape. */
const SKIPPED = [path.join('libs', 'metadata', 'src', 'generated')];
/** Files in one tree, at most: a runaway walk fails instead of hanging. */
const FILES_MAX = 20_000;

type Graph = Map<string, string[]>;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const relative = path.relative(ROOT, full);
    if (entry.name === 'node_modules' || SKIPPED.some((s) => relative.startsWith(s))) continue;
    if (entry.isDirectory()) sourceFiles(full, out);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
    if (out.length > FILES_MAX) throw new Error(`more than ${FILES_MAX} files under ${dir}`);
  }
  return out;
}

function compilerOptions(): ts.CompilerOptions {
  const file = path.join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(file, (f) => ts.sys.readFile(f));
  if (config.error !== undefined)
    throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
}

/** file -> the files among `files` it imports (in any form, types included). */
export function importGraph(files: readonly string[], options: ts.CompilerOptions): Graph {
  const known = new Set(files);
  const graph: Graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule;
      const target = resolved === undefined ? undefined : path.resolve(resolved.resolvedFileName);
      if (target !== undefined && known.has(target) && target !== file) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Every strongly connected component of more than one file (Tarjan's algorithm, iterative). */
function cyclicComponents(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    index.set(start, index.size);
    low.set(start, index.get(start)!);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const to = edges[frame.next++]!;
        if (!index.has(to)) {
          index.set(to, index.size);
          low.set(to, index.get(to)!);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1) components.push(component.sort());
      }
    }
  }
  return components;
}

/** One cycle through the component's first file, as a path back to it (breadth-first). */
function cycleThrough(graph: Graph, component: readonly string[]): string[] {
  const inside = new Set(component);
  const start = component[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const to of graph.get(node) ?? []) {
      if (!inside.has(to)) continue;
      if (to === start) {
        const cycle = [node];
        while (cycle[0] !== start) cycle.unshift(cameFrom.get(cycle[0]!)!);
        return [...cycle, start];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, node);
        queue.push(to);
      }
    }
  }
  throw new Error(`no cycle through ${start} in its own component`);
}

/**
 * One cycle per tangle of files that import each other, as "a.ts -> b.ts -> a.ts" (paths
 * relative to `root`), followed by the tangle's other files when it has more.
 */
export function importCycles(graph: Graph, root: string): string[] {
  return cyclicComponents(graph).map((component) => {
    const cycle = cycleThrough(graph, component);
    const others = component.filter((file) => !cycle.includes(file));
    const named = cycle.map((file) => path.relative(root, file)).join(' -> ');
    if (others.length === 0) return named;
    return `${named} (in a tangle with ${others.map((f) => path.relative(root, f)).join(', ')})`;
  });
}

describe('import cycles', () => {
  const options = compilerOptions();

  test('apps/ and libs/ have none, type imports included', () => {
    const files = SCANNED.flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
    const graph = importGraph(files, options);
    // The scan sees imports at all: a relative one, and a library through its @tributary path.
    const module = path.join(ROOT, 'apps/gateway/src/gateway.module.ts');
    expect(graph.get(module)).toContain(path.join(ROOT, 'apps/gateway/src/node-services.ts'));
    expect(graph.get(module)).toContain(path.join(ROOT, 'libs/metadata/src/index.ts'));
    expect(importCycles(graph, ROOT)).toEqual([]);
  });

  test('a cycle through a type import is found and named', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-cycles-'));
    try {
      const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
      write('a.ts', "import { type B } from './b';\nexport type A = B[];\n");
      write('b.ts', "export type { C as B } from './c';\n");
      write('c.ts', "import type { A } from './a';\nexport interface C { a?: A }\n");
      write('d.ts', "import { type A } from './a';\nexport const d: A = [];\n");
      const files = ['a.ts', 'b.ts', 'c.ts', 'd.ts'].map((f) => path.join(dir, f));
      expect(importCycles(importGraph(files, options), dir)).toEqual([
        'a.ts -> b.ts -> c.ts -> a.ts',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
