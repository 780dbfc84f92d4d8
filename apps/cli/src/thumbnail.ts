/**
 * `bfio info --thumbnail`: a small RGB composite of one plane (middle Z, first T) of the selected series,
 * read from one resolution level only, in bands of bounded size, so a preview of a slide costs what its
 * smallest useful level costs.
 *
 * The rule (apps/cli/test/info-output.test.ts re-implements it in numpy, keep the two in step):
 * - level: the smallest level whose longer side is at least `size`, else the largest level;
 * - output: that level scaled to fit `size` (never enlarged), pixel (i, j) taken from the level's pixel
 *   floor((i + 0.5) · Y / h), floor((j + 0.5) · X / w) (nearest neighbour: no new values, any dtype; kept as
 *   float32, exact for 8- and 16-bit pixels, close enough for a preview of others);
 * - each channel to 8 bits: (v − p_low) / (p_high − p_low) · 255 clipped to 0–255, the percentiles (numpy's
 *   linear ones, of that channel's sampled finite values) 0.1 % and 99.9 %, or its minimum and maximum when
 *   those are equal (a sparse mask); a channel of one value is black;
 * - colour: the OME Channel colour, except the schema default opaque white when there are several channels;
 *   else gray for a single channel, red, green, blue, magenta, cyan, yellow (repeating) for several;
 * - an RGB source (a Channel of SamplesPerPixel 3 or 4) is shown as RGB: its samples are red, green, blue
 *   (alpha unused), uint8 ones as they are, other types stretched by one range over the samples together so
 *   the colour balance is kept; of several RGB Channels, only the first is drawn;
 * - the coloured channels are summed, rounded (half up) and clipped to 0–255.
 */
import type { BioReader } from '@bfio/core';
import { bytesPerPixel } from '@bfio/core';
import type { Channel } from '@bfio/ome-xml';

/** Bytes one band read may allocate: bounds the memory of a preview of any image. */
const BAND_BYTES = 32 * 2 ** 20;
export const PERCENTILES: [number, number] = [0.1, 99.9];
const DEFAULT_COLOURS: [number, number, number][] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [255, 0, 255],
  [0, 255, 255],
  [255, 255, 0],
];
const RGBA: [number, number, number][] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [0, 0, 0],
];

/** Channels drawn together: one channel, or the samples of one RGB Channel element. */
interface Group {
  channels: number[];
  colours: [number, number, number][];
  rgb: boolean;
}

export interface Thumbnail {
  level: number;
  width: number;
  height: number;
  z: number;
  t: number;
  /** width × height × 3 bytes, interleaved RGB. */
  rgb: Uint8Array;
}

/** The level a thumbnail of `size` pixels (longer side) is drawn from. */
export function thumbnailLevel(levels: readonly { sizeX: number; sizeY: number }[], size: number): number {
  let best = -1;
  let largest = 0;
  levels.forEach((l, i) => {
    const side = Math.max(l.sizeX, l.sizeY);
    if (side > Math.max(levels[largest]!.sizeX, levels[largest]!.sizeY)) largest = i;
    if (side >= size && (best < 0 || side < Math.max(levels[best]!.sizeX, levels[best]!.sizeY))) best = i;
  });
  return best >= 0 ? best : largest;
}

function colourOf(value: number | undefined, several: boolean): [number, number, number] | undefined {
  if (value === undefined || (several && value === -1)) return undefined;
  return [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255];
}

function groupsOf(channels: readonly Channel[], C: number): Group[] {
  const groups: Group[] = [];
  let c = 0;
  let plain = 0;
  const nextDefault = (): [number, number, number] =>
    C === 1 ? [255, 255, 255] : DEFAULT_COLOURS[plain++ % DEFAULT_COLOURS.length]!;
  for (const ch of channels) {
    if (c >= C) break;
    const spp = Math.max(1, ch.samplesPerPixel ?? 1);
    if (spp === 3 || spp === 4) {
      const idx = Array.from({ length: Math.min(spp, C - c) }, (_, s) => c + s);
      groups.push({ channels: idx, colours: idx.map((_, s) => RGBA[s]!), rgb: true });
      c += idx.length;
      continue;
    }
    for (let s = 0; s < spp && c < C; s++, c++)
      groups.push({ channels: [c], colours: [colourOf(ch.color, C > 1) ?? nextDefault()], rgb: false });
  }
  for (; c < C; c++) groups.push({ channels: [c], colours: [nextDefault()], rgb: false });
  return groups;
}

/** numpy's default ('linear') percentile of sorted finite values. */
export function percentile(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const t = pos - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

function contrastRange(values: Float32Array[]): [number, number] {
  let n = 0;
  for (const v of values) for (const x of v) if (Number.isFinite(x)) n++;
  const all = new Float64Array(n);
  let i = 0;
  for (const v of values) for (const x of v) if (Number.isFinite(x)) all[i++] = x;
  all.sort();
  const lo = percentile(all, PERCENTILES[0]);
  const hi = percentile(all, PERCENTILES[1]);
  // A sparse channel (a mask, a few spots) has equal percentiles: its full range still shows it.
  return hi > lo ? [lo, hi] : [all[0] ?? 0, all[n - 1] ?? 0];
}

/** Draws the thumbnail of the selected series of `br` (its level selection is changed and restored). */
export async function renderThumbnail(br: BioReader, size: number): Promise<Thumbnail> {
  const previous = br.level;
  const level = thumbnailLevel(br.levels, size);
  br.level = level;
  try {
    const { X, Y, C } = br;
    const z = Math.floor(br.Z / 2);
    const t = 0;
    const scale = Math.min(1, size / Math.max(X, Y));
    const width = Math.max(1, Math.round(X * scale));
    const height = Math.max(1, Math.round(Y * scale));
    const xs = Int32Array.from({ length: width }, (_, j) =>
      Math.min(X - 1, Math.floor(((j + 0.5) * X) / width)),
    );
    const ys = Int32Array.from({ length: height }, (_, i) =>
      Math.min(Y - 1, Math.floor(((i + 0.5) * Y) / height)),
    );
    const acc = new Float64Array(width * height * 3);
    const u8 = br.dtype === 'uint8';
    const groups = groupsOf(br.image.pixels.channels, C);
    // Several RGB images summed are white: an image of RGB channels (a CZI of polarisation angles) shows its first.
    const rgbGroup = groups.find((g) => g.rgb);
    for (const group of rgbGroup ? [rgbGroup] : groups) {
      const samples = await sampleChannels(br, group.channels, xs, ys, z, t);
      const [lo, hi] = group.rgb && u8 ? [0, 255] : contrastRange(samples);
      samples.forEach((values, k) => {
        const [r, g, b] = group.colours[k]!;
        for (let p = 0; p < values.length; p++) {
          const v = values[p]!;
          const v8 =
            hi > lo && Number.isFinite(v) ? Math.min(255, Math.max(0, ((v - lo) / (hi - lo)) * 255)) : 0;
          acc[p * 3] += (v8 * r) / 255;
          acc[p * 3 + 1] += (v8 * g) / 255;
          acc[p * 3 + 2] += (v8 * b) / 255;
        }
      });
    }
    const rgb = new Uint8Array(acc.length);
    for (let i = 0; i < acc.length; i++) rgb[i] = Math.min(255, Math.floor(acc[i]! + 0.5));
    return { level, width, height, z, t, rgb };
  } finally {
    br.level = previous;
  }
}

/**
 * The sampled pixels (height × width, row-major) of each of `channels`, read in bands of whole rows small
 * enough for BAND_BYTES (aligned to the native tile height, so no tile is decoded twice), skipping bands
 * that hold no sampled row.
 */
async function sampleChannels(
  br: BioReader,
  channels: number[],
  xs: Int32Array,
  ys: Int32Array,
  z: number,
  t: number,
): Promise<Float32Array[]> {
  const { X, Y } = br;
  const width = xs.length;
  const out = channels.map(() => new Float32Array(width * ys.length));
  const rowBytes = X * bytesPerPixel(br.dtype) * channels.length;
  let band = Math.max(1, Math.min(Y, Math.floor(BAND_BYTES / rowBytes)));
  const tile = br.tileSize?.[0];
  if (tile && band > tile) band -= band % tile;
  let i = 0;
  while (i < ys.length) {
    const y0 = tile && band >= tile ? ys[i]! - (ys[i]! % tile) : ys[i]!;
    const y1 = Math.min(Y, y0 + band);
    const a = await br.readRegion(
      { x: [0, X], y: [y0, y1], z: [z, z + 1], c: channels, t: [t] },
      { squeeze: false, shared: false, maxBytes: Math.max(BAND_BYTES, rowBytes) },
    );
    const plane = (y1 - y0) * X;
    for (; i < ys.length && ys[i]! < y1; i++) {
      const row = (ys[i]! - y0) * X;
      for (let k = 0; k < channels.length; k++) {
        const base = k * plane + row;
        const dst = out[k]!;
        for (let j = 0; j < width; j++) dst[i * width + j] = Number(a.data[base + xs[j]!]);
      }
    }
  }
  return out;
}
