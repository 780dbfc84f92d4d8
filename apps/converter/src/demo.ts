/**
 * The README demo: make the bundled sample (deterministically), convert it to a 1024-tiled OME-TIFF and
 * to WIPP files, and print what was written. Run with `bash scripts/demo` (or `pnpm demo` after set-up).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BioReader } from '@bfio/core';
import '@bfio/tiff';
import { convertToOmeTiff } from './convert.js';
import { writeSample } from './sample.js';

const outDir = resolve(process.argv[2] ?? 'demo-output');
mkdirSync(outDir, { recursive: true });
const sample = join(outDir, 'sample.ome.tif');
await writeSample(sample);
console.log(`sample    ${sample}`);

for (const wipp of [false, true]) {
  const dir = join(outDir, wipp ? 'wipp' : 'tiled');
  mkdirSync(dir, { recursive: true });
  const files = await convertToOmeTiff(sample, dir, { wipp, overwrite: true });
  for (const f of files) {
    await using br = await BioReader.open(f.path);
    console.log(
      `wrote     ${f.path}\n          ${br.format}, X=${br.X} Y=${br.Y} Z=${br.Z} C=${br.C} T=${br.T} ${br.dtype}, tiles ${br.tileSize?.join('x') ?? '-'}, channels ${br.channelNames.join(', ')}`,
    );
  }
}
