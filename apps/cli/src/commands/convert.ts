import { BioReader, BioWriter, type Compression, copyImage, regionFromArgs } from '@bfio/core';
import { OutputError } from '../output-error.js';
import { Progress } from '../progress.js';
import { parseIntFlag, parseList, parseRange, UsageError } from '../usage-error.js';

export const CONVERT_HELP = `bfio convert IN OUT [options]

Converts IN (any readable format) to a tiled OME-TIFF (OUT ending .ome.tif/.ome.tiff) or an OME-Zarr
(OUT ending .ome.zarr/.zarr), tile by tile with bounded memory.

  --format ome-tiff|ome-zarr   output format (default: from OUT's extension)
  --series N                   which series of IN (default 0)
  --channels a:b | i,j         channels to keep (default all)      --z a:b   --t a:b | i,j
  --crop x,y,w,h               a rectangle of each plane
  --tile-size N                tile/chunk edge (multiple of 16; default 1024)
  --compression deflate|lzw|zstd|none   (default deflate for TIFF, zstd for Zarr)
  --pyramid LEVELS             also write LEVELS downsampled levels (2x mean)
  --ngff-version 0.4|0.5       OME-Zarr version (default 0.5)
  --overwrite                  replace OUT if it exists (default: refuse)
  --json                       print a JSON summary at the end

Examples:
  bfio convert scan.czi scan.ome.tif --pyramid 4
  bfio convert big.ome.tif crop.ome.zarr --crop 0,0,4096,4096 --channels 0:2`;

export interface ConvertFlags {
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
  overwrite?: boolean;
  json?: boolean;
  backend?: string;
}

const COMPRESSIONS = ['deflate', 'lzw', 'zstd', 'none'];

export async function convert(
  input: string,
  output: string,
  flags: ConvertFlags,
  print: (s: string) => void,
): Promise<void> {
  const tileSize = parseIntFlag('tile-size', flags['tile-size']) ?? 1024;
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
  const pyramidLevels = parseIntFlag('pyramid', flags.pyramid) ?? 0;
  const started = Date.now();

  await using br = await BioReader.open(input, {
    backend: flags.backend,
    series: parseIntFlag('series', flags.series) ?? 0,
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
  const C = parseList('channels', flags.channels, br.C) ?? Array.from({ length: br.C }, (_, i) => i);
  const T = parseList('t', flags.t, br.T) ?? Array.from({ length: br.T }, (_, i) => i);
  // Validate the selection against the source before creating anything.
  regionFromArgs({ X, Y, Z, C, T }, br.extent, br.path);

  const meta = structuredClone(br.metadata);
  meta.images = [structuredClone(br.image)];
  const backend = flags.format === 'ome-zarr' ? 'zarr' : flags.format === 'ome-tiff' ? 'tiff' : undefined;
  let bw: BioWriter;
  try {
    bw = await BioWriter.create(output, {
      backend,
      metadata: meta,
      overwrite: flags.overwrite ?? false,
      tileSize,
      compression: flags.compression as Compression | undefined,
      pyramidLevels,
      ngffVersion: ngff,
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
  const progress = new Progress(process.stderr, 'converting');
  try {
    const result = await copyImage(br, bw, {
      tileSize,
      X,
      Y,
      Z,
      C,
      T,
      onProgress: (p) => progress.update(p.tilesDone, p.tilesTotal, p.bytesDone),
    });
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
    throw err;
  }
}
