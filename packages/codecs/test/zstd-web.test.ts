/**
 * The browser's zstd decoder (codecs/zstd-web.mjs: zstddec for blocks of known size, numcodecs otherwise),
 * run here in V8 on frames libzstd wrote (zstd-napi, the native library): real bytes back, and a wrong size or
 * a damaged frame an error, never empty or short output.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../../test-support/env.js';
import { zstdDecodeWasm } from '../src/codecs/zstd-web.mjs';

const zstd = createRequire(import.meta.url)('zstd-napi') as {
  compress(b: Uint8Array, o?: object): Uint8Array;
};
const sample = new Uint8Array(readFileSync(dataPath('polus-image-tools/bunny.ome.tif')));
const frame = new Uint8Array(zstd.compress(sample, { compressionLevel: 3 }));
// With its content checksum, as Zarr's zstd codec writes when asked: damage is then detectable.
const checked = new Uint8Array(zstd.compress(sample, { compressionLevel: 3, checksumFlag: true }));

describe('zstd in a browser', () => {
  it('decodes libzstd frames of known size (zstddec) and of unknown size (numcodecs) to the same bytes', async () => {
    const known = await zstdDecodeWasm(frame, { outputSize: sample.length, exact: true });
    expect(Buffer.from(known).equals(Buffer.from(sample))).toBe(true);
    const unknown = await zstdDecodeWasm(frame, {});
    expect(Buffer.from(unknown).equals(Buffer.from(sample))).toBe(true);
  });

  it('a frame larger than announced, or damaged, is an error', async () => {
    await expect(zstdDecodeWasm(frame, { outputSize: sample.length - 1, exact: true })).rejects.toThrow();
    await expect(zstdDecodeWasm(frame, { outputSize: sample.length - 1 })).rejects.toThrow();
    const damaged = checked.slice();
    damaged.fill(0x55, 100, 400);
    await expect(zstdDecodeWasm(damaged, { outputSize: sample.length, exact: true })).rejects.toThrow();
  });
});
