/**
 * run-task's `place.frames`: encoded blocks back to back (a run of a Zarr shard's chunks), decoded one at a
 * time and placed — against libzstd's own frames (zstd-napi's compress) and an element-by-element placement.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { runTask } from '../src/run-task.mjs';
import { codecs } from '../src/table.node.mjs';
import { nodeIo } from '../src/worker/io-node.mjs';

const require = createRequire(import.meta.url);
const zstd = require('zstd-napi') as { compress(b: Uint8Array): Uint8Array };

/** 8 chunks of 16³ uint16, encoded, and the 32³ volume they tile (2 × 2 × 2 chunks, z-major). */
function run() {
  const n = 16;
  const chunks = Array.from({ length: 8 }, (_, k) => {
    const c = new Uint16Array(n ** 3);
    for (let i = 0; i < c.length; i++) c[i] = (k * 7919 + i * 31) & 0xffff;
    return c;
  });
  const encoded = chunks.map((c) => zstd.compress(new Uint8Array(c.buffer)));
  const input = Buffer.concat(encoded);
  const blocks: number[] = [];
  const want = new Uint16Array((2 * n) ** 3);
  chunks.forEach((c, k) => {
    const [a, b, d] = [k >> 2, (k >> 1) & 1, k & 1];
    const at = a * n * 32 * 32 + b * n * 32 + d * n;
    blocks.push(k * n ** 3, at, 1, 1, n, n, n);
    for (let z = 0; z < n; z++)
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) want[at + z * 1024 + y * 32 + x] = c[z * 256 + y * 16 + x]!;
  });
  const place = {
    target: new Uint8Array(new SharedArrayBuffer(want.byteLength)),
    bytes: 2,
    srcStride: [n ** 3, n ** 3, n * n, n, 1],
    dstStride: [32 ** 3, 32 ** 3, 1024, 32, 1],
    blocks,
    frames: encoded.map((e) => e.byteLength),
  };
  return { input: new Uint8Array(input), place, want, size: 8 * n ** 3 * 2 };
}

describe('a run of frames placed frame by frame', () => {
  it('places every chunk of the run as the element-by-element reference', async () => {
    const { input, place, want, size } = run();
    const out = await runTask(codecs, nodeIo, {
      codec: 'zstd-decode',
      input,
      params: { outputSize: size, exact: true, place },
    });
    expect(out.byteLength).toBe(0);
    expect(Buffer.compare(Buffer.from(place.target), Buffer.from(want.buffer))).toBe(0);
  });

  it('refuses frame lengths that do not add up to the input, and a damaged frame', async () => {
    const { input, place, size } = run();
    const task = (p: typeof place, bytes = input) =>
      runTask(codecs, nodeIo, {
        codec: 'zstd-decode',
        input: bytes,
        params: { outputSize: size, exact: true, place: p },
      });
    await expect(
      task({ ...place, frames: place.frames.slice(0, 7).concat(place.frames[7]! - 1) }),
    ).rejects.toThrow();
    const damaged = input.slice();
    damaged.fill(0, place.frames[0]! + 4, place.frames[0]! + 40);
    await expect(task(place, damaged)).rejects.toThrow();
  });
});
