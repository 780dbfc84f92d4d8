/**
 * @bfio/tiff acceptance 4 (Bio-Formats part): every kind of file our TIFF writer makes (each codec, classic
 * and BigTIFF, with and without a SubIFD pyramid, several dtypes) opens in Bio-Formats with the same sizes,
 * pixel-identical, and with the pyramid as resolution levels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate, BioReader, BioWriter, type Compression, type DType } from '@bfio/core';
import '@bfio/tiff';
import { afterAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import '../src/index.js';

const ok = available('java', 'bioformats-jar');
const dir = mkdtempSync(join(tmpdir(), 'bfio-bf-reads-ours-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const S = { X: 301, Y: 203, Z: 2, C: 2, T: 1 };
const value = (x: number, y: number, z: number, c: number) => (x * 3 + y * 11 + z * 101 + c * 57) % 251;

interface Case {
  compression: Compression;
  predictor?: boolean;
  bigTiff: boolean;
  pyramid: number;
  dtype: DType;
}
const cases: Case[] = [];
const dtypes: DType[] = ['uint8', 'uint16', 'int16', 'float32', 'uint32', 'int8', 'int32', 'float64'];
let k = 0;
for (const [compression, predictor] of [
  ['none', false],
  ['deflate', false],
  ['deflate', true],
  ['lzw', false],
  ['zstd', false],
] as const)
  for (const bigTiff of [false, true])
    for (const pyramid of [0, 2])
      cases.push({ compression, predictor, bigTiff, pyramid, dtype: dtypes[k++ % dtypes.length]! });
// Integer data with the horizontal predictor (Predictor 2) is the predictor case Bio-Formats reads.
cases.push({ compression: 'deflate', predictor: true, bigTiff: false, pyramid: 1, dtype: 'int32' });

/**
 * Bio-Formats 7.3.1 has no floating-point predictor (Predictor 3, which our writer uses for float data when
 * asked for a predictor; tifffile and libtiff read it): it refuses those files, with a typed error here.
 */
const BF_CANNOT = (c: Case) => Boolean(c.predictor) && c.dtype.startsWith('float');

describe.skipIf(!ok)('Bio-Formats reads what our TIFF writer writes', () => {
  it.each(
    cases.map((c) => [
      `${c.compression}${c.predictor ? '+pred' : ''} ${c.bigTiff ? 'BigTIFF' : 'classic'} pyramid=${c.pyramid} ${c.dtype}`,
      c,
    ]),
  )('%s', async (_name, c) => {
    const path = join(dir, `${c.compression}-${c.predictor}-${c.bigTiff}-${c.pyramid}-${c.dtype}.ome.tif`);
    const bw = await BioWriter.create(path, {
      ...S,
      dtype: c.dtype,
      tileSize: 64,
      compression: c.compression,
      predictor: c.predictor,
      bigTiff: c.bigTiff,
      pyramidLevels: c.pyramid,
    });
    // The values as the dtype stores them (int8 wraps 251 to -5), which is what any reader must return.
    const stored = (x: number, y: number, z: number, ch: number) => {
      const one = allocate(c.dtype, 1);
      one[0] = value(x, y, z, ch);
      return one[0]!;
    };
    for (let z = 0; z < S.Z; z++)
      for (let ch = 0; ch < S.C; ch++) {
        const plane = allocate(c.dtype, S.X * S.Y);
        for (let y = 0; y < S.Y; y++) for (let x = 0; x < S.X; x++) plane[y * S.X + x] = value(x, y, z, ch);
        await bw.write({ data: plane, shape: [S.Y, S.X] }, { Z: z, C: [ch] });
      }
    await bw.close();

    if (BF_CANNOT(c)) {
      await expect(
        (async () => {
          await using br = await BioReader.open(path, { backend: 'bioformats' });
          await br.read();
        })(),
      ).rejects.toThrow(/Predictor \(3\)/);
      return;
    }
    await using br = await BioReader.open(path, { backend: 'bioformats' });
    expect([br.X, br.Y, br.Z, br.C, br.T]).toEqual([S.X, S.Y, S.Z, S.C, S.T]);
    expect(br.dtype).toBe(c.dtype);
    expect(br.levelCount).toBe(1 + c.pyramid);
    const all = await br.read({}, { squeeze: false });
    let bad = 0;
    for (let z = 0; z < S.Z; z++)
      for (let ch = 0; ch < S.C; ch++)
        for (let y = 0; y < S.Y; y++)
          for (let x = 0; x < S.X; x++) if (all.get(y, x, z, ch, 0) !== stored(x, y, z, ch)) bad++;
    expect(bad).toBe(0);
    if (c.pyramid) {
      // Level sizes as Bio-Formats sees them: floor halving, as our writer documents.
      expect(br.levels.map((l) => [l.sizeX, l.sizeY])).toEqual(
        [
          [301, 203],
          [150, 101],
          [75, 50],
        ].slice(0, 1 + c.pyramid),
      );
      // And Bio-Formats' level 1 equals ours read by our own TIFF reader.
      br.level = 1;
      await using ours = await BioReader.open(path, { backend: 'tiff', level: 1 });
      const a = await br.read({}, { squeeze: false });
      const b = await ours.read({}, { squeeze: false });
      expect(Buffer.compare(Buffer.from(a.data.buffer), Buffer.from(b.data.buffer))).toBe(0);
    }
  });
});
