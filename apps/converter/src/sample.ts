/**
 * A small, deterministic sample for the README demo: a 3-channel, 2-plane uint16 "microscopy-like" image
 * (smooth blobs plus a little noise), stored as a stripped-looking, 256-tiled LZW OME-TIFF, i.e. not the
 * 1024-tiled Deflate layout the converter produces, so the conversion really changes the file.
 */
import { BioWriter } from '@bfio/core';

/** A fixed pseudo-random sequence (mulberry32), so every run makes the same bytes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SAMPLE = { X: 1500, Y: 1100, Z: 2, C: 3, T: 1 };

export async function writeSample(path: string): Promise<void> {
  const rnd = random(42);
  const blobs = Array.from({ length: 40 }, () => ({
    x: rnd() * SAMPLE.X,
    y: rnd() * SAMPLE.Y,
    r: 20 + rnd() * 80,
    c: Math.floor(rnd() * 3),
  }));
  const bw = await BioWriter.create(path, {
    ...SAMPLE,
    dtype: 'uint16',
    channelNames: ['DAPI', 'GFP', 'mCherry'],
    physicalSizeX: { value: 0.325, unit: 'µm' },
    physicalSizeY: { value: 0.325, unit: 'µm' },
    physicalSizeZ: { value: 1.5, unit: 'µm' },
    overwrite: true,
    tileSize: 256,
    compression: 'lzw',
  });
  for (let z = 0; z < SAMPLE.Z; z++)
    for (let c = 0; c < SAMPLE.C; c++) {
      const plane = new Uint16Array(SAMPLE.X * SAMPLE.Y);
      for (let y = 0; y < SAMPLE.Y; y++)
        for (let x = 0; x < SAMPLE.X; x++) {
          let v = 100 + rnd() * 30;
          for (const b of blobs) {
            if (b.c !== c) continue;
            const d2 = ((x - b.x) ** 2 + (y - b.y) ** 2) / (b.r * b.r);
            if (d2 < 9) v += 3000 * Math.exp(-d2) * (1 + 0.3 * z);
          }
          plane[y * SAMPLE.X + x] = Math.min(65535, Math.round(v));
        }
      await bw.write({ data: plane, shape: [SAMPLE.Y, SAMPLE.X] }, { Z: z, C: [c] });
    }
  await bw.close();
}
