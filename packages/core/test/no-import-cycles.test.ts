/**
 * No module of packages/x/src or apps/x/src imports itself back, directly or through others (type-only
 * imports included). A cycle makes load order matter (a class read before its module ran is undefined) and
 * ties two concerns into one; the last two (bio-reader ⇄ tile-iterator, transfer ⇄ transfer-jni) were broken
 * by moving the shared contract into a module of its own.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  allCycles,
  describeCycle,
  findCycle,
  type ImportGraph,
  importGraph,
  importsOf,
  workspaceRoots,
} from '../../../test-support/import-graph.js';

const repoRoot = resolve(import.meta.dirname, '../../..');

const graphOf = (edges: Record<string, string[]>): ImportGraph =>
  new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

describe('the cycle finder', () => {
  it('finds none in a graph without cycles (a diamond, shared leaves)', () => {
    expect(findCycle(graphOf({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [], e: ['a', 'd'] }))).toBeUndefined();
  });

  it('finds a cycle however long, and a self-import', () => {
    expect(findCycle(graphOf({ a: ['b'], b: ['c'], c: ['d'], d: ['b'], e: [] }))).toEqual([
      'b',
      'c',
      'd',
      'b',
    ]);
    expect(findCycle(graphOf({ a: ['a'] }))).toEqual(['a', 'a']);
    expect(allCycles(graphOf({ a: ['b'], b: ['a'], c: ['d'], d: ['c'] }))).toHaveLength(2);
  });

  it('counts import type, re-exports and side-effect imports, and import() only when asked', () => {
    const text = [
      "import type { A } from './a.js';",
      "export { b } from './b.js';",
      "export * from './c.js';",
      "import './d.mjs';",
      "const e = await import('./e.js');",
    ].join('\n');
    expect(importsOf(text, 'x.ts')).toEqual(['./a.js', './b.js', './c.js', './d.mjs']);
    expect(importsOf(text, 'x.ts', true)).toContain('./e.js');
  });

  describe('on files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bfio-cycles-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('resolves ./x.js to x.ts, ./y.mjs and #imports, and reports the cycle they close', () => {
      const pkg = join(dir, 'pkg');
      const src = join(pkg, 'src');
      mkdirSync(join(src, 'platform'), { recursive: true });
      writeFileSync(
        join(pkg, 'package.json'),
        JSON.stringify({
          imports: { '#platform': { browser: './src/platform/web.ts', default: './src/platform/node.ts' } },
        }),
      );
      writeFileSync(
        join(src, 'reader.ts'),
        "import { iterate } from './tiles.js';\nexport class Reader {}\n",
      );
      writeFileSync(
        join(src, 'tiles.ts'),
        "import { helper } from './helper.mjs';\nexport const iterate = 1;\n",
      );
      writeFileSync(join(src, 'helper.mjs'), "import '#platform';\nexport const helper = 1;\n");
      writeFileSync(join(src, 'platform', 'node.ts'), 'export const x = 1;\n');
      writeFileSync(join(src, 'platform', 'web.ts'), "import type { Reader } from '../reader.js';\n");
      const graph = importGraph([pkg]);
      const cycle = findCycle(graph);
      expect(cycle && describeCycle(cycle, src)).toBe(
        'helper.mjs → platform/web.ts → reader.ts → tiles.ts → helper.mjs',
      );
      writeFileSync(join(src, 'platform', 'web.ts'), 'export const x = 1;\n');
      expect(findCycle(importGraph([pkg]))).toBeUndefined();
    });
  });
});

describe('the workspace sources', () => {
  it('have no import cycle', () => {
    const graph = importGraph(workspaceRoots(repoRoot));
    // The walk saw the packages (a broken walk would find no cycles trivially).
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get(join(repoRoot, 'packages/core/src/bio-reader.ts'))).toContain(
      join(repoRoot, 'packages/core/src/tile-iterator.ts'),
    );
    expect(allCycles(graph).map((c) => describeCycle(c, repoRoot))).toEqual([]);
  });
});
