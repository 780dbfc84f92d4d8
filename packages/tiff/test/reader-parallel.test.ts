/**
 * The fast paths of the reader: Deflate decoded on libuv's pool or on @bfio/codecs' WorkerPool (where the
 * byte swap and the horizontal predictor also run), LZW, zstd and JPEG (libjpeg-turbo) on this thread or on
 * the WorkerPool (the same codec chain), one or several blocks in flight, and the decoded-block
 * cache for overlapping windows. Files are written by tifffile in this run (big and little endian,
 * predictors, chunky and planar samples, ragged edge tiles); every configuration must give tifffile's pixels.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkLane, type RowsJob, sharedWorkerPool } from '@bfio/codecs';
import { allocate, type DType, type TypedArray, viewAs } from '@bfio/core';
import { afterAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { TiffReader, type TiffReaderOptions } from '../src/index.js';

// Which codecs ran on the process-wide worker pool (the readers below share it), and which on the chunk lane
// (libuv's threads: a local file's Deflate, zstd and LZW blocks, for readers of up to 2 lanes).
const onLane = new Set<string>();
const laneRows = ChunkLane.prototype.rows;
ChunkLane.prototype.rows = function (this: ChunkLane, job: RowsJob) {
  onLane.add(job.codec);
  return laneRows.call(this, job);
};
const laneBuilt = ChunkLane.for(2) !== undefined;
const onPool = new Set<string>();
const pool = sharedWorkerPool();
const run = pool.run.bind(pool);
pool.run = (codec, ...rest) => {
  onPool.add(codec);
  return run(codec, ...rest);
};

interface Written {
  name: string;
  path: string;
  /** sha256 of the pixels in our planar C,Y,X order, little endian. */
  sha256: string;
}

const PYTHON = `
import sys, json, hashlib, os
import numpy as np, tifffile
d = json.load(sys.stdin)
rng = np.random.default_rng(3)
def smooth(shape, dtype):
    y, x = np.mgrid[0:shape[0], 0:shape[1]]
    base = 1000 + 800 * np.sin(y / 17.0) * np.cos(x / 23.0)
    base = base + rng.normal(0, 20, size=shape[:2])
    if len(shape) == 3:
        base = np.stack([base * (1 + 0.1 * s) for s in range(shape[2])], axis=-1)
    return base.astype(dtype)
cases = [
  # name, dtype, shape (Y, X[, S]), byteorder, predictor, planar, tile
  ('u16-le', 'uint16', (333, 517), '<', False, None, (128, 128)),
  ('u16-be-pred', 'uint16', (333, 517), '>', True, None, (128, 64)),
  ('i16-be', 'int16', (200, 300), '>', False, None, (64, 64)),
  ('u32-be-pred', 'uint32', (150, 260), '>', True, None, (64, 128)),
  ('u8-pred-rgb', 'uint8', (180, 250, 3), '<', True, 'contig', (64, 64)),
  ('u16-be-pred-rgb-planar', 'uint16', (180, 250, 3), '>', True, 'separate', (64, 64)),
  ('f32-be-fpred', 'float32', (130, 210), '>', 'floatingpoint', None, (64, 64)),
  ('f64-be', 'float64', (90, 170), '>', False, None, (32, 64)),
  ('u16-be-pred-strips', 'uint16', (301, 257), '>', True, None, None),
  ('u16-be-pred-lzw', 'uint16', (333, 517), '>', True, None, (128, 64), 'lzw'),
  ('u8-rgb-lzw-strips', 'uint8', (180, 250, 3), '<', False, 'contig', None, 'lzw'),
  ('u8-rgb-jpeg', 'uint8', (180, 250, 3), '<', False, 'contig', (64, 64), 'jpeg'),
  ('u8-gray-jpeg-strips', 'uint8', (180, 250), '<', False, None, None, 'jpeg'),
  ('u16-be-pred-zstd', 'uint16', (333, 517), '>', True, None, (128, 64), 'zstd'),
]
out = []
for name, dtype, shape, order, pred, planar, tile, *codec in cases:
    a = smooth(shape, dtype)
    p = os.path.join(d, name + '.tif')
    kw = dict(compression=codec[0] if codec else 'zlib', predictor=pred, byteorder=order)
    if tile: kw['tile'] = tile
    else: kw['rowsperstrip'] = 40
    if len(shape) == 3:
        if planar == 'separate':
            a = np.moveaxis(a, -1, 0)
            kw.update(photometric='rgb', planarconfig='separate')
        else:
            kw.update(photometric='rgb', planarconfig='contig')
    tifffile.imwrite(p, a, **kw)
    b = tifffile.imread(p)
    assert codec == ['jpeg'] or np.array_equal(a, b)  # JPEG is lossy: tifffile's reading is the reference
    if b.ndim == 3 and planar != 'separate':
        b = np.moveaxis(b, -1, 0)
    c = np.ascontiguousarray(b.astype(b.dtype.newbyteorder('<')))
    out.append({'name': name, 'path': p, 'sha256': hashlib.sha256(c.tobytes()).hexdigest()})
print(json.dumps(out))
`;

const ok = available('python');
// JPEG reads equal tifffile's through the native addon and, where it is not built, its WASM twin alike.
const usable = () => written;
const dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-parallel-'));
const written: Written[] = ok ? await runPythonJson<Written[]>(PYTHON, dir) : [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An array of `dtype` on a SharedArrayBuffer: workers then place decoded rows into it themselves. */
function sharedArray(dtype: DType, length: number): TypedArray {
  const bytes = allocate(dtype, 0).BYTES_PER_ELEMENT;
  return viewAs(dtype, new SharedArrayBuffer(length * bytes), 0, length);
}

async function readAll(
  path: string,
  options: TiffReaderOptions,
  shared = false,
): Promise<{ data: TypedArray; hash: string }> {
  const reader = await TiffReader.open(path, options);
  try {
    const info = reader.series[0]!;
    const l = info.levels[0]!;
    const n = l.sizeX * l.sizeY * l.sizeC;
    const data = shared ? sharedArray(info.dtype, n) : allocate(info.dtype, n);
    const c = [...Array(l.sizeC).keys()];
    await reader.readRegion(
      { series: 0, level: 0 },
      { x: [0, l.sizeX], y: [0, l.sizeY], z: [0, 1], c, t: [0] },
      data,
    );
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { data, hash: createHash('sha256').update(bytes).digest('hex') };
  } finally {
    await reader.close();
  }
}

const CONFIGS: Array<[string, TiffReaderOptions, boolean]> = [
  ['libuv, 1 block at a time', { decodeOn: 'libuv', maxWorkers: 1 }, false],
  ['libuv, 2 blocks', { decodeOn: 'libuv', maxWorkers: 2 }, false],
  ['WorkerPool, 1 block at a time', { decodeOn: 'workers', maxWorkers: 1 }, false],
  ['WorkerPool, 3 blocks', { decodeOn: 'workers', maxWorkers: 3 }, false],
  ['WorkerPool placing into a shared output', { decodeOn: 'workers', maxWorkers: 2 }, true],
  ['WorkerPool, 3 blocks placing into a shared output', { decodeOn: 'workers', maxWorkers: 3 }, true],
  ['libuv with a shared output', { decodeOn: 'libuv', maxWorkers: 2 }, true],
];

describe.skipIf(!ok)('Deflate and LZW decoding paths equal tifffile', () => {
  for (const [label, options, shared] of CONFIGS) {
    it(`full reads, ${label}`, async () => {
      expect(written.length).toBe(14);
      onPool.clear();
      onLane.clear();
      for (const w of usable()) {
        expect((await readAll(w.path, options, shared)).hash, `${w.name} (${label})`).toBe(w.sha256);
      }
      // JPEG blocks go to the workers exactly when the reader decodes on them; LZW and zstd blocks too, or to
      // the chunk lane where it serves the reader (built: any number of lanes).
      const workers = options.decodeOn === 'workers';
      const lane = workers && laneBuilt;
      expect(onPool.has('jpeg-decode')).toBe(workers);
      for (const codec of ['lzw-decode', 'zstd-decode']) expect(onLane.has(codec), codec).toBe(lane);
      expect(onPool.has('zstd-decode')).toBe(workers && !lane);
      // The lane places one sample per pixel: the RGB (contig) LZW strips stay with the workers.
      expect(onPool.has('lzw-decode')).toBe(workers);
      if (lane) expect(onLane.has('inflate')).toBe(true);
    });
  }

  it('overlapping windows served from the block cache equal the full read', async () => {
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    for (const w of usable()) {
      const full = await readAll(w.path, { cacheBytes: 0 });
      expect(full.hash).toBe(w.sha256);
      const variants: Array<[TiffReaderOptions, boolean]> = [
        [{}, false],
        [{ decodeOn: 'workers', cacheBytes: 300_000 }, false],
        [{ cacheBytes: 0, maxWorkers: 3 }, false], // twins join each decode; decoded buffers are recycled
        [{ decodeOn: 'workers', cacheBytes: 0 }, true],
      ];
      for (const [options, shared] of variants) {
        const reader = await TiffReader.open(w.path, options);
        try {
          const l = reader.series[0]!.levels[0]!;
          for (let i = 0; i < 40; i++) {
            const x0 = rnd(l.sizeX);
            const y0 = rnd(l.sizeY);
            const x1 = x0 + 1 + rnd(Math.min(150, l.sizeX - x0));
            const y1 = y0 + 1 + rnd(Math.min(150, l.sizeY - y0));
            const c = rnd(l.sizeC);
            const dtype = reader.series[0]!.dtype;
            const make = (n: number) => (shared ? sharedArray(dtype, n) : allocate(dtype, n));
            const got = make((x1 - x0) * (y1 - y0));
            // Two reads at once of the same window: the second shares the first's decodes.
            const twin = make(got.length);
            const region = {
              x: [x0, x1] as [number, number],
              y: [y0, y1] as [number, number],
              z: [0, 1] as [number, number],
              c: [c],
              t: [0],
            };
            await Promise.all([
              reader.readRegion({ series: 0, level: 0 }, region, got),
              reader.readRegion({ series: 0, level: 0 }, region, twin),
            ]);
            for (let y = y0; y < y1; y++) {
              const want = full.data.subarray(
                (c * l.sizeY + y) * l.sizeX + x0,
                (c * l.sizeY + y) * l.sizeX + x1,
              );
              const row = got.subarray((y - y0) * (x1 - x0), (y - y0 + 1) * (x1 - x0));
              if (!want.every((v, i) => Object.is(v, row[i]))) {
                expect(Array.from(row), `${w.name} window ${i} row ${y}`).toEqual(Array.from(want));
              }
            }
            expect(Array.from(twin)).toEqual(Array.from(got));
          }
        } finally {
          await reader.close();
        }
      }
    }
  });

  it('rejects a bad cacheBytes', async () => {
    await expect(TiffReader.open(written[0]!.path, { cacheBytes: -1 })).rejects.toThrow(/cacheBytes/);
  });
});
