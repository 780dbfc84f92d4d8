/**
 * Acceptance 3 (reading side): random windows — unaligned, tile-crossing, single-pixel, full-plane, with
 * channel/time index lists in any order and repeated — equal the same window cut from a full read.
 * The full reads themselves are checked against tifffile in reader-table.test.ts.
 * Also: corrupt and foreign input gives typed errors, never a hang or silent wrong pixels.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate, isBfioError, type TypedArray } from '@bfio/core';
import { describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { imageSize, probe, TiffReader, tiffBackend } from '../src/index.js';

const ok = available('data');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILES = [
  'polus-image-tools/bunny.ome.tif', // 101 Z, 1024 tiles larger than the image
  'bioformats2raw-testres/mini-spim-moduloZ.ome.tiff', // Deflate tiles 144x128, Z/C/T
  'exampletiffs/ometiff_testdata/singles/multi-channel-z-series.ome.tif', // big-endian, 1-row strips
  'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif', // BigTIFF pyramid
  'exampletiffs/shapes_lzw_tiled_planar.tif', // planar RGB, LZW 32x32 tiles
  'exampletiffs/house.tif', // chunky 2 samples
  'image-tiff/images/tiled-rect-rgb-u8.tif', // 128x32 tiles
  'imageio-binaries/calcium_imaging.tif', // 1000 pages
];

describe.skipIf(!ok)('region reads', () => {
  for (const rel of FILES) {
    it(`random windows of ${rel} equal the full read`, async () => {
      const reader = await TiffReader.open(dataPath(rel));
      try {
        const random = rng(rel.length * 7919);
        for (let level = 0; level < reader.series[0]!.levels.length; level++) {
          const l = reader.series[0]!.levels[level]!;
          const dtype = reader.series[0]!.dtype;
          const full = allocate(dtype, l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT);
          const all = (n: number) => [...Array(n).keys()];
          await reader.readRegion(
            { series: 0, level },
            { x: [0, l.sizeX], y: [0, l.sizeY], z: [0, l.sizeZ], c: all(l.sizeC), t: all(l.sizeT) },
            full,
          );
          const at = (x: number, y: number, z: number, c: number, t: number) =>
            full[(((t * l.sizeC + c) * l.sizeZ + z) * l.sizeY + y) * l.sizeX + x]!;
          const windows = level === 0 ? 40 : 5;
          for (let w = 0; w < windows; w++) {
            const kind = w % 4;
            const span = (size: number): [number, number] => {
              if (kind === 0) {
                const p = Math.floor(random() * size);
                return [p, p + 1]; // single pixel
              }
              if (kind === 1) return [0, size]; // full plane
              const a = Math.floor(random() * size);
              const b = a + 1 + Math.floor(random() * (size - a));
              return [a, b]; // unaligned, usually tile-crossing
            };
            const x = span(l.sizeX);
            const y = span(l.sizeY);
            const z = span(l.sizeZ);
            const pick = (n: number) =>
              Array.from({ length: 1 + Math.floor(random() * Math.min(3, n + 1)) }, () =>
                Math.floor(random() * n),
              );
            const c = pick(l.sizeC);
            const t = pick(l.sizeT);
            const nx = x[1] - x[0];
            const ny = y[1] - y[0];
            const nz = z[1] - z[0];
            const out: TypedArray = allocate(dtype, nx * ny * nz * c.length * t.length).fill(77);
            await reader.readRegion({ series: 0, level }, { x, y, z, c, t }, out);
            const want = allocate(dtype, out.length);
            let i = 0;
            for (const tt of t)
              for (const cc of c)
                for (let zz = z[0]; zz < z[1]; zz++)
                  for (let yy = y[0]; yy < y[1]; yy++)
                    for (let xx = x[0]; xx < x[1]; xx++) want[i++] = at(xx, yy, zz, cc, tt);
            expect(
              Buffer.from(out.buffer).equals(Buffer.from(want.buffer)),
              `${rel} level ${level} window ${JSON.stringify({ x, y, z, c, t })}`,
            ).toBe(true);
          }
        }
      } finally {
        await reader.close();
      }
    });
  }
});

describe.skipIf(!ok)('bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-'));

  async function readAll(path: string): Promise<unknown> {
    try {
      const reader = await TiffReader.open(path);
      try {
        for (let s = 0; s < reader.series.length; s++) {
          const l = reader.series[s]!.levels[0]!;
          const n = l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT;
          const all = (k: number) => [...Array(k).keys()];
          await reader.readRegion(
            { series: s, level: 0 },
            { x: [0, l.sizeX], y: [0, l.sizeY], z: [0, l.sizeZ], c: all(l.sizeC), t: all(l.sizeT) },
            allocate(reader.series[s]!.dtype, n),
          );
        }
      } finally {
        await reader.close();
      }
      return undefined;
    } catch (e) {
      return e;
    }
  }

  for (const [rel, where] of [
    ['polus-image-tools/r01_c01_x01_y01_z01.ome.tif', 'IFD after the tiles: fails at open'],
    ['bioformats2raw-testres/mini-spim-moduloZ.ome.tiff', 'IFDs between tiles'],
    ['image-tiff/images/tiled-rect-rgb-u8.tif', 'IFD first: a tile past the end fails at read'],
  ] as const) {
    it(`a truncated copy of ${rel} (${where}) gives CorruptFileError with file and offset`, async () => {
      const bytes = readFileSync(dataPath(rel));
      const path = join(dir, `truncated-${rel.replaceAll('/', '_')}`);
      writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
      const err = await readAll(path);
      expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
      expect((err as Error).message).toContain(path);
      expect((err as { offset?: number }).offset).toBeGreaterThan(0);
    });
  }

  it('a file cut inside its IFD chain fails at open with CorruptFileError', async () => {
    // 1000 pages, each IFD before its strip: cutting the file loses the later IFDs.
    const bytes = readFileSync(dataPath('imageio-binaries/calcium_imaging.tif'));
    const path = join(dir, 'cut.tif');
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const err = await TiffReader.open(path).then(
      async (r) => {
        await r.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(isBfioError(err, 'corrupt-file')).toBe(true);
    expect((err as Error).message).toContain(path);
  });

  it('non-TIFF bytes: sniff says no, canOpen gives a reason, open throws CorruptFileError', async () => {
    const path = join(dir, 'not-a-tiff.tif');
    copyFileSync(dataPath('aicsimageio/example.png'), path);
    const input = await probe(path);
    expect(tiffBackend.sniff!(input)).toBe(false);
    const reason = await tiffBackend.canOpen!(input);
    expect(typeof reason).toBe('string');
    expect(reason).toMatch(/not a TIFF/);
    await expect(TiffReader.open(path)).rejects.toSatisfy((e: unknown) => isBfioError(e, 'corrupt-file'));
  });

  it('TIFF magic with a first IFD past the end: canOpen throws CorruptFileError (no other backend may guess)', async () => {
    const path = join(dir, 'bad-ifd.tif');
    writeFileSync(path, Buffer.from([0x49, 0x49, 42, 0, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0]));
    const input = await probe(path);
    expect(tiffBackend.sniff!(input)).toBe(true);
    const err = await tiffBackend.canOpen!(input).catch((e) => e);
    expect(isBfioError(err, 'corrupt-file')).toBe(true);
    expect(err.message).toContain(path);
  });

  it('unparseable OME-XML falls back to plain TIFF with a warning in details', async () => {
    const bytes = Buffer.from(
      readFileSync(dataPath('exampletiffs/ometiff_testdata/singles/z-series.ome.tif')),
    );
    const at = bytes.indexOf('<Pixels ');
    expect(at).toBeGreaterThan(0);
    bytes.write('<Pixels SizeX="a" ', at, 'latin1'); // same length: makes the XML unparseable
    const end = bytes.indexOf('>', at);
    bytes.fill(0x20, at + 18, end); // blank the rest of the Pixels attributes
    const path = join(dir, 'broken-xml.ome.tif');
    writeFileSync(path, bytes);
    const reader = await TiffReader.open(path);
    try {
      expect(reader.format).toBe('TIFF');
      expect(JSON.stringify(reader.details.warnings)).toMatch(/OME-XML/);
      expect(reader.series[0]!.levels[0]).toMatchObject({
        sizeX: 439,
        sizeY: 167,
        sizeZ: 5,
        sizeC: 1,
        sizeT: 1,
      });
    } finally {
      await reader.close();
    }
  });

  it('imageSize reads the header only', async () => {
    expect(await imageSize(dataPath('polus-image-tools/bunny.ome.tif'))).toEqual({ width: 102, height: 102 });
  });
});
