/**
 * The Zarr metadata `bfio validate` needs, read straight from a local store (v2: .zgroup/.zattrs/.zarray,
 * v3: zarr.json) without trusting it: fields are taken as found, the rules judge them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptFileError } from '@bfio/core';

export interface GroupMeta {
  zarrFormat: 2 | 3;
  attrs: Record<string, unknown>;
}

export interface ArrayMeta {
  zarrFormat: 2 | 3;
  shape: unknown;
  dtype: unknown;
  /** Chunk shape (v3: of the chunk grid, which is the shard shape when sharded). */
  chunks: unknown;
  /** Inner chunk shape of a sharded v3 array. */
  innerChunks?: unknown;
  /** v3 dimension_names. */
  dimensionNames?: unknown;
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CorruptFileError(path, `metadata is not JSON (${(err as Error).message})`, undefined, err);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new CorruptFileError(path, 'metadata is not a JSON object');
  }
  return doc as Record<string, unknown>;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The group at `dir`, or undefined when there is none (an array, or nothing). */
export function readGroup(dir: string): GroupMeta | undefined {
  const v3 = readJson(join(dir, 'zarr.json'));
  if (v3) return v3.node_type === 'group' ? { zarrFormat: 3, attrs: obj(v3.attributes) } : undefined;
  const attrs = readJson(join(dir, '.zattrs'));
  if (existsSync(join(dir, '.zgroup')) || (attrs && !existsSync(join(dir, '.zarray')))) {
    return { zarrFormat: 2, attrs: attrs ?? {} };
  }
  return undefined;
}

/** The array at `dir`, or undefined when there is none. */
export function readArray(dir: string): ArrayMeta | undefined {
  const v3 = readJson(join(dir, 'zarr.json'));
  if (v3) {
    if (v3.node_type !== 'array') return undefined;
    const chunks = obj(obj(v3.chunk_grid).configuration).chunk_shape;
    const codecs = Array.isArray(v3.codecs) ? v3.codecs : [];
    const shard = codecs.map(obj).find((c) => c.name === 'sharding_indexed');
    return {
      zarrFormat: 3,
      shape: v3.shape,
      dtype: v3.data_type,
      chunks,
      innerChunks: shard ? obj(shard.configuration).chunk_shape : undefined,
      dimensionNames: v3.dimension_names,
    };
  }
  const v2 = readJson(join(dir, '.zarray'));
  if (!v2) return undefined;
  return { zarrFormat: 2, shape: v2.shape, dtype: v2.dtype, chunks: v2.chunks };
}
