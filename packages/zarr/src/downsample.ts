/**
 * 2× downsampling in Y and X (Z, C, T kept) for pyramid levels: the mean of each 2×2 block for images
 * (integers rounded half up), or its top-left pixel ('nearest') for label images, where a mean would invent
 * labels; 'mode' (most frequent value, ties → the smallest) and 'max' for labels and masks. Works on one
 * contiguous block (t,c,z,y,x) whose Y/X origin is even.
 */
import { allocate, type DownsampleMode, type DType, type TypedArray } from '@bfio/core';
import { reduceBlock } from '@bfio/core/backend';

const INTEGER = new Set<DType>(['uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32']);

/**
 * Downsamples `src` (shape [nt, nc, nz, ny, nx], contiguous) into [nt, nc, nz, oy, ox]. Output row r averages
 * input rows 2r and 2r+1 that exist (the last odd row of an image is used alone only when the image is one
 * row high; otherwise `oy` excludes it, as the level sizes are floor(size / 2)).
 */
export function downsample2x(
  src: TypedArray,
  dtype: DType,
  shape: readonly [number, number, number, number, number],
  oy: number,
  ox: number,
  mode: DownsampleMode,
): TypedArray {
  const [nt, nc, nz, ny, nx] = shape;
  const planes = nt * nc * nz;
  const out = allocate(dtype, planes * oy * ox);
  const integer = INTEGER.has(dtype);
  const block = [0, 0, 0, 0];
  for (let p = 0; p < planes; p++) {
    const s0 = p * ny * nx;
    const d0 = p * oy * ox;
    for (let r = 0; r < oy; r++) {
      const y0 = 2 * r;
      const y1 = Math.min(y0 + 1, ny - 1);
      const rowA = s0 + y0 * nx;
      const rowB = s0 + y1 * nx;
      const dRow = d0 + r * ox;
      if (mode === 'nearest') {
        for (let q = 0; q < ox; q++) out[dRow + q] = src[rowA + 2 * q] as number;
        continue;
      }
      const rows = y1 === y0 ? 1 : 2;
      for (let q = 0; q < ox; q++) {
        const x0 = 2 * q;
        const x1 = Math.min(x0 + 1, nx - 1);
        const cols = x1 === x0 ? 1 : 2;
        if (mode === 'mode' || mode === 'max') {
          let n = 0;
          for (const row of rows === 2 ? [rowA, rowB] : [rowA])
            for (const x of cols === 2 ? [x0, x1] : [x0]) block[n++] = src[row + x] as number;
          out[dRow + q] = reduceBlock(block, n, mode);
          continue;
        }
        let sum = (src[rowA + x0] as number) + (cols === 2 ? (src[rowA + x1] as number) : 0);
        if (rows === 2) sum += (src[rowB + x0] as number) + (cols === 2 ? (src[rowB + x1] as number) : 0);
        const n = rows * cols;
        out[dRow + q] = integer ? Math.floor((sum + n / 2) / n) : sum / n;
      }
    }
  }
  return out;
}
