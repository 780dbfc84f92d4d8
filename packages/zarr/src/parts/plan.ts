/**
 * Splitting one OME-Zarr image into N parts that independent tasks write (`bfio convert --part i/N`), on
 * any machine, in any order, any number of times.
 *
 * The base level is cut into blocks aligned to whole shards (or chunks) of every level a part writes: a
 * block of the base level is `unit × 2^(owned−1)` pixels in Y and X, `unit` being the shard (or chunk)
 * edge, so every chunk or shard object of levels 0…owned−1 lies inside exactly one block and a part
 * computes its share of the lower levels from its own pixels, never reading another part's chunks. The
 * more levels a part owns, the bigger (and fewer) the blocks: `owned` is the most levels for which there
 * are at least N blocks; levels beyond it are built afterwards from level owned−1 (by `finalize`, or split
 * again with `--level`). Blocks are numbered in t, c, z, y, x order and part i gets the contiguous run
 * [⌊iB/N⌋, ⌊(i+1)B/N⌋): contiguous rows of the source, which TIFF and Zarr sources read best.
 */
import type { DownsampleMode, DType } from '@bfio/core';
import type { StoreLayout, Vec5 } from '../store-layout.js';

export interface PartPlan {
  /** Bumped when the plan's meaning changes: tasks of one store must agree on it. */
  version: 1;
  parts: number;
  /** All levels of the image. */
  levels: number;
  /** Levels 0…owned−1 are written by the parts; the others by finalize / `--level` tasks. */
  owned: number;
  /** The store level of the plan's level 0 (0 for the parts of a conversion; L for tasks building L+1…). */
  sourceLevel: number;
  /** The first of the plan's levels its tasks write: 0 for a conversion, 1 when level 0 is only read. */
  firstWritten: 0 | 1;
  dtype: DType;
  format: 2 | 3;
  compression: 'zstd' | 'none';
  shapes: Vec5[];
  chunks: Vec5[];
  shards: Vec5[] | null;
  /** Block shape in base-level pixels, t,c,z,y,x, and the number of blocks along each axis. */
  block: Vec5;
  grid: Vec5;
  blocks: number;
  /** The writer settings every task uses (chunk and shard options before clamping to level sizes). */
  writer: {
    ngffVersion: '0.4' | '0.5';
    chunks: Vec5;
    shards: Vec5 | null;
    compressionLevel: number;
    downsample: DownsampleMode;
  };
  /** Every metadata document `[path, text]`, in publishing order (group last). */
  documents: Array<[string, string]>;
}

export interface Block {
  index: number;
  origin: Vec5;
  extent: Vec5;
}

const BYTES: Record<DType, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

export const bytesPerPixel = (dtype: DType): number => BYTES[dtype];

const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

/** What blocks are cut from: the levels from the source level down. */
type Pyramid = Pick<StoreLayout, 'shape' | 'shapes' | 'levelChunks' | 'levelShards'>;

/** Edge of the objects (shards, else chunks) of level k. */
function unitOf(layout: Pick<StoreLayout, 'levelChunks' | 'levelShards'>, k: number): Vec5 {
  return (layout.levelShards?.[k] ?? layout.levelChunks[k]) as Vec5;
}

/** The most levels (at least `min`) whose aligned blocks number at least `parts`. */
function ownedLevels(pyramid: Pyramid, parts: number, min: number): number {
  for (let n = pyramid.shapes.length; n > min; n--) if (prod(blockFor(pyramid, n).grid) >= parts) return n;
  return Math.min(min, pyramid.shapes.length);
}

function blockFor(layout: Pyramid, owned: number): { block: Vec5; grid: Vec5 } {
  const base = layout.shape;
  const u0 = unitOf(layout, 0);
  const topShape = layout.shapes[owned - 1] as Vec5;
  const top = unitOf(layout, owned - 1);
  const f = 2 ** (owned - 1);
  // Where the top level is one object across, the block spans the axis (that object needs every pixel);
  // elsewhere the top level's objects are whole shards, and so are those of every level below it.
  const yx = (i: 3 | 4) =>
    Math.ceil((topShape[i] as number) / (top[i] as number)) === 1
      ? (base[i] as number)
      : Math.min(base[i] as number, (top[i] as number) * f);
  const block: Vec5 = [u0[0], u0[1], u0[2], yx(3), yx(4)];
  const grid = base.map((n, i) => Math.ceil(n / (block[i] as number))) as Vec5;
  return { block, grid };
}

/** The plan of `layout` split over `parts` tasks. */
export function planParts(layout: StoreLayout, dtype: DType, parts: number): PartPlan {
  if (!Number.isInteger(parts) || parts < 1)
    throw new RangeError(`parts must be a positive integer, got ${parts}`);
  if (layout.compression !== 'zstd' && layout.compression !== 'none')
    throw new RangeError(`parts are written with zstd or no compression, not '${layout.compression}'`);
  const levels = layout.shapes.length;
  const owned = ownedLevels(layout, parts, 1);
  const { block, grid } = blockFor(layout, owned);
  return {
    version: 1,
    parts,
    levels,
    owned,
    sourceLevel: 0,
    firstWritten: 0,
    dtype,
    format: layout.format,
    compression: layout.compression,
    shapes: layout.shapes,
    chunks: layout.levelChunks,
    shards: layout.levelShards ?? null,
    block,
    grid,
    blocks: prod(grid),
    writer: {
      ngffVersion: layout.version,
      chunks: layout.chunks,
      shards: layout.shards ?? null,
      compressionLevel: layout.level,
      downsample: layout.mode,
    },
    documents: layout.documents(),
  };
}

/**
 * The plan of tasks that build levels `from+1…` of a store from its level `from` (read back from the store),
 * split over `parts`: what `bfio finalize` runs for the levels the parts could not own, and what
 * `bfio convert --part i/N --level L` runs (from = L−1). Level `from` is read, never written.
 */
export function levelPlan(plan: PartPlan, from: number, parts: number): PartPlan {
  if (from < 0 || from >= plan.levels - 1)
    throw new RangeError(`no level after ${from} to build (the image has ${plan.levels})`);
  const pyramid: Pyramid = {
    shape: plan.shapes[from] as Vec5,
    shapes: plan.shapes.slice(from),
    levelChunks: plan.chunks.slice(from),
    levelShards: plan.shards?.slice(from),
  };
  const owned = ownedLevels(pyramid, parts, 2);
  const { block, grid } = blockFor(pyramid, owned);
  return {
    ...plan,
    parts,
    levels: pyramid.shapes.length,
    owned,
    sourceLevel: from,
    firstWritten: 1,
    shapes: pyramid.shapes,
    chunks: pyramid.levelChunks,
    shards: pyramid.levelShards ?? null,
    block,
    grid,
    blocks: prod(grid),
  };
}

/** Block indices [first, end) of part `i` (0-based). */
export function partRange(plan: PartPlan, i: number): [number, number] {
  return [Math.floor((i * plan.blocks) / plan.parts), Math.floor(((i + 1) * plan.blocks) / plan.parts)];
}

/** The block with index `b`: its origin and extent in base-level pixels. */
export function blockAt(plan: PartPlan, b: number): Block {
  const idx = [0, 0, 0, 0, 0] as Vec5;
  let rest = b;
  for (let i = 4; i >= 0; i--) {
    idx[i] = rest % (plan.grid[i] as number);
    rest = Math.floor(rest / (plan.grid[i] as number));
  }
  const base = plan.shapes[0] as Vec5;
  const origin = idx.map((n, i) => n * (plan.block[i] as number)) as Vec5;
  const extent = origin.map((o, i) => Math.min(plan.block[i] as number, (base[i] as number) - o)) as Vec5;
  return { index: b, origin, extent };
}

export function partBlocks(plan: PartPlan, i: number): Block[] {
  const [first, end] = partRange(plan, i);
  return Array.from({ length: end - first }, (_, k) => blockAt(plan, first + k));
}

/** The key of the object (chunk or shard) at grid position `index` of the plan's level k. */
export function objectKey(
  plan: Pick<PartPlan, 'format' | 'sourceLevel'>,
  k: number,
  index: readonly number[],
): string {
  const level = plan.sourceLevel + k;
  return plan.format === 3 ? `${level}/c/${index.join('/')}` : `${level}/${index.join('/')}`;
}

/** Object edge of level k (shard, else chunk). */
export function objectUnit(plan: PartPlan, k: number): Vec5 {
  return (plan.shards?.[k] ?? plan.chunks[k]) as Vec5;
}

/** Grid positions of the objects of level k (0 ≤ k < owned) inside a block. */
export function blockObjects(plan: PartPlan, block: Block, k: number): number[][] {
  const f = 2 ** k;
  const shape = plan.shapes[k] as Vec5;
  const unit = objectUnit(plan, k);
  const ranges = block.origin.map((o, i) => {
    const scale = i >= 3 ? f : 1;
    const lo = o / scale;
    const hi = Math.min(Math.ceil((o + (block.extent[i] as number)) / scale), shape[i] as number);
    const u = unit[i] as number;
    return [Math.floor(lo / u), Math.ceil(hi / u)] as [number, number];
  });
  const out: number[][] = [];
  const walk = (axis: number, acc: number[]) => {
    if (axis === 5) {
      out.push([...acc]);
      return;
    }
    const [lo, hi] = ranges[axis] as [number, number];
    for (let n = lo; n < hi; n++) walk(axis + 1, [...acc, n]);
  };
  walk(0, []);
  return out;
}

/** Every object key of level k. */
export function levelObjects(plan: PartPlan, k: number): string[] {
  const shape = plan.shapes[k] as Vec5;
  const unit = objectUnit(plan, k);
  const grid = shape.map((n, i) => Math.ceil(n / (unit[i] as number)));
  const out: string[] = [];
  const walk = (axis: number, acc: number[]) => {
    if (axis === 5) {
      out.push(objectKey(plan, k, acc));
      return;
    }
    for (let n = 0; n < (grid[axis] as number); n++) walk(axis + 1, [...acc, n]);
  };
  walk(0, []);
  return out;
}

/** What one part reads and writes, for an engine sizing its jobs (`bfio convert --plan N`). */
export interface PartSummary {
  part: number;
  blocks: [number, number];
  /** Bounding box of its blocks in base-level pixels. */
  region: {
    X: [number, number];
    Y: [number, number];
    Z: [number, number];
    C: [number, number];
    T: [number, number];
  };
  /** Objects (chunks or shards) it writes, per level it writes. */
  objects: number[];
  inputBytes: number;
  /** Uncompressed bytes of the objects it writes (the compressed size depends on the image). */
  outputBytes: number;
}

export function summarizePart(plan: PartPlan, i: number): PartSummary {
  const blocks = partBlocks(plan, i);
  const lo = [Infinity, Infinity, Infinity, Infinity, Infinity];
  const hi = [0, 0, 0, 0, 0];
  let inputBytes = 0;
  const objects = Array.from({ length: plan.owned - plan.firstWritten }, () => 0);
  let outputBytes = 0;
  const bpp = bytesPerPixel(plan.dtype);
  for (const b of blocks) {
    b.origin.forEach((o, a) => {
      lo[a] = Math.min(lo[a] as number, o);
      hi[a] = Math.max(hi[a] as number, o + (b.extent[a] as number));
    });
    inputBytes += prod(b.extent) * bpp;
    for (let k = plan.firstWritten; k < plan.owned; k++) {
      const n = blockObjects(plan, b, k).length;
      objects[k - plan.firstWritten] = (objects[k - plan.firstWritten] as number) + n;
      outputBytes += n * prod(objectUnit(plan, k)) * bpp;
    }
  }
  const r = (a: number): [number, number] => (blocks.length ? [lo[a] as number, hi[a] as number] : [0, 0]);
  return {
    part: i,
    blocks: partRange(plan, i),
    region: { T: r(0), C: r(1), Z: r(2), Y: r(3), X: r(4) },
    objects,
    inputBytes,
    outputBytes,
  };
}
