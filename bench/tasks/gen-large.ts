/**
 * Writes the large conversion source of bench/convert.ts: SIZE × SIZE × C uint16 OME-TIFF, tiled 1024,
 * Deflate, with cheap deterministic structure (gradients + hashed noise), band by band (bounded memory).
 *   gen-large OUT SIZE C
 */
import { BioWriter } from '@bfio/core';
import '@bfio/tiff';
import { now, report } from '../lib/report.js';

const [out, sizeText, cText] = process.argv.slice(2);
const size = Number(sizeText);
const channels = Number(cText);
const t = now();
const bw = await BioWriter.create(out!, {
  X: size,
  Y: size,
  C: channels,
  dtype: 'uint16',
  overwrite: true,
  tileSize: 1024,
});
for (let c = 0; c < channels; c++)
  for (let y = 0; y < size; y += 1024) {
    const rows = Math.min(1024, size - y);
    const writes: Promise<void>[] = [];
    for (let x = 0; x < size; x += 1024) {
      const w = Math.min(1024, size - x);
      const tile = new Uint16Array(rows * w);
      for (let r = 0; r < rows; r++) {
        const gy = y + r;
        for (let k = 0; k < w; k++) {
          const gx = x + k;
          const h = Math.imul((gx * 73856093) ^ (gy * 19349663) ^ (c * 83492791), 0x9e3779b1) >>> 28;
          tile[r * w + k] = 200 + (((gx >> 4) + (gy >> 5) + c * 300) % 2000) + h;
        }
      }
      writes.push(bw.write({ data: tile, shape: [rows, w] }, { X: x, Y: y, C: [c] }));
    }
    await Promise.all(writes);
  }
await bw.close();
report('gen-large', now() - t, size * size * channels * 2);
process.exit(0);
