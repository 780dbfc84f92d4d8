/**
 * Channel compositing: many channels of any pixel type to one RGBA image, additively, each channel with
 * its own contrast window and colour. The formula (the browser test recomputes it from tifffile's pixels):
 *
 *   v_c   = clamp((x_c − min_c) / (max_c − min_c), 0, 1)      (NaN → 0; when max_c ≤ min_c: x_c ≥ max_c ? 1 : 0)
 *   R     = min(255, floor(Σ_c v_c · red_c + 0.5))            (likewise G, B; sums in channel order, float64)
 *   alpha = 255
 *
 * with colours as 0–255 integers: a channel at its max in pure green adds 255 to G only; two channels
 * that both saturate a component stay at 255.
 */

export type RGB = readonly [number, number, number];

/** One channel's plane (width × height, row-major, X fastest) and how to show it. */
export interface ChannelLayer {
  data: ArrayLike<number>;
  min: number;
  max: number;
  color: RGB;
  /**
   * `windowTable(data, min, max)`, when the caller keeps one across calls (compositing a tile in bands,
   * or many tiles of one look); built here when worth it and absent.
   */
  table?: Float64Array;
}

/** v_c of the formula above, for one value. */
export function windowed(x: number, min: number, max: number): number {
  if (Number.isNaN(x)) return 0;
  if (!(max > min)) return x >= max ? 1 : 0;
  return Math.min(1, Math.max(0, (x - min) / (max - min)));
}

/** Integer pixel types whose every value fits a small lookup table: its size, and minus its smallest value. */
function lookupBase(data: ArrayLike<number>): { size: number; offset: number } | undefined {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return { size: 256, offset: 0 };
  if (data instanceof Int8Array) return { size: 256, offset: 128 };
  if (data instanceof Uint16Array) return { size: 65536, offset: 0 };
  if (data instanceof Int16Array) return { size: 65536, offset: 32768 };
  return undefined;
}

/**
 * `windowed` of every value 8- and 16-bit data can hold (index: value minus the type's minimum), or
 * undefined for other types: the same numbers as per pixel, without a division per pixel.
 */
export function windowTable(data: ArrayLike<number>, min: number, max: number): Float64Array | undefined {
  const base = lookupBase(data);
  if (!base) return undefined;
  const table = new Float64Array(base.size);
  for (let i = 0; i < base.size; i++) table[i] = windowed(i - base.offset, min, max);
  return table;
}

/** Adds v_c of pixels [from, to) of a layer, times each non-zero colour component, to the planar sums. */
function accumulate(layer: ChannelLayer, from: number, to: number, sums: readonly Float64Array[]): void {
  const { data, min, max } = layer;
  const base = lookupBase(data);
  const table = layer.table ?? (base && to - from > base.size ? windowTable(data, min, max) : undefined);
  const offset = base?.offset ?? 0;
  for (let s = 0; s < 3; s++) {
    const weight = layer.color[s]!;
    if (weight === 0) continue; // adds exactly 0: skipping it changes no sum
    const sum = sums[s]!;
    if (table) {
      for (let i = from, j = 0; i < to; i++, j++) sum[j] += table[data[i]! + offset]! * weight;
    } else {
      for (let i = from, j = 0; i < to; i++, j++) sum[j] += windowed(data[i]!, min, max) * weight;
    }
  }
}

/**
 * Composites `layers` (each `width·height` values) into `out` (RGBA, 4·width·height bytes; allocated when
 * omitted). `rows` limits the work to rows [y0, y1) (the rest of `out` is left as it is), so a large
 * tile can be composited a band per frame. No layers gives black.
 */
export function compositeRGBA(
  width: number,
  height: number,
  layers: readonly ChannelLayer[],
  out: Uint8ClampedArray<ArrayBuffer> = new Uint8ClampedArray(width * height * 4),
  rows: readonly [number, number] = [0, height],
): Uint8ClampedArray<ArrayBuffer> {
  const n = width * height;
  if (out.length !== n * 4)
    throw new RangeError(`compositeRGBA: out holds ${out.length} bytes, not ${n * 4}`);
  const from = Math.max(0, rows[0]) * width;
  const to = Math.min(height, rows[1]) * width;
  const count = Math.max(0, to - from);
  const sums = [new Float64Array(count), new Float64Array(count), new Float64Array(count)];
  for (const layer of layers) {
    if (layer.data.length < n) {
      throw new RangeError(`compositeRGBA: a layer has ${layer.data.length} values, not ${n}`);
    }
    accumulate(layer, from, to, sums);
  }
  const [r, g, b] = sums as [Float64Array, Float64Array, Float64Array];
  for (let i = 0, k = 4 * from; i < count; i++, k += 4) {
    out[k] = Math.min(255, Math.floor(r[i]! + 0.5));
    out[k + 1] = Math.min(255, Math.floor(g[i]! + 0.5));
    out[k + 2] = Math.min(255, Math.floor(b[i]! + 0.5));
    out[k + 3] = 255;
  }
  return out;
}
