/**
 * Every file a package or app README names exists: its backticked paths (`src/reader/open.ts`,
 * `apps/cli/test/parts.test.ts`), backticked source file names and relative links. Files move in refactors
 * and READMEs are where readers go first; a README pointing at `src/zstd-pool.ts` after it was gone is how
 * this test came about.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingPaths, namedPaths } from '../../../test-support/readme-paths.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const readmes = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(repoRoot, group))
    .map((name) => join(repoRoot, group, name, 'README.md'))
    .filter((path) => {
      try {
        readFileSync(path);
        return true;
      } catch {
        return false;
      }
    }),
);

describe('the README path finder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = join(dir, 'packages', 'demo');
  mkdirSync(join(pkg, 'src', 'reader'), { recursive: true });
  mkdirSync(join(dir, 'test-support', 'browser'), { recursive: true });
  writeFileSync(join(pkg, 'src', 'reader', 'open.ts'), '');
  writeFileSync(join(dir, 'test-support', 'browser', 'page.ts'), '');
  const markdown = [
    'Opening is `src/reader/open.ts` (was `src/reader.ts`); see [the reader](src/reader/open.ts) and',
    '[an old link](src/old.ts#L3), `open.ts`, `gone.ts`, `src/reader/`, `src/writer/`.',
    'Harness (`test-support/browser/`): `page.ts`, `servers.ts`.',
    'Not ours: `in.ome.tif`, `zarr.json`, `https://example.com/x.ts`, `apps/demo/dist/`, `src/**/*.ts`, `@bfio/core`.',
    '```ts',
    "import { x } from './src/nowhere.ts';",
    '```',
  ].join('\n');

  it('finds backticked paths, source file names and links, outside code blocks', () => {
    const texts = namedPaths(markdown).map((n) => n.text);
    expect(texts).toEqual([
      'src/reader/open.ts',
      'src/reader.ts',
      'src/reader/open.ts',
      'src/old.ts',
      'open.ts',
      'gone.ts',
      'src/reader/',
      'src/writer/',
      'test-support/browser/',
      'page.ts',
      'servers.ts',
    ]);
  });

  it('reports each one that names no file (paths from the README or the root, names in its package or named folders)', () => {
    const missing = missingPaths(join(pkg, 'README.md'), markdown, dir).map((m) => `${m.line} ${m.text}`);
    expect(missing).toEqual([
      '1 src/reader.ts',
      '2 src/old.ts',
      '2 gone.ts',
      '2 src/writer/',
      '3 servers.ts',
    ]);
  });
});

describe('the package and app READMEs', () => {
  it('are all read, and name files', () => {
    expect(readmes.length).toBeGreaterThanOrEqual(10);
    const named = readmes.flatMap((r) => namedPaths(readFileSync(r, 'utf8')));
    expect(named.length).toBeGreaterThan(50);
  });

  it.each(readmes.map((r) => [r.slice(repoRoot.length + 1), r]))(
    '%s names only files that exist',
    (_, readme) => {
      const missing = missingPaths(readme, readFileSync(readme, 'utf8'), repoRoot);
      expect(missing.map((m) => `line ${m.line}: ${m.text}`)).toEqual([]);
    },
  );
});
