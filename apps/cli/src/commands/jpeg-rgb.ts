/**
 * `bfio convert`'s --compression jpeg, --quality and --rgb: checked against the output format here (they are
 * OME-TIFF features), turned into the TIFF writer's `quality` and `rgb` options; the writer checks the image
 * itself (uint8 for JPEG, 3 channels for RGB) when it is created.
 */
import { parseIntFlag, UsageError } from '../usage-error.js';

export interface JpegRgbFlags {
  compression?: string;
  quality?: string;
  rgb?: boolean;
  format?: string;
}

/** The writer options the flags ask for ({} when none is given). */
export function jpegRgbOptions(flags: JpegRgbFlags, output: string): { quality?: number; rgb?: boolean } {
  const jpeg = flags.compression === 'jpeg';
  const quality = parseIntFlag('quality', flags.quality);
  if (!jpeg && quality === undefined && !flags.rgb) return {};
  const zarrOut = flags.format ? flags.format === 'ome-zarr' : /\.zarr\/?$/i.test(output);
  if (zarrOut) {
    const used = [jpeg && '--compression jpeg', quality !== undefined && '--quality', flags.rgb && '--rgb']
      .filter(Boolean)
      .join(', ');
    throw new UsageError(`${used}: OME-TIFF outputs only (OME-Zarr stores channels separately, losslessly)`);
  }
  if (quality !== undefined) {
    if (!jpeg) throw new UsageError('--quality is the JPEG quality: use it with --compression jpeg');
    if (quality < 1 || quality > 100) throw new UsageError(`--quality takes 1..100, got ${quality}`);
  }
  return { ...(quality !== undefined ? { quality } : {}), ...(flags.rgb ? { rgb: true } : {}) };
}
