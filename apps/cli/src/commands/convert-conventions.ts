/**
 * The flags `bfio convert` shares with bfconvert, bioformats2raw and raw2ometiff, parsed to what the writers
 * take: resolutions counted in total (as those tools count them), the downsampling mode, compression level,
 * fill value, series lists and bfconvert's single `-timepoint`/`-channel`.
 */
import type { DownsampleMode, DType } from '@bfio/core';
import { parseIntFlag, UsageError } from '../usage-error.js';

export interface ConventionFlags {
  resolutions?: string;
  pyramid?: string;
  'target-min-size'?: string;
  downsample?: string;
  'compression-level'?: string;
  'fill-value'?: string;
  timepoint?: string;
  channel?: string;
  channels?: string;
  t?: string;
  'use-existing-resolutions'?: boolean;
  'no-hcs'?: boolean;
}

/** bioformats2raw's default: add resolutions until the smallest is no larger than 256 × 256. */
export const DEFAULT_TARGET_MIN_SIZE = 256;

const DOWNSAMPLE_MODES: readonly DownsampleMode[] = ['mean', 'nearest', 'mode', 'max'];

/**
 * The number of pyramid levels beyond the full resolution the writer should make, from `--resolutions N`
 * (N in total, as `bfconvert -pyramid-resolutions N` and `bioformats2raw --resolutions N`), its alias
 * `--pyramid N`, or `--resolutions auto` (halve until the larger side is at most `--target-min-size`).
 */
export function pyramidLevelsFor(flags: ConventionFlags, width: number, height: number): number {
  if (flags.resolutions !== undefined && flags.pyramid !== undefined)
    throw new UsageError('--pyramid is an alias of --resolutions; give one of them');
  const flag = flags.resolutions !== undefined ? 'resolutions' : 'pyramid';
  const text = flags.resolutions ?? flags.pyramid;
  const minSize = parseIntFlag('target-min-size', flags['target-min-size']);
  if (minSize !== undefined && minSize < 1) throw new UsageError('--target-min-size must be at least 1');
  if (minSize !== undefined && text !== 'auto')
    throw new UsageError('--target-min-size goes with --resolutions auto');
  if (text === undefined) return 0;
  if (text === 'auto') {
    const target = minSize ?? DEFAULT_TARGET_MIN_SIZE;
    let levels = 0;
    let [w, h] = [width, height];
    // Each level halves (floor); stop before a side would reach 0.
    while (Math.max(w, h) > target && Math.min(w, h) >= 2) {
      w = Math.floor(w / 2);
      h = Math.floor(h / 2);
      levels++;
    }
    return levels;
  }
  const total = parseIntFlag(flag, text);
  if (!total)
    throw new UsageError(
      `--${flag} counts resolutions in total, the full one included (as bfconvert -pyramid-resolutions): give 1 or more, or 'auto'`,
    );
  const levels = total - 1;
  if (Math.min(width, height) >> levels < 1)
    throw new UsageError(
      `--${flag} ${total}: a ${width}×${height} image halves to nothing before ${total} resolutions; give at most ${Math.floor(Math.log2(Math.min(width, height))) + 1}, or 'auto'`,
    );
  return levels;
}

export function parseDownsample(text: string | undefined): DownsampleMode | undefined {
  if (text === undefined) return undefined;
  if (!DOWNSAMPLE_MODES.includes(text as DownsampleMode))
    throw new UsageError(
      `--downsample takes ${DOWNSAMPLE_MODES.join('|')} (mode or nearest for label images), got '${text}'`,
    );
  return text as DownsampleMode;
}

/** `--compression-level`: deflate/gzip/zlib 0..9, zstd 1..22; codecs without levels refuse it. */
export function parseCompressionLevel(text: string | undefined, compression: string): number | undefined {
  const level = parseIntFlag('compression-level', text);
  if (level === undefined) return undefined;
  const range: Record<string, [number, number]> = {
    deflate: [0, 9],
    gzip: [0, 9],
    zlib: [0, 9],
    zstd: [1, 22],
    'blosc-zstd': [0, 9],
    'blosc-lz4': [0, 9],
  };
  const r = range[compression];
  if (!r)
    throw new UsageError(`--compression-level: ${compression} has no levels (deflate 0..9, zstd 1..22)`);
  if (level < r[0] || level > r[1])
    throw new UsageError(`--compression-level for ${compression} is ${r[0]}..${r[1]}, got ${level}`);
  return level;
}

const INTEGER_RANGE: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

/** `--fill-value V`: a number the image's pixel type holds exactly (else pixels would silently wrap). */
export function parseFillValue(text: string | undefined, dtype: DType): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--fill-value takes a number, got '${text}'`);
  const range = INTEGER_RANGE[dtype];
  if (range && (!Number.isInteger(v) || v < range[0] || v > range[1]))
    throw new UsageError(`--fill-value ${text} is not a ${dtype} value (${range[0]}..${range[1]})`);
  return v;
}

/** `--series`: N, a list 0,2,5 (bioformats2raw), or all. */
export function parseSeries(text: string | undefined, count: number): number[] {
  if (text === undefined) return [0];
  if (text === 'all') return Array.from({ length: count }, (_, i) => i);
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p)))
    throw new UsageError(`--series takes N, a list such as 0,2,5, or all; got '${text}'`);
  const list = parts.map(Number);
  const bad = list.find((s) => s >= count);
  if (bad !== undefined)
    throw new UsageError(`--series ${bad}: the input has ${count} series (0..${count - 1})`);
  if (new Set(list).size !== list.length) throw new UsageError(`--series lists a series twice: '${text}'`);
  return list;
}

/**
 * bfconvert's `-channel C` and `-timepoint T` (one index each) as our `--channels`/`--t` selections; giving
 * both spellings of one axis is a usage error.
 */
export function channelAndTime(flags: ConventionFlags): { channels?: string; t?: string } {
  for (const [single, list] of [
    ['channel', 'channels'],
    ['timepoint', 't'],
  ] as const) {
    const v = flags[single];
    if (v === undefined) continue;
    if (flags[list] !== undefined) throw new UsageError(`give --${single} or --${list}, not both`);
    parseIntFlag(single, v);
  }
  return { channels: flags.channel ?? flags.channels, t: flags.timepoint ?? flags.t };
}
