/** The main-thread placement of a decoded chunk's block into the caller's planar output. */
import { copyBlock } from '@bfio/codecs';
import type { TypedArray } from '@bfio/core';
import type { Vec5 } from './region-blocks.js';

/**
 * Copies a 5-D strided block (t,c,z,y,x) from `src` at `srcBase` into `out` at `base`, converting when needed
 * (zarrita's chunks may be BigInt or boolean arrays, or wrappers with `get`).
 */
export function copyStrided(
  src: ArrayLike<unknown>,
  srcBase: number,
  stride: Vec5,
  out: TypedArray,
  base: number,
  outStride: Vec5,
  counts: Vec5,
): void {
  const typed =
    ArrayBuffer.isView(src) && !(src instanceof BigInt64Array) && !(src instanceof BigUint64Array);
  if (typed) {
    // Numbers to numbers: @bfio/codecs' one strided copy.
    copyBlock(src as never, srcBase, stride, out as never, base, outStride, counts);
    return;
  }
  // zarrita's BigInt, boolean or `get`-wrapped chunks: converted element by element.
  const [tn, cn, nz, ny, nx] = counts;
  const [sT, sC, sZ, sY, sX] = stride;
  const [oT, oC, oZ, oY] = outStride;
  const getter = (src as { get?: (i: number) => unknown }).get;
  for (let t = 0; t < tn; t++) {
    for (let c = 0; c < cn; c++) {
      for (let z = 0; z < nz; z++) {
        for (let y = 0; y < ny; y++) {
          const s = srcBase + t * sT + c * sC + z * sZ + y * sY;
          const d = base + t * oT + c * oC + z * oZ + y * oY;
          if (typeof getter === 'function') {
            for (let x = 0; x < nx; x++) out[d + x] = Number(getter.call(src, s + x * sX));
          } else {
            const a = src as ArrayLike<unknown>;
            for (let x = 0; x < nx; x++) out[d + x] = Number(a[s + x * sX]);
          }
        }
      }
    }
  }
}
