/** 5-D (t,c,z,y,x) block arithmetic of the writer: dense strides, block copies into chunks, append masks. */
import { copyBlock as copyStrided } from '@bfio/codecs';
import type { TypedArray } from '@bfio/core';
import type { Vec5 } from '../store-layout.js';

export const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

/** Element strides of a dense block of shape `s`. */
export const contiguous = (s: Vec5): Vec5 => [
  s[1] * s[2] * s[3] * s[4],
  s[2] * s[3] * s[4],
  s[3] * s[4],
  s[4],
  1,
];

/** Marks the `part` elements at `at` of a chunk mask (append mode: which pixels this writer supplied). */
export function markBlock(mask: Uint8Array, at: Vec5, stride: Vec5, part: Vec5): void {
  const [nt, nc, nz, ny, nx] = part;
  const start = at.reduce((acc, p, i) => acc + p * (stride[i] as number), 0);
  for (let t = 0; t < nt; t++)
    for (let c = 0; c < nc; c++)
      for (let z = 0; z < nz; z++)
        for (let y = 0; y < ny; y++) {
          const d = start + t * stride[0] + c * stride[1] + z * stride[2] + y * stride[3];
          mask.fill(1, d, d + nx);
        }
}

export function isContiguous(part: Vec5, stride: Vec5): boolean {
  // Contiguous when each axis with more than one element has the stride of a dense block of `part`.
  let expect = 1;
  for (let i = 4; i >= 0; i--) {
    if ((part[i] as number) > 1 && stride[i] !== expect) return false;
    expect *= part[i] as number;
  }
  return true;
}

/** Copies a 5-D block of `part` elements from src (strided) into dst (strided) at dstPos. */
export function copyBlock(
  src: TypedArray,
  srcStart: number,
  srcStride: Vec5,
  dst: TypedArray,
  dstPos: Vec5,
  dstStride: Vec5,
  part: Vec5,
): void {
  const dStart = dstPos.reduce((acc, p, i) => acc + p * (dstStride[i] as number), 0);
  copyStrided(src as never, srcStart, srcStride, dst as never, dStart, dstStride, part);
}
