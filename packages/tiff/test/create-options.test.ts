/**
 * A bad writer option fails at `BioWriter.create`, before any pixel is computed or any byte written (it used
 * to fail at the first `write()`): typed error, the target named, nothing at the target.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioWriter, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import { type CreateRefusal, itRefusesAtCreate } from '../../../test-support/create-refusals.js';

const dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-create-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cases: CreateRefusal[] = [
  {
    name: 'unknown compression',
    options: { compression: 'jpeg2000' as never },
    tag: 'unsupported',
    message: /compression 'jpeg2000'.*use deflate, lzw, zstd, jpeg or none/,
  },
  {
    name: 'Zarr-only compression',
    options: { compression: 'blosc-zstd' },
    tag: 'unsupported',
    message: /not available for TIFF/,
  },
  {
    name: 'tile size not a multiple of 16',
    options: { tileSize: 100 },
    tag: 'invalid-data',
    message: /multiples of 16/,
  },
  {
    name: 'negative tile size',
    options: { tileSize: [-16, 256] },
    tag: 'invalid-data',
    message: /multiples of 16/,
  },
  {
    name: 'Deflate level 12',
    options: { compression: 'deflate', compressionLevel: 12 },
    tag: 'invalid-data',
    message: /Deflate level must be 0\.\.9/,
  },
  {
    name: 'zstd level 0',
    options: { compression: 'zstd', compressionLevel: 0 },
    tag: 'invalid-data',
    message: /zstd level must be 1\.\.22/,
  },
  {
    name: 'fractional pyramid',
    options: { pyramidLevels: 1.5 },
    tag: 'invalid-data',
    message: /pyramidLevels/,
  },
  {
    name: 'unknown downsampling',
    options: { downsample: 'median' as never },
    tag: 'invalid-data',
    message: /downsample must be/,
  },
  {
    name: 'predictor without compression',
    options: { compression: 'none', predictor: true },
    tag: 'invalid-data',
    message: /predictor needs compression/,
  },
  {
    name: 'bigTiff not a boolean',
    options: { bigTiff: 'yes' },
    tag: 'invalid-data',
    message: /bigTiff must be/,
  },
  {
    name: 'zero workers',
    options: { maxWorkers: 0 },
    tag: 'invalid-data',
    message: /maxWorkers must be a positive integer/,
  },
  {
    name: 'WIPP with a pyramid',
    options: { wipp: true, pyramidLevels: 2 },
    tag: 'invalid-data',
    message: /WIPP mode with pyramidLevels/,
  },
];

describe('TIFF writer options are checked at BioWriter.create', () => {
  itRefusesAtCreate({ BioWriter, isBfioError }, '.ome.tif', cases);

  it('options that depend on the image wait for it: a pyramid set before the sizes grow is accepted', async () => {
    const path = join(dir, 'late-sizes.ome.tif');
    // At create the image is 1×1; 3 levels only fit once X/Y are set, which BioWriter allows until the first write.
    const w = await BioWriter.create(path, { pyramidLevels: 3, dtype: 'uint8' });
    w.X = 64;
    w.Y = 64;
    await w.write({ data: new Uint8Array(64 * 64).fill(3), shape: [64, 64] });
    await w.close();
    expect(existsSync(path)).toBe(true);
  });
});
