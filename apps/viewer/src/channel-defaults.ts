/**
 * How channels look before the user touches them: a colour each (the file's own when it gives distinct
 * ones), a contrast window from the data, and the slider range for the pixel type.
 */
import type { RGB } from './composite.js';

const WHITE: RGB = [255, 255, 255];
const RED: RGB = [255, 0, 0];
const GREEN: RGB = [0, 255, 0];
const BLUE: RGB = [0, 0, 255];
const MAGENTA: RGB = [255, 0, 255];
const CYAN: RGB = [0, 255, 255];
const YELLOW: RGB = [255, 255, 0];

/** Beyond three channels: the additive primaries, then their mixes. */
const PALETTE: readonly RGB[] = [RED, GREEN, BLUE, CYAN, MAGENTA, YELLOW, WHITE];

/** An OME Channel Color (signed 32-bit RGBA, red in the high byte) as RGB. */
export function omeColor(color: number): RGB {
  const c = color >>> 0;
  return [(c >>> 24) & 255, (c >>> 16) & 255, (c >>> 8) & 255];
}

/**
 * A colour per channel. The file's colours win when every channel has one and they differ (Bio-Formats
 * writes white for every channel of many files, which would composite to a grey blur). Otherwise: one
 * channel grey, two green and magenta (readable by colour-blind viewers), three red, green, blue (an RGB
 * image comes out in its own colours), more from the palette.
 */
export function defaultColors(count: number, fileColors: readonly (number | undefined)[] = []): RGB[] {
  const given = fileColors.slice(0, count);
  if (count > 1 && given.length === count && given.every((c) => c !== undefined)) {
    if (new Set(given).size === count) return given.map((c) => omeColor(c!));
  }
  if (count === 1) return [WHITE];
  if (count === 2) return [GREEN, MAGENTA];
  return Array.from({ length: count }, (_, i) => PALETTE[i % PALETTE.length]!);
}

/**
 * The range a contrast slider spans: the pixel type's for 8-bit data; for 16-bit data from the type's
 * minimum to the data's maximum rounded up to a whole number of bits (12-bit camera data in uint16 gets
 * 0–4095, not 0–65535, so the slider is usable); the data's own range otherwise.
 */
export function sliderRange(dtype: string, dataMin: number, dataMax: number): [number, number] {
  switch (dtype) {
    case 'uint8':
      return [0, 255];
    case 'int8':
      return [-128, 127];
    case 'uint16':
      return [0, 2 ** Math.max(8, Math.ceil(Math.log2(Math.max(1, dataMax) + 1))) - 1];
    case 'int16': {
      const bits = Math.ceil(Math.log2(Math.max(1, Math.abs(dataMin), dataMax) + 1));
      return [dataMin < 0 ? -(2 ** Math.max(7, bits)) : 0, 2 ** Math.max(7, bits) - 1];
    }
    default:
      return dataMax > dataMin ? [dataMin, dataMax] : [dataMin, dataMin + 1];
  }
}

/** Smallest and largest value of a plane, NaNs ignored; [0, 0] for an empty or all-NaN plane. */
export function dataRange(data: ArrayLike<number>): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : [0, 0];
}

/**
 * The first contrast window: the data's range (on `statsLevel`: cheap, and close to the whole image's),
 * widened to one step when the plane is flat so the window is never empty.
 */
export function initialWindow(dataMin: number, dataMax: number): [number, number] {
  return dataMax > dataMin ? [dataMin, dataMax] : [dataMin, dataMin + 1];
}

/**
 * Every channel's first look: visible, its default colour, the window its data spans in `planes` (one
 * plane per channel, of `statsLevel`).
 */
export function initialChannels(
  count: number,
  fileColors: readonly (number | undefined)[],
  planes: readonly ArrayLike<number>[],
): Array<{ visible: boolean; min: number; max: number; color: RGB }> {
  const colors = defaultColors(count, fileColors);
  return colors.map((color, c) => {
    const [min, max] = initialWindow(...dataRange(planes[c] ?? []));
    return { visible: true, min, max, color };
  });
}

/**
 * The level the first contrast window is measured on: the finest with at most `maxPixels` pixels (a
 * quarter megapixel: representative, and a read of a few tiles), else the coarsest. A pyramid's last levels can be
 * a few pixels of background (3×1 for a 439-pixel-wide image), which would give a meaningless window.
 */
export function statsLevel(
  levels: readonly { sizeX: number; sizeY: number }[],
  maxPixels = 512 * 512,
): number {
  let best = -1;
  let bestPixels = -1;
  let coarsest = 0;
  levels.forEach((l, i) => {
    const pixels = l.sizeX * l.sizeY;
    if (pixels <= maxPixels && pixels > bestPixels) {
      best = i;
      bestPixels = pixels;
    }
    if (pixels < levels[coarsest]!.sizeX * levels[coarsest]!.sizeY) coarsest = i;
  });
  return best >= 0 ? best : coarsest;
}
