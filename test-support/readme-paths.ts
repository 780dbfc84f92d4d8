/**
 * The repository files a README names: backticked paths (`src/reader/open.ts`, `test/shards.test.ts`,
 * `apps/cli/test/parts.test.ts`), backticked source file names (`tiff-writer.ts`) and relative Markdown links.
 * What is not a repository file is left alone: example data names (`in.ome.tif`, `zarr.json`), URLs, globs and
 * templates.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Extensions of the files the READMEs point readers to (sources, tests, scripts, native code, docs). */
const SOURCE_EXT = /\.(ts|mts|cts|mjs|cjs|js|d\.mts|py|c|h|gyp|sh|md)$/;
/** Folders a path naming a repository file starts with (relative to the README, or to the repository root). */
const REPO_DIR =
  /^(\.\.?\/|src\/|test\/|native[\w-]*\/|scripts\/|bench\/|apps\/|packages\/|test-support\/|examples\/|docs\/)/;

export interface NamedPath {
  /** The text as the README has it. */
  text: string;
  line: number;
  kind: 'path' | 'file name' | 'link';
}

/** The paths and file names a README names (see the module comment for what counts). */
export function namedPaths(markdown: string): NamedPath[] {
  const found: Array<NamedPath & { at: number }> = [];
  const lines = markdown.split('\n');
  let fenced = false;
  lines.forEach((raw, i) => {
    if (/^\s*```/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return; // code examples name the user's files, not ours
    for (const m of raw.matchAll(/`([^`\s]+)`/g)) {
      const text = (m[1] as string).replace(/[:#].*$/, '').replace(/[.,;)]+$/, '');
      if (/[*{}<>$]|^[a-z]+:\/\//i.test(text) || text.startsWith('@')) continue;
      // Build output is not in the repository until built.
      if (/(^|\/)(dist|build|\.tsbuild)\//.test(text)) continue;
      if (REPO_DIR.test(text) && (SOURCE_EXT.test(text) || text.endsWith('/')))
        found.push({ text, line: i + 1, kind: 'path', at: m.index });
      else if (!text.includes('/') && SOURCE_EXT.test(text) && !text.startsWith('.'))
        found.push({ text, line: i + 1, kind: 'file name', at: m.index });
    }
    for (const m of raw.matchAll(/\]\(([^)\s]+)\)/g)) {
      const text = (m[1] as string).replace(/#.*$/, '');
      if (!text || /^[a-z]+:/i.test(text)) continue;
      found.push({ text, line: i + 1, kind: 'link', at: m.index });
    }
  });
  // Document order (a line's backticks and links were collected in two passes).
  return found.sort((a, b) => a.line - b.line || a.at - b.at).map(({ at: _, ...named }) => named);
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', '.tsbuild', 'build', '.turbo'].includes(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, out);
    else out.push(path);
  }
  return out;
}

/**
 * The named paths of the README at `readme` that name nothing in the repository at `repoRoot`. A path is
 * looked up next to the README, then from the repository root; a bare file name anywhere in the README's
 * package (or app), or in a folder the README names (a table of `test-support/browser/`'s files).
 */
export function missingPaths(readme: string, markdown: string, repoRoot: string): NamedPath[] {
  const here = dirname(readme);
  const named = namedPaths(markdown);
  const existing = (text: string) =>
    [resolve(here, text), resolve(repoRoot, text)].find(
      (c) => relative(repoRoot, c).split('/')[0] !== '..' && existsSync(c),
    );
  let names: Set<string> | undefined;
  return named.filter(({ text, kind }) => {
    if (kind !== 'file name') return existing(text) === undefined;
    if (!names) {
      const folders = [here, ...named.filter((n) => n.text.endsWith('/')).map((n) => existing(n.text))];
      names = new Set(
        folders
          .filter((f): f is string => f !== undefined && statSync(f).isDirectory())
          .flatMap((f) => filesUnder(f).map((p) => p.slice(p.lastIndexOf('/') + 1))),
      );
    }
    return !names.has(text);
  });
}
