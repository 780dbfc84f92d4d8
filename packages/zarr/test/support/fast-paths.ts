/**
 * The chunk fast paths (native zstd on workers, direct chunk reads, the decoded-chunk cache, write-behind)
 * against zarr-python, shared by two test files: one with the fast paths on, one with them off (no workers,
 * numcodecs' WASM zstd through zarrita), so both give the same pixels as zarr-python.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChunkLane, type LaneJob, sharedWorkerPool } from '@bfio/codecs';
import { CorruptFileError } from '@bfio/core';
import { type Region, regionLength } from '@bfio/core/backend';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../../test-support/env.js';
import { runPythonJson } from '../../../../test-support/python.js';
import { ZarrReader } from '../../src/reader/index.js';
import { ZarrWriter } from '../../src/writer/index.js';
import { laneTask } from './pool-tasks.js';

// zarr-python writes the stores; chunks equal to the fill value are not written (missing chunk files).
const PEER = `
import json, sys, os, base64, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr
from zarr.codecs import ZstdCodec
args = json.load(sys.stdin)
tmp = args['tmp']
rng = np.random.default_rng(11)
out = {}
a = rng.integers(0, 60000, size=(1, 2, 1, 300, 260), dtype=np.uint16)
a[0, 0, 0, 0:128, 0:128] = 7
z = zarr.create_array(os.path.join(tmp, 'v3.zarr'), shape=a.shape, chunks=(1, 1, 1, 128, 128), dtype='uint16',
                      compressors=ZstdCodec(level=3), fill_value=7, zarr_format=3,
                      dimension_names=['t', 'c', 'z', 'y', 'x'])
z[...] = a
out['v3'] = base64.b64encode(a.tobytes()).decode()
b = rng.integers(-3000, 3000, size=(1, 1, 2, 190, 210), dtype=np.int16)
from numcodecs import Zstd
z = zarr.create_array(os.path.join(tmp, 'v2.zarr'), shape=b.shape, chunks=(1, 1, 1, 64, 100), dtype='<i2',
                      compressors=Zstd(level=1), zarr_format=2, fill_value=0)
z[...] = b
out['v2'] = base64.b64encode(b.tobytes()).decode()
# Sharded (2×2 chunks per shard, edge shards partial); chunks equal to the fill value are left out of their
# shard's index, and the fill-only shard (rows 0-255, columns 256-259 are not: only chunk (0,0) is 7s).
z = zarr.create_array(os.path.join(tmp, 'sharded.zarr'), shape=a.shape, chunks=(1, 1, 1, 128, 128),
                      shards=(1, 1, 1, 256, 256), dtype='uint16', compressors=ZstdCodec(level=3), fill_value=7,
                      zarr_format=3, dimension_names=['t', 'c', 'z', 'y', 'x'])
z[...] = a
# Our store, written behind the caller, as zarr-python reads it.
if args.get('ours'):
    g = zarr.open_group(args['ours'], mode='r')
    out['ours'] = base64.b64encode(np.ascontiguousarray(g['0'][...]).tobytes()).decode()
    out['ours1'] = base64.b64encode(np.ascontiguousarray(g['1'][...]).tobytes()).decode()
print(json.dumps(out))
`;

type Vec5 = [number, number, number, number, number];

/** The region's pixels cut from a full t,c,z,y,x reference (planar T,C,Z,Y,X like readRegion). */
function cut<T extends Uint16Array | Int16Array>(ref: T, shape: Vec5, r: Region): T {
  const out = new (ref.constructor as new (n: number) => T)(regionLength(r));
  const [, C, Z, Y, X] = shape;
  let k = 0;
  for (const t of r.t)
    for (const c of r.c)
      for (let z = r.z[0]; z < r.z[1]; z++)
        for (let y = r.y[0]; y < r.y[1]; y++)
          for (let x = r.x[0]; x < r.x[1]; x++)
            out[k++] = ref[(((t * C + c) * Z + z) * Y + y) * X + x] as number;
  return out;
}

function windows(shape: Vec5, count: number, seed: number): Region[] {
  let s = seed;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((s / 2 ** 31) * n);
  };
  const [, C, Z, Y, X] = shape;
  return Array.from({ length: count }, () => {
    const y0 = rnd(Y - 1);
    const x0 = rnd(X - 1);
    const z0 = rnd(Z);
    return {
      x: [x0, x0 + 1 + rnd(X - x0)],
      y: [y0, y0 + 1 + rnd(Y - y0)],
      z: [z0, z0 + 1],
      c: C > 1 ? [1, 0] : [0],
      t: [0],
    } as Region;
  });
}

function bytesOf(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

/**
 * `label`: 'lane' (local chunk reads on the chunk lane's threads, @bfio/codecs' ChunkLane; the default where its addon
 * is built), 'workers' (the same reads on the codec workers: BFIO_CHUNK_LANE=0), 'fallback' (no workers, no
 * lane, zarrita's WASM zstd).
 */
export function fastPathTests(label: 'lane' | 'workers' | 'fallback'): void {
  const ok = available('python');
  const TMP = join('/tmp', `bfio-zarr-fast-${label}-${process.pid}`);
  const OURS = join(TMP, 'ours.ome.zarr');
  const OURS_SHAPE: Vec5 = [1, 2, 1, 300, 270];
  const ours = new Uint16Array(OURS_SHAPE.reduce((a, b) => a * b, 1));
  for (let i = 0; i < ours.length; i++) ours[i] = (i * 2654435761) % 65521;
  let peer: Record<string, string>;
  // Which codecs ran on the process-wide worker pool.
  const onPool = new Set<string>();
  // Chunk reads on the lane.
  let onLane = 0;
  // Chunk reads whose worker placed the pixels into the (shared) output itself.
  let placedOnWorker = 0;
  // Chunk reads of a byte range (a chunk inside a shard, located through the shard's index).
  let rangeReads = 0;
  const pool = sharedWorkerPool();
  const run = pool.run.bind(pool);
  pool.run = (codec, ...rest) => {
    // A chunk read is a decode whose worker reads the chunk file itself (the chain's `file` source).
    const file = rest[1]?.file;
    onPool.add(file ? 'read-chunk' : rest[1]?.write ? 'write-chunk' : codec);
    if (file && rest[1]?.place) placedOnWorker++;
    if (file?.range) rangeReads++;
    return run(codec, ...rest);
  };
  const laneRun = ChunkLane.prototype.run;
  ChunkLane.prototype.run = function (this: ChunkLane, job: LaneJob) {
    const params = laneTask(job)[2];
    onLane++;
    if (params.file && params.place) placedOnWorker++;
    if (params.file?.range) rangeReads++;
    return laneRun.call(this, job);
  };
  // Where chunk reads go: the chunk lane or the workers (the 'fallback' label: neither).
  const reads = label === 'fallback' ? 'none' : label;

  beforeAll(async () => {
    if (!ok) return;
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(TMP, { recursive: true });
    // Written behind the caller: many unaligned strips in flight at once, then close.
    const w = await ZarrWriter.create(
      OURS,
      createOme({ sizeX: 270, sizeY: 300, sizeC: 2, type: 'uint16' }),
      'uint16',
      { tileSize: 64, pyramidLevels: 1 },
    );
    const writes: Promise<void>[] = [];
    for (let y = 0; y < 300; y += 25) {
      const r: Region = { x: [0, 270], y: [y, y + 25], z: [0, 1], c: [0, 1], t: [0] };
      writes.push(w.writeRegion(r, cut(ours, OURS_SHAPE, r)));
    }
    await Promise.all(writes);
    await w.close();
    peer = await runPythonJson<Record<string, string>>(PEER, { tmp: TMP, ours: OURS });
  }, 120_000);

  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  describe.skipIf(!ok)(`chunk fast paths (${label})`, () => {
    it('our write-behind store reads back equal in zarr-python, pyramid level included', () => {
      expect(bytesOf(peer.ours as string).equals(Buffer.from(ours.buffer))).toBe(true);
      const level1 = new Uint16Array(2 * 150 * 135);
      const L1: Vec5 = [1, 2, 1, 150, 135];
      // 2×2 mean, rounded half up, as the writer documents.
      for (let c = 0; c < 2; c++)
        for (let y = 0; y < 150; y++)
          for (let x = 0; x < 135; x++) {
            const at = (yy: number, xx: number) => ours[(c * 300 + yy) * 270 + xx] as number;
            const sum =
              at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1);
            level1[(c * L1[3] + y) * L1[4] + x] = Math.floor((sum + 2) / 4);
          }
      expect(bytesOf(peer.ours1 as string).equals(Buffer.from(level1.buffer))).toBe(true);
    });

    for (const cacheBytes of [undefined, 0, 300_000]) {
      it(`zarr-python's v3 and v2 zstd stores read equal, windows included (cache ${cacheBytes ?? 'default'})`, async () => {
        const cases: Array<[string, Vec5, Uint16Array | Int16Array]> = [
          ['v3.zarr', [1, 2, 1, 300, 260], new Uint16Array(bytesOf(peer.v3 as string).buffer.slice(0))],
          ['v2.zarr', [1, 1, 2, 190, 210], new Int16Array(new Uint8Array(bytesOf(peer.v2 as string)).buffer)],
          ['sharded.zarr', [1, 2, 1, 300, 260], new Uint16Array(bytesOf(peer.v3 as string).buffer.slice(0))],
        ];
        for (const [name, shape, ref] of cases) {
          const reader = await ZarrReader.open(join(TMP, name), { chunkCacheBytes: cacheBytes });
          const full: Region = {
            x: [0, shape[4]],
            y: [0, shape[3]],
            z: [0, shape[2]],
            c: Array.from({ length: shape[1] }, (_, i) => i),
            t: [0],
          };
          const regions = [full, ...windows(shape, 25, 99), ...windows(shape, 25, 99)];
          const reads = await Promise.all(
            regions.map(async (r) => {
              const out = new (ref.constructor as new (n: number) => Uint16Array | Int16Array)(
                regionLength(r),
              );
              await reader.readRegion({ series: 0, level: 0 }, r, out);
              return out;
            }),
          );
          regions.forEach((r, i) => {
            expect(
              Buffer.from((reads[i] as Uint16Array).buffer).equals(Buffer.from(cut(ref, shape, r).buffer)),
            ).toBe(true);
          });
          await reader.close();
        }
      });
    }

    for (const cacheBytes of [undefined, 0]) {
      it(`reads into shared memory equal zarr-python's pixels: edge chunks, a missing chunk, repeated C (cache ${cacheBytes ?? 'default'})`, async () => {
        const cases: Array<[string, Vec5, Uint16Array | Int16Array]> = [
          ['v3.zarr', [1, 2, 1, 300, 260], new Uint16Array(bytesOf(peer.v3 as string).buffer.slice(0))],
          ['v2.zarr', [1, 1, 2, 190, 210], new Int16Array(new Uint8Array(bytesOf(peer.v2 as string)).buffer)],
          ['sharded.zarr', [1, 2, 1, 300, 260], new Uint16Array(bytesOf(peer.v3 as string).buffer.slice(0))],
        ];
        const before = placedOnWorker;
        for (const [name, shape, ref] of cases) {
          const reader = await ZarrReader.open(join(TMP, name), { chunkCacheBytes: cacheBytes });
          const all = Array.from({ length: shape[1] }, (_, i) => i);
          const regions: Region[] = [
            // Whole image: the last chunk row and column stick out of the array (partial edge chunks).
            { x: [0, shape[4]], y: [0, shape[3]], z: [0, shape[2]], c: all, t: [0] },
            // Repeated and reordered channels: one chunk lands in two places of the output.
            { x: [0, shape[4]], y: [0, shape[3]], z: [0, 1], c: [...all].reverse().concat(all), t: [0] },
            // Windows cutting through chunks (cached when caching; placed by workers when not).
            ...windows(shape, 12, 7),
          ];
          for (const r of regions) {
            const Ctor = ref.constructor as new (b: SharedArrayBuffer) => Uint16Array | Int16Array;
            const sab = new SharedArrayBuffer(regionLength(r) * ref.BYTES_PER_ELEMENT);
            new Uint8Array(sab).fill(0xa5); // no stale zeros passing for pixels
            const out = new Ctor(sab);
            await reader.readRegion({ series: 0, level: 0 }, r, out);
            const want = cut(ref, shape, r);
            expect(Buffer.from(new Uint8Array(sab)).equals(Buffer.from(want.buffer))).toBe(true);
          }
          await reader.close();
        }
        if (reads !== 'none') expect(placedOnWorker - before).toBeGreaterThan(10);
        else expect(placedOnWorker).toBe(0);
        // Chunks inside shards are read by range on the workers (or the lane) too, not through zarrita.
        if (reads !== 'none') expect(rangeReads).toBeGreaterThan(10);
        else expect(rangeReads).toBe(0);
      });
    }

    it(`chunk reads went to ${reads === 'none' ? 'neither the workers nor the lane' : `the ${reads}`}`, () => {
      // Reads only: our 64² uint16 chunks (8 KiB) are below the size worth a worker round trip to encode.
      const zarrTasks = [...onPool].filter((c) => c.endsWith('-chunk')).sort();
      expect(zarrTasks).toEqual(reads === 'workers' ? ['read-chunk'] : []);
      if (reads === 'lane') expect(onLane).toBeGreaterThan(100);
      else expect(onLane).toBe(0);
    });

    it('a shard whose index is damaged is a CorruptFileError naming the store', async () => {
      const shard = join(TMP, 'sharded.zarr', 'c', '0', '1', '0', '0', '0');
      const bytes = readFileSync(shard);
      bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff; // inside the index: CRC32C fails
      writeFileSync(join(TMP, 'sharded.zarr', 'c', '0', '1', '0', '0', '0'), bytes);
      const reader = await ZarrReader.open(join(TMP, 'sharded.zarr'), { chunkCacheBytes: 0 });
      const r: Region = { x: [0, 260], y: [0, 300], z: [0, 1], c: [1], t: [0] };
      for (const out of [new Uint16Array(300 * 260), new Uint16Array(new SharedArrayBuffer(300 * 260 * 2))]) {
        const err = await reader.readRegion({ series: 0, level: 0 }, r, out).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CorruptFileError);
        expect(String((err as Error).message)).toContain('sharded.zarr');
      }
      await reader.close();
    });

    it('a corrupt chunk is a CorruptFileError naming the store', async () => {
      writeFileSync(join(TMP, 'v2.zarr', '0.0.1.0.1'), Buffer.from('not zstd at all, just bytes'));
      const reader = await ZarrReader.open(join(TMP, 'v2.zarr'), { chunkCacheBytes: 0 });
      const out = new Int16Array(190 * 210);
      const r: Region = { x: [0, 210], y: [0, 190], z: [1, 2], c: [0], t: [0] };
      const err = await reader.readRegion({ series: 0, level: 0 }, r, out).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptFileError);
      expect(String((err as Error).message)).toContain('v2.zarr');
      // The same when a worker decodes straight into a shared output.
      const shared = new Int16Array(new SharedArrayBuffer(190 * 210 * 2));
      const err2 = await reader.readRegion({ series: 0, level: 0 }, r, shared).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(CorruptFileError);
      expect(String((err2 as Error).message)).toContain('v2.zarr');
      await reader.close();
    });
  });
}
