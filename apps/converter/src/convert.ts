/**
 * The demo converter: any image bfio can read → tiled OME-TIFF, following bfio's "Scalable Tiled Tiff"
 * example. It copies tile by tile (T, C, Z, Y, X), so memory is bounded by a few tiles whatever the
 * image size. Any backend that reads the input serves it (OME-TIFF natively, CZI/LIF/... via Bio-Formats).
 *
 * WIPP mode writes what WIPP plugins expect from bfio's Python writer: one file per channel and
 * timepoint, 1024 × 1024 tiles, Deflate.
 */
import { basename, join } from 'node:path';
import { BioReader, BioWriter, copyImage } from '@bfio/core';

export interface ConvertOptions {
  /** One file per channel and timepoint, bfio/WIPP style. */
  wipp?: boolean;
  tileSize?: number;
  series?: number;
  overwrite?: boolean;
  /** Forced input backend. */
  backend?: string;
}

export interface ConvertedFile {
  path: string;
  shape: [number, number, number, number, number];
  dtype: string;
  channels: number[];
  timepoints: number[];
}

/** `name.czi` → `name`, `name.ome.tif` → `name`. */
export function stem(path: string): string {
  return basename(path).replace(/(\.ome)?\.[^.]+$/i, '');
}

/**
 * Converts `input` into `outDir`. Returns the files written: one `<stem>.ome.tif`, or in WIPP mode
 * `<stem>_c<C>_t<T>.ome.tif` for each channel and timepoint.
 */
export async function convertToOmeTiff(
  input: string,
  outDir: string,
  options: ConvertOptions = {},
): Promise<ConvertedFile[]> {
  const tileSize = options.wipp ? 1024 : (options.tileSize ?? 1024);
  await using br = await BioReader.open(input, { backend: options.backend, series: options.series ?? 0 });
  const groups: Array<{ path: string; C: number[]; T: number[] }> = [];
  if (options.wipp) {
    for (let t = 0; t < br.T; t++)
      for (let c = 0; c < br.C; c++)
        groups.push({ path: join(outDir, `${stem(input)}_c${c}_t${t}.ome.tif`), C: [c], T: [t] });
  } else {
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    groups.push({ path: join(outDir, `${stem(input)}.ome.tif`), C: all(br.C), T: all(br.T) });
  }
  const written: ConvertedFile[] = [];
  for (const group of groups) {
    const metadata = structuredClone(br.metadata);
    metadata.images = [structuredClone(br.image)];
    const bw = await BioWriter.create(group.path, {
      backend: 'tiff',
      metadata,
      overwrite: options.overwrite ?? false,
      tileSize,
      compression: 'deflate',
      wipp: options.wipp ?? false,
    });
    try {
      bw.C = group.C.length;
      bw.T = group.T.length;
      bw.channelNames = group.C.map((c) => br.channelNames[c] ?? '');
      await copyImage(br, bw, { tileSize, C: group.C, T: group.T });
      await bw.close();
    } catch (err) {
      await bw.abort();
      throw err;
    }
    written.push({ path: bw.path, shape: bw.shape, dtype: bw.dtype, channels: group.C, timepoints: group.T });
  }
  return written;
}
