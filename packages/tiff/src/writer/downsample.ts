/**
 * 2× downsampling of one complete tile into a block of the next pyramid level.
 *
 * Level sizes follow Bio-Formats' `bfconvert -pyramid-resolutions` (floor(size / 2^level)): an odd last row
 * or column is dropped, so every output pixel is the 2×2 block (2y..2y+1, 2x..2x+1) of the level above.
 * - 'mean': integers: floor((a + b + c + d + 2) / 4) (round half up); floats: ((a + b) + c) + d, divided by 4,
 *   computed in float64 and stored in the image's type (round to nearest).
 * - 'nearest' (label images): the top-left pixel of each block, so no new label values appear.
 * - 'mode' (label images): the most frequent value of the block, ties → the smallest; 'max' (masks): the largest.
 */
import { allocate, type DownsampleMode, type DType, type TypedArray } from '@bfio/core';
import { reduceBlock } from '@bfio/core/backend';

export type { DownsampleMode };

/**
 * Downsample the valid `height` × `width` pixels at the top-left of `tile` (rows of `stride` elements) into a
 * new array of floor(height/2) × floor(width/2).
 */
export function downsample2x(
  tile: TypedArray,
  stride: number,
  height: number,
  width: number,
  dtype: DType,
  mode: DownsampleMode,
): { data: TypedArray; height: number; width: number } {
  const oh = Math.floor(height / 2);
  const ow = Math.floor(width / 2);
  const out = allocate(dtype, oh * ow);
  const isFloat = dtype === 'float32' || dtype === 'float64';
  const block = [0, 0, 0, 0];
  for (let y = 0; y < oh; y++) {
    const r0 = 2 * y * stride;
    const r1 = r0 + stride;
    const o = y * ow;
    if (mode === 'nearest') {
      for (let x = 0; x < ow; x++) out[o + x] = tile[r0 + 2 * x]!;
    } else if (mode === 'mode' || mode === 'max') {
      for (let x = 0; x < ow; x++) {
        const i = 2 * x;
        block[0] = tile[r0 + i]!;
        block[1] = tile[r0 + i + 1]!;
        block[2] = tile[r1 + i]!;
        block[3] = tile[r1 + i + 1]!;
        out[o + x] = reduceBlock(block, 4, mode);
      }
    } else if (isFloat) {
      for (let x = 0; x < ow; x++) {
        const i = 2 * x;
        out[o + x] = (tile[r0 + i]! + tile[r0 + i + 1]! + tile[r1 + i]! + tile[r1 + i + 1]!) / 4;
      }
    } else {
      for (let x = 0; x < ow; x++) {
        const i = 2 * x;
        out[o + x] = Math.floor(
          (tile[r0 + i]! + tile[r0 + i + 1]! + tile[r1 + i]! + tile[r1 + i + 1]! + 2) / 4,
        );
      }
    }
  }
  return { data: out, height: oh, width: ow };
}
