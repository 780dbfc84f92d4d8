import { writeFile } from 'node:fs/promises';
import { BioReader } from '@bfio/core';
import { buildOmeXml } from '@bfio/ome-xml';
import { OutputError } from '../output-error.js';
import { encodePng } from '../png.js';
import { renderThumbnail } from '../thumbnail.js';
import { parseIntFlag, UsageError } from '../usage-error.js';
import { channelRows, formatInfo, levelRows, seriesRows } from './info-summary.js';

export const INFO_HELP = `bfio info FILE [--series N] [--json] [--omexml] [--backend NAME] [--thumbnail OUT.png]

Prints what FILE holds as tables: one row per series (name, sizes X×Y×Z×C×T, dtype, levels, pixel size),
the selected series' channels (name, colour, wavelengths) and resolution levels, and the backend's details.

  --series N            describe series N (default 0)
  --json                one JSON object (keys: format, backend, series, seriesIndex, levels, levelShapes, X, Y,
                        Z, C, T, dtype, channelNames, physicalSize, tileSize, details, seriesList, channels,
                        levelList; thumbnail when one was written)
  --omexml              print the OME-XML metadata instead
  --backend NAME        force a backend (tiff, zarr, bioformats)
  --thumbnail OUT.png   also write a preview: the channels of the middle Z plane (first T) composited in their
                        colours (else gray for one channel, red/green/blue/magenta/cyan/yellow), each stretched
                        between its 0.1 and 99.9 percentiles; RGB images as RGB. Read from the smallest level
                        at least --thumbnail-size pixels wide or high, in bounded memory.
  --thumbnail-size N    the preview's longer side in pixels (default 256, at most 2048; levels are not enlarged)

Examples:
  bfio info image.ome.tif
  bfio info slide.svs --series 1 --json
  bfio info slide.ome.tif --thumbnail preview.png`;

export interface InfoFlags {
  series?: string;
  json?: boolean;
  omexml?: boolean;
  backend?: string;
  thumbnail?: string;
  'thumbnail-size'?: string;
}

/**
 * The largest preview. Drawing one keeps its sampled channels (4 bytes a pixel, up to 4 at a time) and an
 * 8-byte RGB sum: 2048² is about 160 MiB besides the bounded band reads, the most a look should cost.
 */
const MAX_THUMBNAIL = 2048;

const pick = <T, K extends keyof T>(o: T, ...keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;

export async function info(file: string, flags: InfoFlags, print: (s: string) => void): Promise<void> {
  const series = parseIntFlag('series', flags.series) ?? 0;
  const size = parseIntFlag('thumbnail-size', flags['thumbnail-size']) ?? 256;
  if (size < 1 || size > MAX_THUMBNAIL)
    throw new UsageError(`--thumbnail-size takes 1 to ${MAX_THUMBNAIL} pixels, got ${size}`);
  if (flags['thumbnail-size'] !== undefined && !flags.thumbnail)
    throw new UsageError('--thumbnail-size needs --thumbnail OUT.png');
  await using br = await BioReader.open(file, { backend: flags.backend, series });
  let thumbnail: { path: string; level: number; width: number; height: number; z: number; t: number } | null =
    null;
  if (flags.thumbnail) {
    const { rgb, ...where } = await renderThumbnail(br, size);
    try {
      await writeFile(flags.thumbnail, encodePng(where.width, where.height, rgb));
    } catch (err) {
      throw OutputError.wrap(err, flags.thumbnail);
    }
    thumbnail = { path: flags.thumbnail, ...where };
  }
  if (flags.omexml) {
    print(buildOmeXml(br.metadata));
    return;
  }
  const allSeries = seriesRows(br);
  const channels = channelRows(br);
  const levels = levelRows(br);
  if (flags.json) {
    print(
      JSON.stringify({
        file: br.path,
        format: br.format,
        backend: br.backendName,
        series: br.seriesCount,
        seriesIndex: br.series,
        levels: br.levelCount,
        levelShapes: br.levels.map((l) => ({ X: l.sizeX, Y: l.sizeY, Z: l.sizeZ, C: l.sizeC, T: l.sizeT })),
        ...pick(allSeries[br.series]!, 'X', 'Y', 'Z', 'C', 'T', 'dtype'),
        channelNames: br.channelNames,
        physicalSize: allSeries[br.series]!.physicalSize,
        tileSize: br.tileSize ?? null,
        details: br.details,
        seriesList: allSeries,
        channels,
        levelList: levels,
        ...(thumbnail ? { thumbnail } : {}),
      }),
    );
    return;
  }
  print(
    formatInfo({
      file: br.path,
      format: br.format,
      backend: br.backendName,
      selected: br.series,
      series: allSeries,
      channels,
      levels,
      details: br.details,
    }),
  );
  if (thumbnail)
    print(
      `\nwrote ${thumbnail.path}: ${thumbnail.width}×${thumbnail.height} from level ${thumbnail.level} (z ${thumbnail.z}, t ${thumbnail.t})`,
    );
}
