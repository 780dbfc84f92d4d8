import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BioReader, BioWriter, isBfioError, registerBackend, unregisterBackend } from '../src/index.js';
import { memoryBackend } from './memory-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'bfio-tiles-'));
const S = { X: 23, Y: 17, Z: 2, C: 3, T: 2 };
const value = (x: number, y: number, z: number, c: number, t: number) =>
  x + 100 * y + 10000 * z + 1000 * c + 20000 * t;
const path = join(dir, 't.mem');

/** numpy.pad(mode='symmetric') index, written independently of the implementation. */
function symmetric(i: number, n: number): number {
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j - 1 : 2 * n - j - 1;
  return j;
}

beforeAll(async () => {
  registerBackend(memoryBackend);
  const bw = await BioWriter.create(path, { ...S, dtype: 'float64' });
  const data = new Float64Array(S.X * S.Y * S.Z * S.C * S.T);
  // C-order (Y, X, Z, C, T), the layout a numpy user would hand over.
  let i = 0;
  for (let y = 0; y < S.Y; y++)
    for (let x = 0; x < S.X; x++)
      for (let z = 0; z < S.Z; z++)
        for (let c = 0; c < S.C; c++) for (let t = 0; t < S.T; t++) data[i++] = value(x, y, z, c, t);
  await bw.write({ data, shape: [S.Y, S.X, S.Z, S.C, S.T] });
  await bw.close();
});
afterAll(() => unregisterBackend('memory'));

type Case = {
  name: string;
  tile: [number, number];
  stride?: [number, number];
  pad: 'symmetric' | 'zero' | 'none';
  batch?: number;
};
const cases: Case[] = [
  { name: 'aligned-ish with symmetric border', tile: [8, 8], pad: 'symmetric', batch: 5 },
  { name: 'overlap (stride < tile)', tile: [10, 12], stride: [6, 7], pad: 'zero', batch: 4 },
  { name: 'gaps (stride > tile)', tile: [5, 4], stride: [9, 10], pad: 'symmetric', batch: 3 },
  { name: 'tile larger than the image', tile: [40, 50], pad: 'symmetric', batch: 2 },
  { name: 'no padding: border tiles cut', tile: [8, 8], pad: 'none' },
];

describe('BioReader.tiles', () => {
  for (const k of cases) {
    it(`${k.name}: every batch equals the tiles cut from the image, for every Z and T`, async () => {
      await using br = await BioReader.open(path);
      const channels = [2, 0];
      const [th, tw] = k.tile;
      const [sy, sx] = k.stride ?? k.tile;
      const expected: string[] = [];
      for (let t = 0; t < S.T; t++)
        for (let z = 0; z < S.Z; z++)
          for (let y = 0; y < S.Y; y += sy)
            for (let x = 0; x < S.X; x += sx) expected.push(`${x},${y},${z},${t}`);
      const seen: string[] = [];
      let mismatches = 0;
      for await (const { data, index } of br.tiles({
        tileSize: k.tile,
        stride: k.stride,
        channels,
        pad: k.pad,
        batchSize: k.batch,
      })) {
        expect(data.shape[0]).toBe(index.length);
        if (k.pad !== 'none') expect(data.shape.slice(1)).toEqual([th, tw, 2]);
        if (k.batch) expect(index.length).toBeLessThanOrEqual(k.batch);
        index.forEach((ix, n) => {
          seen.push(`${ix.X[0]},${ix.Y[0]},${ix.Z},${ix.T}`);
          expect(ix.C).toEqual(channels);
          const h = data.shape[1]!;
          const w = data.shape[2]!;
          if (k.pad === 'none') {
            expect([h, w]).toEqual([Math.min(th, S.Y - ix.Y[0]), Math.min(tw, S.X - ix.X[0])]);
          }
          for (let yy = 0; yy < h; yy++)
            for (let xx = 0; xx < w; xx++)
              channels.forEach((c, ci) => {
                const gy = ix.Y[0] + yy;
                const gx = ix.X[0] + xx;
                const inside = gy < S.Y && gx < S.X;
                const want =
                  k.pad === 'zero' && !inside
                    ? 0
                    : value(symmetric(gx, S.X), symmetric(gy, S.Y), ix.Z, c, ix.T);
                if (data.get(n, yy, xx, ci) !== want) mismatches++;
              });
        });
      }
      expect(mismatches).toBe(0);
      expect(seen).toEqual(expected);
    });
  }

  it('computes maximumBatchSize per axis (bfio swaps x and y strides)', async () => {
    await using br = await BioReader.open(path);
    expect(br.maximumBatchSize([8, 8])).toBe(Math.ceil(17 / 8) * Math.ceil(23 / 8));
    expect(br.maximumBatchSize([8, 8], [17, 5])).toBe(1 * Math.ceil(23 / 5));
  });

  it('rejects bad arguments with typed errors', async () => {
    await using br = await BioReader.open(path);
    const first = async (o: Parameters<BioReader['tiles']>[0]) => {
      for await (const _ of br.tiles(o)) return;
    };
    await expect(first({ tileSize: [0, 8] })).rejects.toSatisfy((e) => isBfioError(e, 'invalid-data'));
    await expect(first({ tileSize: [8, 8], channels: [3] })).rejects.toSatisfy((e) =>
      isBfioError(e, 'out-of-range'),
    );
  });
});
