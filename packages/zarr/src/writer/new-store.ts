/**
 * The arrays of a new store, made before any pixel: each level's metadata documents written and its
 * zarrita arrays opened (sharded levels with their ShardWriter); the group documents wait for close.
 */
import type { DType } from '@bfio/core';
import { join, mkdir, relative, writeFile } from '#platform';
import { writeDocs } from '../fs-helpers.js';
import { arrayDocuments, groupDocuments } from '../metadata-docs.js';
import type { Publisher } from '../publisher.js';
import { ShardWriter } from '../shard.js';
import { ChunkWriteStore, NodeStore } from '../store.js';
import type { StoreLayout, Vec5 } from '../store-layout.js';
import { type LevelState, openArray } from './levels.js';
import type { ZarrCreateOptions } from './options.js';

/** Writes each level's array documents into `dir` and opens the arrays. */
export async function createLevels(
  file: string,
  dir: string,
  layout: StoreLayout,
  dtype: DType,
  options: ZarrCreateOptions,
  publisher: Publisher | undefined,
): Promise<LevelState[]> {
  const { format, shapes, levelChunks, levelShards, compression, level } = layout;
  /** This writer's level k is the store's level `firstLevel + k`; the store's `firstLevel` is only read. */
  const firstLevel = options.firstLevel ?? 0;
  const store = new NodeStore(dir);
  const writeStore = new ChunkWriteStore(dir);
  const levels: LevelState[] = [];
  for (let k = 0; k < shapes.length; k++) {
    const s = shapes[k] as Vec5;
    const c = levelChunks[k] as Vec5;
    const sh = levelShards?.[k];
    const path = String(firstLevel + k);
    await writeDocs(
      join(dir, path),
      arrayDocuments(
        { format, shape: s, chunks: c, dtype, compression, level, shards: sh, fillValue: layout.fill },
        file,
      ),
    );
    levels.push({
      path,
      stored: k > 0 || (options.storeFirstLevel ?? firstLevel === 0),
      array: await openArray(store, format, path),
      writes: await openArray(writeStore, format, path),
      shape: s,
      chunks: c,
      buffers: new Map(),
      shards:
        sh &&
        new ShardWriter(
          s,
          c,
          sh,
          (index) => join(dir, path, 'c', ...index.map(String)),
          publisher && ((path) => publisher.publish(relative(dir, path))),
        ),
    });
  }
  return levels;
}

/** The OME-XML and, last, the group metadata: until it exists the directory is not an OME-Zarr image. */
export async function writeGroupDocs(dir: string, layout: StoreLayout): Promise<void> {
  await mkdir(join(dir, 'OME'), { recursive: true });
  await writeFile(join(dir, 'OME', 'METADATA.ome.xml'), layout.xml);
  await writeDocs(dir, groupDocuments(layout.format, layout.ngff));
}
