/**
 * The native strided copy (native-copy/, registered by the Node codecs for every `copyBlock` of many rows)
 * against an element-by-element copy written out here: random 5-D blocks with dropped, merged and strided
 * axes, every element type, shared targets, and blocks reaching past either array.
 */
import { describe, expect, it } from 'vitest';
import { nativeCopy } from '../src/codecs/native-addons.mjs';
import { copyBlock, placeBlocks } from '../src/placement.mjs';

type Ctor =
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** A fixed LCG, so a failure repeats. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((s / 2 ** 31) * n);
  };
}

/** The reference: every element by its 5-D index. */
function naive(
  src: ArrayLike<number>,
  so: number,
  ss: number[],
  dst: { [i: number]: number },
  dO: number,
  ds: number[],
  shape: number[],
): void {
  const [a, b, c, d, e] = shape as [number, number, number, number, number];
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++)
      for (let k = 0; k < c; k++)
        for (let l = 0; l < d; l++)
          for (let m = 0; m < e; m++) {
            const s = so + i * ss[0]! + j * ss[1]! + k * ss[2]! + l * ss[3]! + m * ss[4]!;
            const t = dO + i * ds[0]! + j * ds[1]! + k * ds[2]! + l * ds[3]! + m * ds[4]!;
            dst[t] = src[s]!;
          }
}

/** C-order strides of `dims`, with the innermost stride `inner` (1: contiguous rows). */
function strides(dims: number[], inner: number): number[] {
  const out = new Array<number>(dims.length).fill(inner);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = out[i + 1]! * dims[i + 1]!;
  return out;
}

describe.skipIf(!nativeCopy())('native strided copy', () => {
  it('copies random 5-D blocks as the element-by-element reference, for every element size', () => {
    const rnd = random(7);
    const ctors: Ctor[] = [Uint8Array, Uint16Array, Float32Array, Float64Array];
    for (let trial = 0; trial < 200; trial++) {
      const Ctor = ctors[trial % ctors.length]!;
      // Shapes with axes of size 1 (dropped), blocks as wide as the array (merged) and strided last axes.
      const shape = Array.from({ length: 5 }, () => (rnd(3) === 0 ? 1 : 1 + rnd(9)));
      const srcDims = shape.map((n) => n + (rnd(2) ? 0 : rnd(4)));
      const dstDims = shape.map((n) => n + (rnd(2) ? 0 : rnd(4)));
      const ss = strides(srcDims, 1 + (rnd(4) === 0 ? 1 : 0));
      const ds = strides(dstDims, 1 + (rnd(4) === 0 ? 2 : 0));
      const srcLen = srcDims.reduce((a, b) => a * b, 1) * ss[4]! + 5;
      const dstLen = dstDims.reduce((a, b) => a * b, 1) * ds[4]! + 5;
      const so = rnd(5);
      const dO = rnd(5);
      const src = new Ctor(srcLen);
      for (let i = 0; i < srcLen; i++) src[i] = (i * 2654435761) % 251;
      const shared = trial % 2 === 0;
      const make = () =>
        shared
          ? new Ctor(new SharedArrayBuffer(dstLen * Ctor.BYTES_PER_ELEMENT) as unknown as ArrayBuffer)
          : new Ctor(dstLen).fill(7);
      const got = make();
      const want = make();
      copyBlock(src as never, so, ss, got as never, dO, ds, shape);
      naive(src, so, ss, want, dO, ds, shape);
      expect(Array.from(got), `trial ${trial}: shape ${shape} strides ${ss} → ${ds}`).toEqual(
        Array.from(want),
      );
    }
  });

  it('places a 64³ chunk of a 3-D run into a larger shared volume as the reference does', () => {
    // The sharded read's case: 64-element rows, 8 chunks of a run, each at its place in a 128³ volume.
    const n = 64;
    const chunk = n ** 3;
    const run = new Uint16Array(8 * chunk);
    for (let i = 0; i < run.length; i++) run[i] = (i * 40503) & 0xffff;
    const blocks: number[] = [];
    for (let k = 0; k < 8; k++)
      blocks.push(
        k * chunk,
        (k >> 2) * n * 128 * 128 + ((k >> 1) & 1) * n * 128 + (k & 1) * n,
        1,
        1,
        n,
        n,
        n,
      );
    const target = new Uint8Array(new SharedArrayBuffer(128 ** 3 * 2));
    const srcStride = [chunk, chunk, n * n, n, 1];
    const dstStride = [128 ** 3, 128 ** 3, 128 * 128, 128, 1];
    placeBlocks(new Uint8Array(run.buffer), { target, bytes: 2, srcStride, dstStride, blocks });
    const want = new Uint16Array(128 ** 3);
    for (let i = 0; i < blocks.length; i += 7)
      naive(run, blocks[i]!, srcStride, want, blocks[i + 1]!, dstStride, blocks.slice(i + 2, i + 7));
    expect(Buffer.compare(Buffer.from(target), Buffer.from(want.buffer))).toBe(0);
  });

  it('copies rows of 64, 128, 256 and 512 bytes (and sizes beside them) in blocks of up to 5 axes', () => {
    // The addon copies rows of these sizes with inlined moves, and merges contiguous axes first.
    const rnd = random(11);
    for (const bytesPerRow of [32, 64, 66, 128, 130, 256, 512, 1024]) {
      for (const Ctor of [Uint8Array, Uint16Array, Float32Array] as Ctor[]) {
        const row = bytesPerRow / Ctor.BYTES_PER_ELEMENT;
        if (!Number.isInteger(row)) continue;
        const shape = [1 + rnd(2), 1 + rnd(2), 2 + rnd(3), 4 + rnd(4), row]; // ≥ 8 rows: the addon's path
        // The target is wider on every axis (rows land apart); the source is the block itself.
        const dstDims = shape.map((n, d) => n + (d === 4 ? 3 : rnd(3)));
        const ss = strides(shape, 1);
        const ds = strides(dstDims, 1);
        const src = new Ctor(shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < src.length; i++) src[i] = (i * 2654435761) % 251;
        const dstLen = dstDims.reduce((a, b) => a * b, 1);
        const got = new Ctor(dstLen).fill(3);
        const want = new Ctor(dstLen).fill(3);
        const at = rnd(4);
        copyBlock(src as never, 0, ss, got as never, at, ds, shape);
        naive(src, 0, ss, want, at, ds, shape);
        expect(Array.from(got), `${Ctor.name} rows of ${bytesPerRow} bytes, shape ${shape}`).toEqual(
          Array.from(want),
        );
      }
    }
  });

  it('copies contiguous runs into and out of shared memory exactly (one native memcpy: V8 copies those slowly)', () => {
    // A TIFF writer's tile taken into its shared tile buffer: [rows, width] with the tile's own width merges
    // into one run; and the other way, out of a shared result. Sizes at and around the native threshold.
    for (const Ctor of [Uint8Array, Uint16Array, Float32Array] as Ctor[]) {
      for (const elements of [1000, 16384 / Ctor.BYTES_PER_ELEMENT, 1024 * 1024 + 3]) {
        const src = new Ctor(elements + 7);
        for (let i = 0; i < src.length; i++) src[i] = (i * 2654435761) % 251;
        const shared = new Ctor(new SharedArrayBuffer((elements + 9) * Ctor.BYTES_PER_ELEMENT) as never).fill(
          5,
        );
        const rows = elements % 1000 === 0 ? 1000 : 1;
        const width = elements / rows;
        copyBlock(src as never, 7, [width, 1], shared as never, 2, [width, 1], [rows, width]);
        const want = new Ctor(elements + 9).fill(5);
        want.set(src.subarray(7, 7 + elements), 2);
        expect(
          Buffer.compare(Buffer.from(shared.buffer), Buffer.from(want.buffer)),
          `${Ctor.name} ${elements}`,
        ).toBe(0);
        const back = new Ctor(elements).fill(1);
        copyBlock(shared as never, 2, [1], back as never, 0, [1], [elements]);
        expect(
          Buffer.compare(
            Buffer.from(back.buffer),
            Buffer.from(src.buffer, 7 * Ctor.BYTES_PER_ELEMENT, elements * Ctor.BYTES_PER_ELEMENT),
          ),
        ).toBe(0);
      }
    }
    // Past the end of a shared target: refused, nothing written.
    const dst = new Uint16Array(new SharedArrayBuffer(40000)).fill(9);
    expect(() => copyBlock(new Uint16Array(30000) as never, 0, [1], dst as never, 1, [1], [20000])).toThrow(
      RangeError,
    );
    expect(dst.every((v) => v === 9)).toBe(true);
  });

  it('refuses a block reaching past either array before writing anything', () => {
    const src = new Uint16Array(100);
    const dst = new Uint16Array(100).fill(9);
    // 10 rows of 10: the last row of the source would be elements 95..104.
    expect(() => copyBlock(src as never, 5, [10, 1], dst as never, 0, [10, 1], [10, 10])).toThrow(RangeError);
    expect(() => copyBlock(src as never, 0, [10, 1], dst as never, 1, [10, 1], [10, 10])).toThrow(RangeError);
    expect(dst.every((v) => v === 9)).toBe(true);
    // The addon's own check, called directly past the JavaScript one.
    const addon = nativeCopy()!;
    const strides = new Float64Array([0, 0, 0, 10, 1, 0, 0, 0, 10, 1]);
    expect(() => addon.placeBlocks(src, dst, 2, strides, new Float64Array([0, 5, 1, 1, 1, 10, 10]))).toThrow(
      RangeError,
    );
    expect(() => addon.placeBlocks(src, dst, 2, strides, new Float64Array([-1, 0, 1, 1, 1, 10, 10]))).toThrow(
      RangeError,
    );
    expect(dst.every((v) => v === 9)).toBe(true);
  });
});
