/** Writing an input's files under a directory, and saving a failing input so it can be replayed. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileSet } from './input.js';

export function writeFileSet(dir: string, set: FileSet): string {
  for (const [rel, bytes] of set.files) {
    const path = join(dir, rel);
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    } catch {
      // A moved chunk whose key collides with an existing file or directory: that key is left out.
    }
  }
  // A store whose every key was deleted is still a directory.
  mkdirSync(dirname(join(dir, set.entry)), { recursive: true });
  return join(dir, set.entry);
}

/** What a saved failure holds next to its files (fuzz-input.json): enough to regenerate or replay it. */
export interface SavedInput {
  format: string;
  seed: string;
  baseSeed: number;
  index: number;
  mutation: string;
  entry: string;
  outcome: string;
  detail?: string;
}

export function saveFailure(root: string, set: FileSet, meta: SavedInput): string {
  const dir = join(root, meta.format, `${meta.index}-${meta.outcome}`);
  mkdirSync(dir, { recursive: true });
  writeFileSet(join(dir, 'files'), set);
  writeFileSync(join(dir, 'fuzz-input.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return dir;
}
