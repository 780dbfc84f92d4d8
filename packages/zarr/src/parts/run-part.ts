/**
 * One task of a conversion split in parts: write the objects of the blocks the plan gives part i, and
 * nothing else. The plan goes to `.bfio/plan.json` first (every task writes the same bytes; a task of a
 * different plan is refused, so two conversions never mix in one store). With `resume`, a block whose
 * objects are all present and whole is skipped without reading the source.
 */
import { BfioError, type DType, pixelTypeFromDType, type TypedArray } from '@bfio/core';
import type { Region } from '@bfio/core/backend';
import { createOme, type OME } from '@bfio/ome-xml';
import type { Vec5 } from '../store-layout.js';
import { ZarrWriter } from '../writer/index.js';
import { type Block, blockObjects, objectKey, type PartPlan, partBlocks } from './plan.js';
import { BOOKKEEPING, readStoreFile, writeStoreFile } from './store-io.js';
import { objectIsWhole } from './verify.js';

export const PLAN_FILE = `${BOOKKEEPING}/plan.json`;

/** Pixels of the plan's level 0 (the source image, or a store level), planar t,c,z,y,x. */
export type PartSource = (origin: Vec5, extent: Vec5) => Promise<TypedArray>;

export interface RunPartOptions {
  /** Skip blocks whose objects are already present and whole (checked by reading them back). */
  resume?: boolean;
  maxWorkers?: number;
  /** Tiles read and written at once (default 4). */
  concurrency?: number;
  onProgress?: (progress: {
    blocksDone: number;
    blocksTotal: number;
    skipped: number;
    bytes: number;
  }) => void;
}

export interface PartResult {
  part: number;
  blocks: number;
  skipped: number;
  bytes: number;
}

const planText = (plan: PartPlan) => `${JSON.stringify(plan)}\n`;

/** What makes two plans write the same store (the split itself may differ: the objects do not). */
function storeIdentity(plan: Partial<PartPlan>): string {
  const { dtype, format, compression, shapes, chunks, shards, writer, documents } = plan;
  return JSON.stringify({ dtype, format, compression, shapes, chunks, shards, writer, documents });
}

/**
 * Records the plan in the store, or checks that the one there writes the same store. Tasks split
 * differently (another N, or `--resume` after parts) write identical objects, so they may meet in one
 * store; the first plan recorded stays (finalize checks every level's objects whatever the split).
 */
export async function recordPlan(target: string, plan: PartPlan): Promise<void> {
  const existing = await readStoreFile(target, PLAN_FILE);
  if (existing) {
    const other = JSON.parse(new TextDecoder().decode(existing)) as Partial<PartPlan>;
    if (storeIdentity(other) === storeIdentity(plan)) return;
    throw new BfioError(
      'file-exists',
      `${target} is being written by another conversion (shape ${JSON.stringify(other.shapes?.[0])}, ${other.shapes?.length} levels, chunks ${JSON.stringify(other.chunks?.[0])}) than this one (shape ${JSON.stringify(plan.shapes[0])}, ${plan.shapes.length} levels, chunks ${JSON.stringify(plan.chunks[0])}); give every task the same input and options, or write to a new store`,
      { file: target },
    );
  }
  await writeStoreFile(target, PLAN_FILE, planText(plan));
}

/** The plan a store's parts recorded. */
export async function readPlan(target: string): Promise<PartPlan> {
  const bytes = await readStoreFile(target, PLAN_FILE);
  if (!bytes) {
    throw new BfioError(
      'not-found',
      `${target} has no part plan (${PLAN_FILE}); it was not written with 'bfio convert --part i/N', or no part has started yet`,
      { file: target },
    );
  }
  return JSON.parse(new TextDecoder().decode(bytes)) as PartPlan;
}

/** Whether every object of `block` (levels the plan writes) is present and whole. */
async function blockDone(target: string, plan: PartPlan, block: Block): Promise<boolean> {
  for (let k = plan.firstWritten; k < plan.owned; k++) {
    for (const index of blockObjects(plan, block, k)) {
      const bytes = await readStoreFile(target, objectKey(plan, k, index));
      if (!bytes || !objectIsWhole(plan, k, index, bytes)) return false;
    }
  }
  return true;
}

/** The OME the writer of a level plan is given: the source level's sizes (its documents are the plan's). */
function levelImage(plan: PartPlan, dtype: DType): OME {
  const [t, c, z, y, x] = plan.shapes[0] as Vec5;
  return createOme({ sizeX: x, sizeY: y, sizeZ: z, sizeC: c, sizeT: t, type: pixelTypeFromDType(dtype) });
}

/**
 * Writes part `part` of `plan` into `target`. `metadata` is the output image's OME (a conversion's parts);
 * level plans (`plan.firstWritten` 1) need none.
 */
export async function runPart(
  target: string,
  plan: PartPlan,
  part: number,
  source: PartSource,
  metadata: OME | undefined,
  options: RunPartOptions = {},
): Promise<PartResult> {
  if (!Number.isInteger(part) || part < 0 || part >= plan.parts) {
    throw new BfioError(
      'invalid-data',
      `part ${part} does not exist: the plan has parts 0…${plan.parts - 1}`,
      {
        file: target,
      },
    );
  }
  const blocks = partBlocks(plan, part);
  const result: PartResult = { part, blocks: blocks.length, skipped: 0, bytes: 0 };
  const todo: Block[] = [];
  for (const block of blocks) {
    if (options.resume && (await blockDone(target, plan, block))) result.skipped++;
    else todo.push(block);
  }
  const report = (done: number) =>
    options.onProgress?.({
      blocksDone: done,
      blocksTotal: blocks.length,
      skipped: result.skipped,
      bytes: result.bytes,
    });
  report(result.skipped);
  if (todo.length === 0) return result;

  const writer = await ZarrWriter.create(target, metadata ?? levelImage(plan, plan.dtype), plan.dtype, {
    part: true,
    overwrite: true,
    ngffVersion: plan.writer.ngffVersion,
    chunks: plan.writer.chunks,
    shards: plan.writer.shards ?? undefined,
    compression: plan.compression,
    compressionLevel: plan.writer.compressionLevel,
    downsample: plan.writer.downsample,
    pyramidLevels: plan.owned - 1,
    firstLevel: plan.sourceLevel,
    storeFirstLevel: plan.firstWritten === 0,
    maxWorkers: options.maxWorkers,
  });
  try {
    // Tiles of one chunk row/column of level 0 across the block's t, c, z: each fills whole chunks.
    const [, , , cy, cx] = plan.chunks[0] as Vec5;
    const tiles: Array<{ origin: Vec5; extent: Vec5; block: number }> = [];
    todo.forEach((b, n) => {
      for (let y = 0; y < b.extent[3]; y += cy)
        for (let x = 0; x < b.extent[4]; x += cx) {
          const origin: Vec5 = [b.origin[0], b.origin[1], b.origin[2], b.origin[3] + y, b.origin[4] + x];
          const extent: Vec5 = [
            b.extent[0],
            b.extent[1],
            b.extent[2],
            Math.min(cy, b.extent[3] - y),
            Math.min(cx, b.extent[4] - x),
          ];
          tiles.push({ origin, extent, block: n });
        }
    });
    const left = todo.map(() => 0);
    for (const t of tiles) left[t.block] = (left[t.block] as number) + 1;
    let done = result.skipped;
    let next = 0;
    const lane = async () => {
      while (next < tiles.length) {
        const tile = tiles[next++] as (typeof tiles)[number];
        const data = await source(tile.origin, tile.extent);
        const [t0, c0, z0, y0, x0] = tile.origin;
        const [nt, nc, nz, ny, nx] = tile.extent;
        const region: Region = {
          t: Array.from({ length: nt }, (_, i) => t0 + i),
          c: Array.from({ length: nc }, (_, i) => c0 + i),
          z: [z0, z0 + nz],
          y: [y0, y0 + ny],
          x: [x0, x0 + nx],
        };
        await writer.writeRegion(region, data);
        result.bytes += data.byteLength;
        left[tile.block] = (left[tile.block] as number) - 1;
        if (left[tile.block] === 0) report(++done);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, lane));
    await writer.close();
  } catch (err) {
    await writer.abort().catch(() => {});
    throw err;
  }
  return result;
}
