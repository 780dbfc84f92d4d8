/**
 * A level as the writer holds it: its zarrita arrays (one to read back stored chunks, one to store through),
 * its shape and chunks, the chunks being filled, and, sharded, where complete chunks go.
 */
import type { TypedArray } from '@bfio/core';
import * as zarr from 'zarrita';
import type { ZarrFormat } from '../layout.js';
import type { ShardWriter } from '../shard.js';
import type { NodeStore } from '../store.js';
import type { Vec5 } from '../store-layout.js';

export type AnyArray = zarr.Array<zarr.DataType, NodeStore>;

/** A chunk being filled: where it is, its extent (cut at the array's edge) and how many pixels came. */
export interface ChunkBuffer {
  origin: Vec5;
  extent: Vec5;
  data: TypedArray;
  filled: number;
  expected: number;
  /** Append mode only: 1 where this writer supplied the pixel (to merge a partial chunk with the stored one). */
  mask?: Uint8Array;
}

export interface LevelState {
  /** The array's path in the store ('0', '1', …). */
  path: string;
  /** False for a level that is only a source for the next (finalize building the levels parts left). */
  stored: boolean;
  array: AnyArray;
  /** The same array over a ChunkWriteStore: what chunks are stored through (zarrita never reads one back). */
  writes: AnyArray;
  shape: Vec5;
  chunks: Vec5;
  buffers: Map<string, ChunkBuffer>;
  /** Sharded arrays: where complete chunks go. */
  shards?: ShardWriter;
}

/** zarrita's array at `path` of a store the writer made or appends to. */
export async function openArray(store: NodeStore, format: ZarrFormat, path: string): Promise<AnyArray> {
  const loc = zarr.root(store).resolve(path);
  return (format === 3
    ? await zarr.open.v3(loc, { kind: 'array' })
    : await zarr.open.v2(loc, { kind: 'array', attrs: false })) as unknown as AnyArray;
}
