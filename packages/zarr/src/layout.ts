/**
 * Finding what is in a Zarr directory (or at an http(s) URL): which Zarr format, the root node, and the
 * images (series) it holds under the OME-Zarr layouts (single image, bioformats2raw container, plate),
 * without reading pixels.
 */
import { CorruptFileError } from '@bfio/core';
import { exists, joinLocation as join, readBytes } from './location.js';

export type ZarrFormat = 2 | 3;

export interface NodeInfo {
  kind: 'array' | 'group';
  attrs: Record<string, unknown>;
}

const decoder = new TextDecoder();

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  const bytes = await readBytes(file);
  if (!bytes) return undefined;
  const text = decoder.decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // An empty or cut-short metadata file (an interrupted write, a damaged copy).
    throw new CorruptFileError(
      file,
      `this Zarr metadata file is not valid JSON (${(err as Error).message}); restore or rewrite it`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptFileError(file, 'this Zarr metadata file is not a JSON object; restore or rewrite it');
  }
  return value as Record<string, unknown>;
}

/** The Zarr metadata files that make a directory a Zarr node. */
export const MARKERS = ['zarr.json', '.zgroup', '.zarray', '.zattrs'] as const;

/** Which of the marker files a directory has. */
export async function markersIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const m of MARKERS) if (await exists(join(dir, m))) found.push(m);
  return found;
}

/**
 * Where the Zarr hierarchy starts. A directory with Zarr metadata is its own root; an old bioformats2raw
 * output (layout 1, or bfio's "pre-compute slide" layout) keeps it in `data.zarr` with `METADATA.ome.xml`
 * beside it.
 */
export async function locateRoot(
  dir: string,
): Promise<{ root: string; format: ZarrFormat; omeXmlFile?: string } | undefined> {
  const here = await markersIn(dir);
  if (here.length) return { root: dir, format: here.includes('zarr.json') ? 3 : 2 };
  const inner = join(dir, 'data.zarr');
  const there = await markersIn(inner);
  if (there.length) {
    const xml = join(dir, 'METADATA.ome.xml');
    return {
      root: inner,
      format: there.includes('zarr.json') ? 3 : 2,
      omeXmlFile: (await exists(xml)) ? xml : undefined,
    };
  }
  return undefined;
}

/**
 * Reads a node's kind and attributes. `consolidated` (v2 `.zmetadata` content) is consulted first so a
 * consolidated store needs no per-node reads. Returns undefined when there is no node at `rel`.
 */
export async function readNode(
  root: string,
  rel: string,
  format: ZarrFormat,
  consolidated?: Record<string, unknown>,
): Promise<NodeInfo | undefined> {
  const dir = rel ? join(root, rel) : root;
  if (format === 3) {
    const meta = await readJson(join(dir, 'zarr.json'));
    if (!meta) return undefined;
    const attrs = (meta.attributes as Record<string, unknown> | undefined) ?? {};
    return { kind: meta.node_type === 'array' ? 'array' : 'group', attrs };
  }
  const key = (name: string) => (rel ? `${rel}/${name}` : name);
  const fromCons = (name: string) => consolidated?.[key(name)] as Record<string, unknown> | undefined;
  const zarray = fromCons('.zarray') ?? (await readJson(join(dir, '.zarray')));
  const zgroup = zarray ? undefined : (fromCons('.zgroup') ?? (await readJson(join(dir, '.zgroup'))));
  const attrs = fromCons('.zattrs') ?? (await readJson(join(dir, '.zattrs')));
  if (!zarray && !zgroup && !attrs) return undefined;
  return { kind: zarray ? 'array' : 'group', attrs: attrs ?? {} };
}

/** The consolidated metadata of a v2 store (`.zmetadata`), if any. */
export async function readConsolidated(root: string): Promise<Record<string, unknown> | undefined> {
  const doc = await readJson(join(root, '.zmetadata'));
  const metadata = doc?.metadata;
  return typeof metadata === 'object' && metadata !== null
    ? (metadata as Record<string, unknown>)
    : undefined;
}

export async function readText(file: string): Promise<string | undefined> {
  const bytes = await readBytes(file);
  return bytes ? decoder.decode(bytes) : undefined;
}
