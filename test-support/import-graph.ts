/**
 * The module graph of the workspace's own sources (packages/x/src, apps/x/src): every .ts/.mts/.mjs file and the
 * files it imports by a relative path or through its package's `imports` map (`#platform` and the like, every
 * condition). Static imports, re-exports and `import type` count (a type-only cycle still ties two modules
 * together); `import()` counts only when `dynamic` is asked for, as a lazy load is how a cycle is broken on
 * purpose. Bare package names (`@bfio/core`) are edges between packages, not files, and are left out.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export type ImportGraph = Map<string, Set<string>>;

const SOURCE = /\.(ts|mts|mjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.tsbuild', 'native', 'build']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) sourceFiles(path, out);
    } else if (SOURCE.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.d.mts')) out.push(path);
  }
  return out;
}

/** The specifiers a file imports: static ones always, `import()` with a literal argument when asked. */
export function importsOf(text: string, fileName: string, dynamic = false): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      dynamic &&
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every target of a package `imports` entry, whatever the condition (browser and Node twins alike). */
function conditionTargets(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry];
  if (entry && typeof entry === 'object') return Object.values(entry).flatMap(conditionTargets);
  return [];
}

/** The source file a specifier names: `./x.js` is x.ts (or x.mts, x.mjs, x.js), a folder its index. */
function resolveFile(base: string): string | undefined {
  const stem = base.replace(/\.(js|mjs|ts|mts)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.mts`, `${stem}.mjs`, join(base, 'index.ts')];
  return candidates.find((c) => SOURCE.test(c) && existsSync(c) && statSync(c).isFile());
}

/** The import graph of the sources under `roots` (each a package or app folder holding src/). */
export function importGraph(roots: string[], options: { dynamic?: boolean } = {}): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const root of roots) {
    const manifest = join(root, 'package.json');
    const imports: Record<string, unknown> = existsSync(manifest)
      ? (JSON.parse(readFileSync(manifest, 'utf8')).imports ?? {})
      : {};
    for (const file of sourceFiles(join(root, 'src'))) {
      const edges = new Set<string>();
      for (const spec of importsOf(readFileSync(file, 'utf8'), file, options.dynamic)) {
        const targets = spec.startsWith('.')
          ? [resolve(dirname(file), spec)]
          : spec.startsWith('#')
            ? conditionTargets(imports[spec]).map((t) => resolve(root, t))
            : [];
        for (const target of targets) {
          const hit = resolveFile(target);
          if (hit) edges.add(hit);
        }
      }
      graph.set(file, edges);
    }
  }
  return graph;
}

/** A cycle as a closed path starting at its smallest node, so the same cycle always reads the same. */
function rotated(loop: string[]): string[] {
  const first = loop.indexOf([...loop].sort()[0]!);
  const path = [...loop.slice(first), ...loop.slice(0, first)];
  return [...path, path[0]!];
}

/**
 * One cycle of the graph as a path that ends where it starts, or undefined when it has none (depth-first
 * search; a node met again while still on the stack closes a cycle).
 */
export function findCycle(graph: ImportGraph): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'open') return rotated(stack.slice(stack.indexOf(next)));
      if (s === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every cycle found by repeatedly removing one edge of the cycle found (enough to list each distinct one). */
export function allCycles(graph: ImportGraph, limit = 50): string[][] {
  const copy: ImportGraph = new Map([...graph].map(([k, v]) => [k, new Set(v)]));
  const cycles: string[][] = [];
  for (let cycle = findCycle(copy); cycle && cycles.length < limit; cycle = findCycle(copy)) {
    cycles.push(cycle);
    copy.get(cycle[cycle.length - 2]!)!.delete(cycle[cycle.length - 1]!);
  }
  return cycles;
}

/** The package and app folders of the workspace at `repoRoot`. */
export function workspaceRoots(repoRoot: string): string[] {
  return ['packages', 'apps'].flatMap((group) => {
    const dir = join(repoRoot, group);
    return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
  });
}

export function describeCycle(cycle: string[], repoRoot: string): string {
  return cycle.map((f) => relative(repoRoot, f)).join(' → ');
}
