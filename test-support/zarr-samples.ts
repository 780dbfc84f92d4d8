/** The Zarr samples of the shared data set, found from MANIFEST.tsv's paths (used by the CLI tests and bench). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from './env.js';

const ZARR_META = /\/(\.zgroup|\.zarray|\.zattrs|zarr\.json)$/;

/**
 * Zarr nodes a user may point bfio at: each store root (topmost directory with Zarr metadata) and, inside a
 * plain Zarr group (no NGFF image, plate or bioformats2raw layout), every array and group below it.
 */
export function zarrSamples(paths: string[]): string[] {
  const dirs = [...new Set(paths.filter((p) => ZARR_META.test(p)).map((p) => p.replace(ZARR_META, '')))];
  const roots = dirs.filter((d) => !dirs.some((o) => o !== d && d.startsWith(`${o}/`)));
  const out = [...roots];
  for (const root of roots) {
    const attrs = readAttrs(root);
    const ome = (attrs.ome as Record<string, unknown> | undefined) ?? attrs;
    if ('multiscales' in ome || 'plate' in ome || 'bioformats2raw.layout' in ome) continue;
    out.push(...dirs.filter((d) => d.startsWith(`${root}/`)));
  }
  return out.sort();
}

/** A Zarr node's attributes (v3 `attributes`, or v2 `.zattrs`), {} when it has none. */
function readAttrs(dir: string): Record<string, unknown> {
  for (const [file, key] of [
    ['zarr.json', 'attributes'],
    ['.zattrs', ''],
  ] as const) {
    try {
      const j = JSON.parse(readFileSync(join(dataPath(dir), file), 'utf8'));
      return (key ? j[key] : j) ?? {};
    } catch {
      // not this Zarr version
    }
  }
  return {};
}
