/** bfio's append mode: the levels of an existing store whose level 0 matches what the writer was given. */
import {
  CorruptFileError,
  type DownsampleMode,
  type DType,
  InvalidDataError,
  UnsupportedError,
} from '@bfio/core';
import { join, readFile } from '#platform';
import { locateRoot, readNode } from '../layout.js';
import { ngffRoot, parseMultiscale } from '../ngff.js';
import { ChunkWriteStore, NodeStore } from '../store.js';
import type { Vec5 } from '../store-layout.js';
import { type LevelState, openArray } from './levels.js';

export interface AppendTarget {
  /** The store's root folder (chunks are written there, each atomically). */
  root: string;
  levels: LevelState[];
  /** The downsampling the store was made with (else the one asked for). */
  mode: DownsampleMode;
}

export async function openAppend(
  file: string,
  dtype: DType,
  shape: Vec5,
  mode: DownsampleMode,
): Promise<AppendTarget> {
  const located = await locateRoot(file);
  if (!located) throw new CorruptFileError(file, 'append: the target exists but is not a Zarr store');
  const { root, format } = located;
  const node = await readNode(root, '', format);
  if (node?.kind !== 'group') throw new CorruptFileError(file, 'append: the store has no image group');
  const { ngff } = ngffRoot(node.attrs);
  let paths: string[];
  let ms: ReturnType<typeof parseMultiscale>;
  try {
    ms = parseMultiscale(ngff);
    paths = ms.datasets.map((d) => d.path);
  } catch (err) {
    throw new CorruptFileError(file, `append: the store has no usable multiscales (${String(err)})`);
  }
  const store = new NodeStore(root);
  const writeStore = new ChunkWriteStore(root);
  const levels: LevelState[] = [];
  for (const p of paths) {
    if (format === 3 && (await isSharded(join(root, p)))) {
      throw new UnsupportedError(
        `append: ${file} level '${p}' is sharded; appending to sharded stores is not supported (write a new store)`,
        file,
      );
    }
    const array = await openArray(store, format, p);
    if (array.shape.length !== 5) {
      throw new UnsupportedError(
        `append: ${file} level '${p}' is not 5-D (t,c,z,y,x); bfio appends only to its own layout`,
        file,
      );
    }
    levels.push({
      path: p,
      stored: true,
      array,
      writes: await openArray(writeStore, format, p),
      shape: array.shape as Vec5,
      chunks: array.chunks as Vec5,
      buffers: new Map(),
    });
  }
  const first = levels[0] as LevelState;
  if (first.array.dtype !== dtype || first.shape.some((n, i) => n !== shape[i])) {
    throw new InvalidDataError(
      `append: ${file} holds ${first.array.dtype} T,C,Z,Y,X=${first.shape} but the writer was given ${dtype} ${shape}`,
      file,
    );
  }
  const stored = (ms as unknown as { type?: string }).type;
  return {
    root,
    levels,
    mode: stored === 'nearest' || stored === 'mode' || stored === 'max' ? stored : mode,
  };
}

/** True when the v3 array at `dir` stores its chunks in shards. */
async function isSharded(dir: string): Promise<boolean> {
  try {
    const doc = JSON.parse(await readFile(join(dir, 'zarr.json'), 'utf8')) as {
      codecs?: { name?: string }[];
    };
    return doc.codecs?.some((c) => c.name === 'sharding_indexed') === true;
  } catch {
    return false;
  }
}
