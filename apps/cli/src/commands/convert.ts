import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BioReader, BioWriter, type Compression, copyImage, isBfioError, regionFromArgs } from '@bfio/core';
import type { OME } from '@bfio/ome-xml';
import { OutputError } from '../output-error.js';
import { Progress } from '../progress.js';
import { type SequenceFlags, sourceOptions } from '../sequence/source-options.js';
import { parseIntFlag, parseList, parseRange, UsageError } from '../usage-error.js';
import {
  type ConventionFlags,
  channelAndTime,
  parseCompressionLevel,
  parseDownsample,
  parseFillValue,
  parseSeries,
  pyramidLevelsFor,
} from './convert-conventions.js';
import { convertInParts, type PartFlags, wantsParts } from './convert-parts.js';
import { copyGivenLevels, sourceLevelSizes } from './copy-levels.js';
import { jpegRgbOptions } from './jpeg-rgb.js';

export const CONVERT_HELP = `bfio convert IN OUT [options]

Converts IN (any readable format) to a tiled OME-TIFF (OUT ending .ome.tif/.ome.tiff) or an OME-Zarr
(OUT ending .ome.zarr/.zarr), tile by tile with bounded memory.

  --format ome-tiff|ome-zarr   output format (default: from OUT's extension)
  --series N|i,j,k|all         which series of IN (default 0), e.g. --series 0,2,5; several write
                               OUT_s<N> per series (OME-TIFF) or one OME-Zarr with a group per series
                               (bioformats2raw layout); a plate (HCS) to OME-Zarr defaults to all
                               series, written as an NGFF plate (wells row/col, fields row/col/field)
  --channels a:b | i,j         channels to keep (default all)      --z a:b   --t a:b | i,j
  --channel C  --timepoint T   one channel / one timepoint, as bfconvert's -channel/-timepoint
                               (e.g. --channel 1 --timepoint 0)
  --no-hcs                     a plate is converted as plain series, without the OME-Zarr plate layout
                               (as bioformats2raw --no-hcs), e.g. bfio convert plate.czi p.ome.zarr --no-hcs
  --crop x,y,w,h               a rectangle of each plane
  --grid ROW,COL               IN is a file pattern ({r:ddd} 3 digits, {r:d+} any, {c:c+} letters):
                               stitch the same-sized tiles it names, variable ROW down, COL across;
                               without --grid, variables z, c, t stack files along those axes
  --tile-size N                tile/chunk edge (multiple of 16; default 1024)
  --compression deflate|lzw|zstd|jpeg|none   (default deflate for TIFF, zstd for Zarr; jpeg: OME-TIFF,
                               uint8 only, lossy)
  --quality Q                  JPEG quality 1..100 (default 90), with --compression jpeg
  --rgb                        OME-TIFF: store 3 channels as interleaved RGB (brightfield slides; uint8 or
                               uint16; under jpeg as YCbCr 4:2:0, as tifffile writes)
  --resolutions N|auto         N resolutions IN TOTAL, the full one included (as bfconvert
                               -pyramid-resolutions N and bioformats2raw --resolutions N), each half the
                               one above, e.g. --resolutions 4; 'auto': halve until the larger side is
                               at most --target-min-size (default 256, as bioformats2raw)
  --pyramid N                  alias of --resolutions N (until @bfio/cli 0.2 it counted the levels
                               beyond the full one: --pyramid 3 wrote 4 resolutions; now 3)
  --target-min-size S          with --resolutions auto, e.g. --resolutions auto --target-min-size 512
  --downsample mean|nearest|mode|max   how each level is made from 2×2 blocks (default mean); label
                               images and masks: mode (most frequent value, ties → the smallest) or
                               nearest (top-left pixel); max for masks. e.g. --downsample mode
  --use-existing-resolutions   copy IN's own pyramid (SVS, pyramidal OME-TIFF) level by level instead
                               of recomputing it,
                               e.g. bfio convert slide.svs s.ome.tif --use-existing-resolutions
  --compression-level N        deflate 0..9 (TIFF default 1), zstd 1..22 (default 1),
                               e.g. --compression zstd --compression-level 9
  --fill-value V               what tiles/chunks IN lacks (sparse TIFF tiles, absent Zarr chunks)
                               become; for OME-Zarr also the arrays' fill_value, e.g. --fill-value 255
  --ngff-version 0.4|0.5       OME-Zarr version (default 0.5)
  --shard-size N               OME-Zarr 0.5: store N×N-pixel shards of tile-size chunks, one file each
                               (N a multiple of --tile-size; zstd or none)
  --wipp                       WIPP/bfio layout: OUT is a folder, one <name>_c<C>_t<T>.ome.tif per
                               channel and timepoint, 1024 tiles, Deflate
  --max-workers N              decode/encode parallelism (default: number of cores)
  --overwrite                  replace OUT if it exists (default: refuse)
  --strict                     a chunk or tile missing from IN is an error (default: the fill value)
  --json                       print a JSON summary at the end

Split over many tasks (OME-Zarr only; OUT local, on a shared file system, or s3://bucket/key):
  --plan N                     print how N parts split the output (chunk ranges, bytes) as JSON
  --part i/N                   write part i (0-based) of N; parts run anywhere, in any order, again if
                               they fail (a re-run rewrites the same bytes); then 'bfio finalize OUT'
  --level L --part i/N         build pyramid level L (and what follows it) from level L-1, split too
                               (only for levels the plan leaves to finalize: it says 'ownedLevels')
  --resume                     skip chunks already written and whole (checked); alone: one process,
                               finalized at the end

Examples:
  bfio convert scan.czi scan.ome.tif --resolutions 4
  bfio convert labels.ome.tif labels.ome.zarr --resolutions auto --downsample mode
  bfio convert plate.nd2 wells.ome.zarr --series 0,2,5 --channel 1 --timepoint 0
  bfio convert big.ome.tif crop.ome.zarr --crop 0,0,4096,4096 --channels 0:2
  bfio convert plate.czi out/ --wipp
  bfio convert 'tiles/img_r{r:ddd}_c{c:ddd}.ome.tif' mosaic.ome.zarr --grid r,c
  bfio convert 'planes/plane_z{z:ddd}_c{c:d}.tif' stack.ome.tif
  bfio convert slide.svs slide.ome.zarr --tile-size 512 --shard-size 4096 --resolutions 5
  bfio convert big.ome.tif s3://lab/big.ome.zarr --pyramid 4 --part 3/16   (then: bfio finalize …)`;

export interface ConvertFlags extends PartFlags, SequenceFlags, ConventionFlags {
  format?: string;
  series?: string;
  channels?: string;
  z?: string;
  t?: string;
  crop?: string;
  'tile-size'?: string;
  compression?: string;
  pyramid?: string;
  'ngff-version'?: string;
  'shard-size'?: string;
  overwrite?: boolean;
  strict?: boolean;
  json?: boolean;
  backend?: string;
  wipp?: boolean;
  'max-workers'?: string;
  quality?: string;
  rgb?: boolean;
}

const COMPRESSIONS = ['deflate', 'lzw', 'zstd', 'jpeg', 'none'];

/** A conversion job: one output file from one series and a C/T selection. */
interface Job {
  series: number;
  output: string;
  channels?: string;
  t?: string;
}

const isZarrOutput = (flags: ConvertFlags, output: string): boolean =>
  flags.format ? flags.format === 'ome-zarr' : /\.zarr\/?$/i.test(output);

function withSuffix(path: string, suffix: string): string {
  const m = /(\.ome\.tiff?|\.ome\.zarr|\.tiff?|\.zarr)$/i.exec(path);
  return m ? `${path.slice(0, m.index)}${suffix}${m[0]}` : `${path}${suffix}`;
}

/**
 * `bfio convert`: one output, or with `--series all` one per series, or with `--wipp` one per channel
 * and timepoint in the OUT folder (what WIPP plugins and bfio's python writer expect).
 */
export async function convert(
  input: string,
  output: string,
  flags: ConvertFlags,
  print: (s: string) => void,
): Promise<void> {
  // bfconvert's -channel C / -timepoint T are one-index --channels / --t selections.
  flags = { ...flags, ...channelAndTime(flags) };
  let seriesList: number[];
  let sizes: { C: number; T: number }[];
  {
    await using br = await BioReader.open(input, sourceOptions(input, flags));
    // A plate to OME-Zarr is the whole plate unless --series picks fields: bioformats2raw converts every
    // series, and one field alone is not a plate.
    seriesList =
      flags.series === undefined && isZarrOutput(flags, output) && br.plate
        ? Array.from({ length: br.seriesCount }, (_, i) => i)
        : parseSeries(flags.series, br.seriesCount);
    sizes = seriesList.map((s) => {
      br.series = s;
      return { C: br.C, T: br.T };
    });
  }
  if (flags.wipp && flags.format === 'ome-zarr')
    throw new UsageError('--wipp writes OME-TIFF files; drop --format ome-zarr');
  const zarrOut = flags.format ? flags.format === 'ome-zarr' : /\.zarr\/?$/i.test(output);
  if (wantsParts(flags) && (seriesList.length > 1 || flags.wipp))
    throw new UsageError(
      '--part/--plan/--resume convert one series to one OME-Zarr (not --series all or --wipp)',
    );
  if (seriesList.length > 1 && zarrOut && !flags.wipp) {
    await convertToContainer(input, output, seriesList, flags, print);
    return;
  }
  const jobs: Job[] = [];
  seriesList.forEach((series, k) => {
    const out = seriesList.length > 1 ? withSuffix(output, `_s${series}`) : output;
    if (!flags.wipp) {
      jobs.push({ series, output: out, channels: flags.channels, t: flags.t });
      return;
    }
    const cs =
      parseList('channels', flags.channels, sizes[k]!.C) ?? Array.from({ length: sizes[k]!.C }, (_, i) => i);
    const ts = parseList('t', flags.t, sizes[k]!.T) ?? Array.from({ length: sizes[k]!.T }, (_, i) => i);
    mkdirSync(out, { recursive: true });
    const stem = basename(input).replace(/(\.ome)?\.[^.]+$/i, '');
    for (const t of ts)
      for (const c of cs)
        jobs.push({
          series,
          output: join(out, `${stem}_c${c}_t${t}.ome.tif`),
          channels: String(c),
          t: String(t),
        });
  });
  for (const job of jobs) await convertOne(input, job, flags, print);
}

/**
 * Several series into one OME-Zarr store in the bioformats2raw layout (groups 0/, 1/, …, OME/METADATA.ome.xml
 * with every image), as bioformats2raw writes it: each series converted as a single image would be, into
 * the container's group; the store appears at OUT only when all are done.
 */
async function convertToContainer(
  input: string,
  output: string,
  seriesList: number[],
  flags: ConvertFlags,
  print: (s: string) => void,
): Promise<void> {
  const { ZarrContainerWriter } = await import('@bfio/zarr');
  const ngff = flags['ngff-version'];
  if (ngff && ngff !== '0.4' && ngff !== '0.5')
    throw new UsageError(`--ngff-version takes 0.4 or 0.5, got '${ngff}'`);
  let metadata: OME;
  {
    await using br = await BioReader.open(input, sourceOptions(input, flags));
    metadata = br.metadata;
  }
  let container: Awaited<ReturnType<typeof ZarrContainerWriter.create>>;
  try {
    container = await ZarrContainerWriter.create(output, metadata, {
      ngffVersion: ngff as '0.4' | '0.5' | undefined,
      overwrite: flags.overwrite ?? false,
      hcs: !flags['no-hcs'],
      images: seriesList,
    });
  } catch (err) {
    throw OutputError.wrap(err, output);
  }
  const layout = container.plate ? 'plate' : 'bioformats2raw';
  const started = Date.now();
  const images: unknown[] = [];
  try {
    for (const series of seriesList) {
      const path = container.imagePath(series);
      await convertOne(
        input,
        { series, output: path, channels: flags.channels, t: flags.t },
        { ...flags, format: 'ome-zarr', overwrite: false, json: true },
        (line) => images.push({ ...JSON.parse(line), output: `${output}/${container.groupOf(series)}` }),
      );
    }
    await container.close();
  } catch (err) {
    await container.abort();
    throw err;
  }
  const seconds = (Date.now() - started) / 1000;
  print(
    flags.json
      ? JSON.stringify({ input, output, layout, images, seconds })
      : `wrote ${output}: ${images.length} images (${layout} layout: ${seriesList.join(', ')}) in ${seconds.toFixed(1)} s`,
  );
}

async function convertOne(
  input: string,
  job: Job,
  flags: ConvertFlags,
  print: (s: string) => void,
): Promise<void> {
  const output = job.output;
  const tileSize = flags.wipp ? 1024 : (parseIntFlag('tile-size', flags['tile-size']) ?? 1024);
  const maxWorkers = parseIntFlag('max-workers', flags['max-workers']);
  if (maxWorkers === 0) throw new UsageError('--max-workers must be at least 1');
  if (tileSize < 16 || tileSize % 16 !== 0)
    throw new UsageError(`--tile-size must be a multiple of 16, got ${tileSize}`);
  if (flags.compression && !COMPRESSIONS.includes(flags.compression)) {
    throw new UsageError(`--compression takes ${COMPRESSIONS.join('|')}, got '${flags.compression}'`);
  }
  if (flags.format && !['ome-tiff', 'ome-zarr'].includes(flags.format)) {
    throw new UsageError(`--format takes ome-tiff or ome-zarr, got '${flags.format}'`);
  }
  const ngff = flags['ngff-version'];
  if (ngff && ngff !== '0.4' && ngff !== '0.5')
    throw new UsageError(`--ngff-version takes 0.4 or 0.5, got '${ngff}'`);
  const shardSize = parseIntFlag('shard-size', flags['shard-size']);
  if (shardSize !== undefined) {
    const zarrOut = flags.format ? flags.format === 'ome-zarr' : /\.zarr\/?$/i.test(output);
    if (!zarrOut || flags.wipp) throw new UsageError('--shard-size is for OME-Zarr outputs');
    if (shardSize < tileSize || shardSize % tileSize !== 0)
      throw new UsageError(
        `--shard-size must be a multiple of the tile size (${tileSize}), got ${shardSize}`,
      );
  }
  const started = Date.now();

  await using br = await BioReader.open(input, {
    ...sourceOptions(input, flags),
    series: job.series,
    maxWorkers,
    strict: flags.strict === true,
    // Checked against the pixel type below; a plain number is enough to open with.
    fillValue: parseFillValue(flags['fill-value'], 'float64'),
  });
  let X: [number, number] = [0, br.X];
  let Y: [number, number] = [0, br.Y];
  if (flags.crop) {
    const parts = flags.crop.split(',').map((s) => Number(s.trim()));
    if (parts.length !== 4 || parts.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new UsageError(`--crop takes x,y,w,h (non-negative integers), got '${flags.crop}'`);
    }
    const [x, y, w, h] = parts as [number, number, number, number];
    X = [x, x + w];
    Y = [y, y + h];
  }
  const Z = parseRange('z', flags.z, br.Z) ?? [0, br.Z];
  const C = parseList('channels', job.channels, br.C) ?? Array.from({ length: br.C }, (_, i) => i);
  const T = parseList('t', job.t, br.T) ?? Array.from({ length: br.T }, (_, i) => i);
  // Validate the selection against the source before creating anything.
  regionFromArgs({ X, Y, Z, C, T }, br.extent, br.path);
  const fillValue = parseFillValue(flags['fill-value'], br.dtype);
  const pyramidLevels = pyramidLevelsFor(flags, X[1] - X[0], Y[1] - Y[0]);
  const levelSizes = flags['use-existing-resolutions']
    ? sourceLevelSizes(br, { ...flags, parts: wantsParts(flags) })
    : [];
  const downsample = parseDownsample(flags.downsample);
  const compressionLevel = parseCompressionLevel(
    flags['compression-level'],
    flags.wipp ? 'deflate' : (flags.compression ?? (isZarrOutput(flags, output) ? 'zstd' : 'deflate')),
  );

  const meta = structuredClone(br.metadata);
  meta.images = [structuredClone(br.image)];
  const backend = flags.format === 'ome-zarr' ? 'zarr' : flags.format === 'ome-tiff' ? 'tiff' : undefined;
  const parts = wantsParts(flags);
  let bw: BioWriter;
  try {
    bw = await BioWriter.create(output, {
      backend,
      metadata: meta,
      // In parts the writer only shapes the metadata (the store is shared with other tasks).
      overwrite: parts || (flags.overwrite ?? false),
      tileSize,
      compression: flags.wipp ? 'deflate' : (flags.compression as Compression | undefined),
      pyramidLevels,
      downsample,
      compressionLevel,
      fillValue,
      levelSizes: levelSizes.length ? levelSizes : undefined,
      ngffVersion: ngff,
      shards: shardSize === undefined ? undefined : [1, 1, 1, shardSize, shardSize],
      wipp: flags.wipp ?? false,
      maxWorkers,
      ...jpegRgbOptions(flags, output),
    });
    bw.X = X[1] - X[0];
    bw.Y = Y[1] - Y[0];
    bw.Z = Z[1] - Z[0];
    bw.C = C.length;
    bw.T = T.length;
    bw.channelNames = C.map((c) => br.channelNames[c] ?? '');
  } catch (err) {
    throw OutputError.wrap(err, output);
  }
  if (parts) {
    const metadata = bw.metadata;
    const dtype = bw.dtype;
    await bw.abort();
    await convertInParts(
      br,
      { X, Y, Z, C, T },
      metadata,
      dtype,
      output,
      {
        tileSize,
        compression: flags.compression,
        compressionLevel,
        downsample,
        fillValue,
        pyramidLevels,
        ngffVersion: ngff,
        shards: shardSize === undefined ? undefined : [1, 1, 1, shardSize, shardSize],
        maxWorkers,
      },
      flags,
      print,
    );
    return;
  }
  const progress = new Progress(process.stderr, 'converting');
  try {
    const result = await copyImage(br, bw, {
      tileSize,
      // Interleaved RGB output completes a tile once its three channels are in: copy them together.
      channelsTogether: flags.rgb === true,
      X,
      Y,
      Z,
      C,
      T,
      onProgress: (p) => progress.update(p.tilesDone, p.tilesTotal, p.bytesDone),
    });
    if (levelSizes.length) {
      const copied = await copyGivenLevels(br, bw, { Z, C, T }, tileSize);
      result.tilesTotal += copied.tiles;
      result.bytesDone += copied.bytes;
    }
    await bw.close();
    progress.done();
    const seconds = (Date.now() - started) / 1000;
    const summary = {
      input: br.path,
      output: bw.path,
      backend: bw.backendName,
      shape: bw.shape,
      dtype: bw.dtype,
      tiles: result.tilesTotal,
      bytes: result.bytesDone,
      seconds,
      mbPerSecond: result.bytesDone / 1e6 / Math.max(seconds, 1e-6),
    };
    print(
      flags.json
        ? JSON.stringify(summary)
        : `wrote ${summary.output}: ${bw.X}x${bw.Y} Z=${bw.Z} C=${bw.C} T=${bw.T} ${bw.dtype}, ${summary.tiles} tiles in ${seconds.toFixed(1)} s`,
    );
  } catch (err) {
    progress.done();
    await bw.abort().catch(() => {});
    // The writer's own refusals (an option its format cannot write, a full disk) are output errors (exit 3).
    if (isBfioError(err) && err.file === bw.path) throw OutputError.wrap(err, output);
    throw err;
  }
}
