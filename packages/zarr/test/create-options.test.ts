/**
 * A bad writer option fails at `BioWriter.create`, before any pixel is computed or any byte written (it used
 * to fail at the first `write()`): typed error, the target named, nothing at the target.
 */
import { BioWriter, isBfioError } from '@bfio/core';
import '../src/index.js';
import { describe } from 'vitest';
import { type CreateRefusal, itRefusesAtCreate } from '../../../test-support/create-refusals.js';

const cases: CreateRefusal[] = [
  {
    name: 'LZW',
    options: { compression: 'lzw' },
    tag: 'unsupported',
    message: /compression 'lzw' cannot be written to Zarr v3/,
  },
  {
    name: 'zlib in v3',
    options: { compression: 'zlib' },
    tag: 'unsupported',
    message: /cannot be written to Zarr v3/,
  },
  {
    name: 'NGFF 0.6',
    options: { ngffVersion: '0.6' as never },
    tag: 'unsupported',
    message: /ngffVersion '0\.6'/,
  },
  {
    name: 'zero chunk',
    options: { chunks: [1, 1, 1, 0, 64] },
    tag: 'invalid-data',
    message: /chunks .* must be 5 positive integers/,
  },
  {
    name: 'shards in 0.4',
    options: { ngffVersion: '0.4', shards: [1, 1, 1, 128, 128] },
    tag: 'unsupported',
    message: /shards need Zarr v3/,
  },
  {
    name: 'shards not a multiple',
    options: { tileSize: 64, shards: [1, 1, 1, 100, 100] },
    tag: 'invalid-data',
    message: /multiples of the chunks/,
  },
  {
    name: 'shards with gzip',
    options: { compression: 'gzip', shards: [1, 1, 1, 2048, 2048] },
    tag: 'unsupported',
    message: /sharded stores are written with zstd or no compression/,
  },
  {
    name: 'zstd level 40',
    options: { compressionLevel: 40 },
    tag: 'invalid-data',
    message: /compressionLevel .* 1\.\.22 for zstd, got 40/,
  },
  {
    name: 'gzip level -1',
    options: { compression: 'gzip', compressionLevel: -1 },
    tag: 'invalid-data',
    message: /0\.\.9 for gzip/,
  },
  {
    name: 'negative pyramid',
    options: { pyramidLevels: -1 },
    tag: 'invalid-data',
    message: /pyramidLevels .* non-negative integer/,
  },
  {
    name: 'unknown downsampling',
    options: { downsample: 'median' as never },
    tag: 'invalid-data',
    message: /downsample .* 'mean', 'nearest', 'mode' or 'max'/,
  },
  {
    name: 'zero workers',
    options: { maxWorkers: 0 },
    tag: 'invalid-data',
    message: /maxWorkers .* positive integer/,
  },
];

describe('Zarr writer options are checked at BioWriter.create', () => {
  itRefusesAtCreate({ BioWriter, isBfioError }, '.ome.zarr', cases);
});
