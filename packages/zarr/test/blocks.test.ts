/**
 * `BioReader.blocks` over stores zarr-python writes: a sharded v3 array (its inner chunks in zarr-python's
 * Morton order inside each shard), an unsharded v3 array and a v2 array, each a volume whose voxels are a
 * formula of their position. Blocks aligned to the inner chunks go to the workers in runs of a shard's chunks
 * (one task per run); unaligned blocks, cut at the volume's edges, take the chunk-by-chunk path. Every voxel
 * of every block must be the formula's, every voxel visited exactly once; a consumer that stops early leaves
 * the reader usable.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { watchPoolTasks } from './support/pool-tasks.js';

const ok = available('python');
const TMP = join('/tmp', `bfio-zarr-blocks-${process.pid}`);
const Z = 48;
const Y = 80;
const X = 100;

/** The voxel at (z, y, x), as the Python script computes it (uint16). */
const voxel = (z: number, y: number, x: number) =>
  (z * 7919 + y * 104729 + x * 31 + ((z * y * x) % 977)) % 65536;

const WRITE = `
import json, sys, os, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr
from zarr.codecs import ZstdCodec, BytesCodec
a = json.load(sys.stdin)
tmp, Z, Y, X = a['tmp'], a['Z'], a['Y'], a['X']
z, y, x = np.meshgrid(np.arange(Z, dtype=np.int64), np.arange(Y, dtype=np.int64), np.arange(X, dtype=np.int64), indexing='ij')
v = ((z * 7919 + y * 104729 + x * 31 + ((z * y * x) % 977)) % 65536).astype(np.uint16)
out = {}
p = os.path.join(tmp, 'sharded.zarr')
s = zarr.create_array(p, shape=v.shape, dtype='uint16', shards=(16, 32, 32), chunks=(8, 16, 16),
                      compressors=ZstdCodec(level=1), zarr_format=3)
s[...] = v
out['sharded'] = p
p = os.path.join(tmp, 'chunked.zarr')
c = zarr.create_array(p, shape=v.shape, dtype='uint16', chunks=(8, 16, 16), compressors=ZstdCodec(level=1), zarr_format=3)
c[...] = v
out['chunked'] = p
p = os.path.join(tmp, 'v2.zarr')
w = zarr.create_array(p, shape=v.shape, dtype='uint16', chunks=(16, 32, 32), zarr_format=2)
w[...] = v
out['v2'] = p
print(json.dumps(out))
`;

let stores: Record<string, string> = {};

beforeAll(async () => {
  if (!ok) return;
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  stores = await runPythonJson(WRITE, { tmp: TMP, Z, Y, X });
}, 120_000);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Visit {
  blocks: number;
  wrong: number;
  /** How many times each voxel was visited. */
  seen: Uint8Array;
}

/** Iterates `path` by blocks of `shape`, checking every voxel against the formula. */
async function visit(path: string, shape: [number, number, number]): Promise<Visit> {
  await using br = await BioReader.open(path, { maxWorkers: 2 });
  const seen = new Uint8Array(Z * Y * X);
  let blocks = 0;
  let wrong = 0;
  for await (const b of br.blocks({ shape })) {
    blocks++;
    const [z0, z1] = b.region.Z;
    const [y0, y1] = b.region.Y;
    const [x0, x1] = b.region.X;
    const data = b.data.data as Uint16Array;
    expect(data.length).toBe((z1 - z0) * (y1 - y0) * (x1 - x0));
    let i = 0;
    for (let z = z0; z < z1; z++)
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) {
          if (data[i++] !== voxel(z, y, x)) wrong++;
          seen[(z * Y + y) * X + x]!++;
        }
    // Y, X, Z for a block of several planes (read()'s squeeze).
    expect(b.data.shape.slice(0, 2)).toEqual([y1 - y0, x1 - x0]);
  }
  return { blocks, wrong, seen };
}

/** Codec-worker tasks that decoded a run of a shard's chunks (several frames at once), while `fn` runs. */
async function runTasks(fn: () => Promise<unknown>): Promise<number> {
  let runs = 0;
  await watchPoolTasks((_codec, _input, params) => {
    if (params?.place?.frames) runs++;
  }, fn);
  return runs;
}

describe.skipIf(!ok)('BioReader.blocks', () => {
  it('blocks of the inner chunks of a sharded store: every voxel right, once; read in runs of a shard', async () => {
    let result: Visit | undefined;
    const runs = await runTasks(async () => {
      result = await visit(stores.sharded!, [8, 16, 16]);
    });
    // 48 × 80 × 100 in 8 × 16 × 16 blocks: 6 × 5 × 7, the last column 4 wide.
    expect(result?.blocks).toBe(6 * 5 * 7);
    expect(result?.wrong).toBe(0);
    expect(result?.seen.every((n) => n === 1)).toBe(true);
    // Each group of blocks is read as runs of chunks stored back to back (zarr-python's Morton order puts
    // a shard's 2 × 2 × 2 chunks together): far fewer tasks than the 210 blocks.
    expect(runs).toBeGreaterThan(0);
    expect(runs).toBeLessThan(105);
  });

  it('unaligned blocks cut at the edges, sharded, unsharded and v2 stores', async () => {
    for (const name of ['sharded', 'chunked', 'v2']) {
      const r = await visit(stores[name]!, [10, 23, 30]);
      expect(r.blocks, name).toBe(5 * 4 * 4);
      expect(r.wrong, name).toBe(0);
      expect(
        r.seen.every((n) => n === 1),
        name,
      ).toBe(true);
    }
  });

  it('one plane per block, and a consumer that stops early leaves the reader usable', async () => {
    const r = await visit(stores.chunked!, [1, 80, 100]);
    expect(r.blocks).toBe(48);
    expect(r.wrong).toBe(0);
    await using br = await BioReader.open(stores.sharded!, { maxWorkers: 2 });
    let n = 0;
    for await (const _ of br.blocks({ shape: [8, 16, 16] })) if (++n === 3) break;
    expect(n).toBe(3);
    const a = await br.read({ Z: [5, 6], Y: [7, 8], X: [9, 11] });
    expect([...(a.data as Uint16Array)]).toEqual([voxel(5, 7, 9), voxel(5, 7, 10)]);
  });

  it('a shape that is not three positive integers, or a block too large to allocate, is a typed error naming the file', async () => {
    await using br = await BioReader.open(stores.chunked!, { maxWorkers: 2 });
    let error: unknown;
    try {
      for await (const _ of br.blocks({ shape: [8, 0, 16] as [number, number, number] })) break;
    } catch (err) {
      error = err;
    }
    expect(isBfioError(error) && error.tag).toBe('invalid-data');
    expect((error as { file?: string }).file).toMatch(/chunked\.zarr$/);
    expect((error as Error).message).toMatch(/shape must be \[z, y, x\]/);
    // A block larger than one read may allocate is refused before any memory is taken.
    const before = process.env.BFIO_MAX_READ_BYTES;
    process.env.BFIO_MAX_READ_BYTES = '4095';
    error = undefined;
    try {
      for await (const _ of br.blocks({ shape: [8, 16, 16] })) break;
    } catch (err) {
      error = err;
    } finally {
      if (before === undefined) delete process.env.BFIO_MAX_READ_BYTES;
      else process.env.BFIO_MAX_READ_BYTES = before;
    }
    expect(isBfioError(error) && error.tag).toBe('invalid-data');
    expect((error as Error).message).toMatch(
      /8 × 16 × 16 block .* 4096 bytes, more than a read may allocate \(4095/,
    );
  });
});
