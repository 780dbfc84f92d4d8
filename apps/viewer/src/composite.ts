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
}

/** v_c of the formula above, for one value. */
export function windowed(x: number, min: number, max: number): number {
  if (Number.isNaN(x)) return 0;
  if (!(max > min)) return x >= max ? 1 : 0;
  return Math.min(1, Math.max(0, (x - min) / (max - min)));
}

/**
 * Composites `layers` (each `width·height` values) into `out` (RGBA, 4·width·height bytes; allocated when
 * omitted). No layers gives black.
 */
export function compositeRGBA(
  width: number,
  height: number,
  layers: readonly ChannelLayer[],
  out: Uint8ClampedArray<ArrayBuffer> = new Uint8ClampedArray(width * height * 4),
): Uint8ClampedArray<ArrayBuffer> {
  const n = width * height;
  if (out.length !== n * 4)
    throw new RangeError(`compositeRGBA: out holds ${out.length} bytes, not ${n * 4}`);
  const sum = new Float64Array(n * 3);
  for (const layer of layers) {
    const { data, min, max } = layer;
    if (data.length < n) throw new RangeError(`compositeRGBA: a layer has ${data.length} values, not ${n}`);
    const [r, g, b] = layer.color;
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const v = windowed(data[i]!, min, max);
      sum[j] += v * r;
      sum[j + 1] += v * g;
      sum[j + 2] += v * b;
    }
  }
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 3, k += 4) {
    out[k] = Math.min(255, Math.floor(sum[j]! + 0.5));
    out[k + 1] = Math.min(255, Math.floor(sum[j + 1]! + 0.5));
    out[k + 2] = Math.min(255, Math.floor(sum[j + 2]! + 0.5));
    out[k + 3] = 255;
  }
  return out;
}
