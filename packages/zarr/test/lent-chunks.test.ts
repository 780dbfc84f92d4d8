/**
 * A read-rewrite loop with several blocks in flight, each block in shared memory: the writer hands every whole
 * chunk of a block to a codec worker where it lies, instead of copying it first, and the write returns only
 * once those chunks are in their files (the caller reuses its buffer right away). Stores written so, zstd and
 * raw, Zarr v3 and v2, with edge chunks (still copied and padded), must read back in zarr-python equal to the
 * source; a caller writing one block at a time keeps the copy (its next read overlaps the encode).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Region, regionLength } from '@bfio/core/backend';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { ZarrWriter } from '../src/writer/index.js';
import { watchPoolTasks } from './support/pool-tasks.js';

const PEER = `
import json, sys, base64, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr
out = {}
for name, path in json.load(sys.stdin).items():
    a = zarr.open_group(path, mode='r')['0']
    out[name] = {'data': base64.b64encode(np.ascontiguousarray(a[...]).tobytes()).decode(),
                 'chunks': list(a.chunks), 'format': a.metadata.zarr_format}
print(json.dumps(out))
`;

const ok = available('python');
const TMP = join('/tmp', `bfio-zarr-lent-chunks-${process.pid}`);

type Vec5 = [number, number, number, number, number];

// uint16: 48 × 80 × 100 in 16 × 32 × 32 chunks (32 KiB: smaller ones are encoded on the calling thread) —
// 3 × 3 × 4 chunks, of which 3 × 2 × 3 = 18 whole and 18 cut by the array's edge (stored padded, so copied).
const SHAPE: Vec5 = [1, 1, 48, 80, 100];
const CHUNKS: Vec5 = [1, 1, 16, 32, 32];
const WHOLE_CHUNKS = 18;

const source = new Uint16Array(SHAPE.reduce((a, b) => a * b, 1));
// Smooth enough to compress, varied enough that a misplaced or overwritten chunk shows.
for (let i = 0; i < source.length; i++) source[i] = (i * 7 + Math.floor(i / 97) * 13) % 65521;

/** The pixels of `r`, planar z,y,x. */
function cut(r: Region): Uint16Array {
  const [, , , Y, X] = SHAPE;
  const out = new Uint16Array(regionLength(r));
  let k = 0;
  for (let z = r.z[0]; z < r.z[1]; z++)
    for (let y = r.y[0]; y < r.y[1]; y++) {
      const row = (z * Y + y) * X;
      out.set(source.subarray(row + r.x[0], row + r.x[1]), k);
      k += r.x[1] - r.x[0];
    }
  return out;
}

/** Blocks of 32 × 32 × 32 (two chunks along z, each contiguous in the block), clipped at the edges. */
function blocks(): Region[] {
  const [, , Z, Y, X] = SHAPE;
  const out: Region[] = [];
  for (let z = 0; z < Z; z += 32)
    for (let y = 0; y < Y; y += 32)
      for (let x = 0; x < X; x += 32)
        out.push({
          t: [0],
          c: [0],
          z: [z, Math.min(Z, z + 32)],
          y: [y, Math.min(Y, y + 32)],
          x: [x, Math.min(X, x + 32)],
        });
  return out;
}

/** Chunk-write tasks whose input was the caller's shared memory, per store. */
const lent: Record<string, number> = {};
let current = '';
let peer: Record<string, { data: string; chunks: number[]; format: number }>;

/**
 * Writes the image from shared blocks, `inflight` writes at once, each buffer overwritten with garbage as
 * soon as its write returns (as a loop reading its next block into it does).
 */
async function write(name: string, options: Record<string, unknown>, inflight: number): Promise<string> {
  const store = join(TMP, `${name}.ome.zarr`);
  current = name;
  lent[name] = 0;
  const w = await ZarrWriter.create(
    store,
    createOme({ sizeX: SHAPE[4], sizeY: SHAPE[3], sizeZ: SHAPE[2], type: 'uint16' }),
    'uint16',
    { chunks: CHUNKS, compressionLevel: 1, ...options },
  );
  const queue = blocks();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      const buffer = new Uint16Array(new SharedArrayBuffer(32 * 32 * 32 * 2));
      for (let r = queue.shift(); r; r = queue.shift()) {
        const block = buffer.subarray(0, regionLength(r));
        block.set(cut(r));
        await w.writeRegion(r, block);
        buffer.fill(0xdead);
      }
    }),
  );
  await w.close();
  return store;
}

beforeAll(async () => {
  if (!ok) return;
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const stores: Record<string, string> = {};
  await watchPoolTasks(
    (_codec, input, params) => {
      const shared = typeof SharedArrayBuffer !== 'undefined' && input.buffer instanceof SharedArrayBuffer;
      if (shared && params?.write) lent[current] = (lent[current] ?? 0) + 1;
    },
    async () => {
      stores.zstd = await write('zstd', { compression: 'zstd' }, 4);
      stores.raw = await write('raw', { compression: 'none' }, 4);
      stores.v2 = await write('v2', { compression: 'zstd', ngffVersion: '0.4' }, 4);
      stores.serial = await write('serial', { compression: 'zstd' }, 1);
    },
  );
  peer = await runPythonJson(PEER, stores);
}, 120_000);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const same = (b64: string | undefined) =>
  Buffer.from(b64 ?? '', 'base64').equals(Buffer.from(source.buffer, source.byteOffset, source.byteLength));

describe.skipIf(!ok)('whole chunks encoded where they lie in the caller’s shared memory', () => {
  it('zstd, Zarr v3: zarr-python reads the source, and the whole chunks went to the workers uncopied', () => {
    expect(peer.zstd?.chunks).toEqual([1, 1, 16, 32, 32]);
    expect(peer.zstd?.format).toBe(3);
    expect(same(peer.zstd?.data)).toBe(true);
    // The first write starts before any other is in flight, and copy.
    expect(lent.zstd).toBeGreaterThanOrEqual(WHOLE_CHUNKS - 2);
    expect(lent.zstd).toBeLessThanOrEqual(WHOLE_CHUNKS);
  });

  it('raw chunks, written from shared memory by the worker: zarr-python reads the source', () => {
    expect(same(peer.raw?.data)).toBe(true);
    expect(lent.raw).toBeGreaterThanOrEqual(WHOLE_CHUNKS - 2);
  });

  it('Zarr v2: zarr-python reads the source', () => {
    expect(peer.v2?.format).toBe(2);
    expect(same(peer.v2?.data)).toBe(true);
    expect(lent.v2).toBeGreaterThanOrEqual(WHOLE_CHUNKS - 2);
  });

  it('one write at a time copies its chunks (none lent) and reads back the same', () => {
    expect(lent.serial).toBe(0);
    expect(same(peer.serial?.data)).toBe(true);
  });
});
