/**
 * The layout of a new OME-Zarr image, computed from its metadata and the writer's options before anything
 * is written: level shapes, chunk and shard shapes per level, the codec, and every metadata document in the
 * order it is published (arrays, then OME-XML, then the group: the group metadata makes a store an image).
 * The writer, the parts of a conversion split over many tasks (`bfio convert --part`) and `bfio finalize`
 * all derive the store from this one function, so they agree on every byte of it.
 */
import { implementation } from '@bfio/codecs';
import {
  type Compression,
  type DownsampleMode,
  type DType,
  InvalidDataError,
  UnsupportedError,
} from '@bfio/core';
import { givenLevelSizes } from '@bfio/core/backend';
import type { Image, OME, Pixels } from '@bfio/ome-xml';
import { basename, endianness } from '#platform';
import type { ZarrFormat } from './layout.js';
import { arrayDocuments, checkCompression, groupDocuments } from './metadata-docs.js';
import { buildImageAttributes, colorToHex, type MultiscalesSpec, ngffUnit } from './ngff.js';
import { buildOmeXml } from './ome.js';
import type { ZarrCreateOptions } from './writer/options.js';

export type Vec5 = [number, number, number, number, number];

export interface StoreLayout {
  version: '0.4' | '0.5';
  format: ZarrFormat;
  /** Level 0 shape, t,c,z,y,x. */
  shape: Vec5;
  chunks: Vec5;
  shards: Vec5 | undefined;
  shapes: Vec5[];
  levelChunks: Vec5[];
  levelShards: Vec5[] | undefined;
  mode: DownsampleMode;
  /** Levels after the first are written by the caller (`CreateOptions.levelSizes`), not downsampled. */
  given: boolean;
  /** The arrays' fill_value (default 0). */
  fill: number | undefined;
  compression: Compression;
  level: number;
  /** Chunks are encoded by bfio itself (zstd or none, little-endian machine): required for shards. */
  directPossible: boolean;
  ngff: Record<string, unknown>;
  xml: string;
  /** Every metadata document, `[path in the store, text]`, in publishing order (group last). */
  documents(): Array<[string, string]>;
}

export function storeLayout(
  file: string,
  metadata: OME,
  dtype: DType,
  options: ZarrCreateOptions = {},
): StoreLayout {
  const image = metadata.images[0];
  if (!image) throw new InvalidDataError(`metadata for ${file} has no Image to write`, file);
  const px = image.pixels;
  const shape: Vec5 = [px.sizeT, px.sizeC, px.sizeZ, px.sizeY, px.sizeX];
  if (!shape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new InvalidDataError(
      `image sizes of ${file} must be positive integers, got T,C,Z,Y,X = ${shape}`,
      file,
    );
  }
  const { version, format, chunks, pyramidLevels, mode, compression, level, shards, directPossible } =
    checkZarrOptions(file, options, dtype);
  const fill = options.fillValue;
  if (fill !== undefined && !Number.isFinite(fill))
    throw new InvalidDataError(`fillValue for ${file} must be a finite number, got ${String(fill)}`, file);

  // Level shapes: Y and X halve (floor, at least 1); T, C and Z are kept. Given levels (a source's own
  // pyramid, written by the caller) keep their sizes.
  const given = givenLevelSizes(file, options, shape[4], shape[3]);
  const shapes: Vec5[] = [shape];
  for (const [x, y] of given ?? []) shapes.push([shape[0], shape[1], shape[2], y, x]);
  for (let k = 1; !given && k <= pyramidLevels; k++) {
    const p = shapes[k - 1] as Vec5;
    shapes.push([p[0], p[1], p[2], Math.max(1, Math.floor(p[3] / 2)), Math.max(1, Math.floor(p[4] / 2))]);
  }
  const levelChunks = shapes.map((s) => s.map((n, i) => Math.min(n, chunks[i] as number)) as Vec5);
  // A level's shards: no bigger than the level rounded up to whole chunks (still a multiple of its chunks).
  const levelShards = shards
    ? shapes.map(
        (s, k) =>
          s.map((n, i) => {
            const c = (levelChunks[k] as Vec5)[i] as number;
            return Math.min(shards[i] as number, Math.ceil(n / c) * c);
          }) as Vec5,
      )
    : undefined;
  // A 2×2 block must not straddle two chunks: interior chunk edges must fall on even rows/columns.
  for (let k = 0; !given && k < pyramidLevels; k++) {
    const s = shapes[k] as Vec5;
    const c = levelChunks[k] as Vec5;
    for (const i of [3, 4]) {
      if ((c[i] as number) < (s[i] as number) && (c[i] as number) % 2 !== 0) {
        throw new InvalidDataError(`pyramids need even chunk sizes in Y and X (${file} has ${c[i]})`, file);
      }
    }
  }

  const ngff = imageNgff(image, dtype, {
    version,
    name: image.name ?? basename(file),
    levels: shapes.length,
    // A given level's pixels are as much larger as it is smaller than level 0.
    factor: given
      ? (k) => [1, shape[3] / (shapes[k] as Vec5)[3], shape[4] / (shapes[k] as Vec5)[4]]
      : (k) => 2 ** k,
    downsample: given ? { type: 'source', method: 'the levels of the source, copied' } : mode,
  });
  const xml = buildOmeXml(metadataToWrite(metadata, dtype));
  const documents = (): Array<[string, string]> => {
    const docs: Array<[string, string]> = [];
    shapes.forEach((s, k) => {
      const spec = {
        format,
        shape: s,
        chunks: levelChunks[k] as Vec5,
        dtype,
        compression,
        level,
        shards: levelShards?.[k],
        fillValue: fill,
      };
      for (const [name, doc] of Object.entries(arrayDocuments(spec, file)))
        docs.push([`${k}/${name}`, JSON.stringify(doc, null, 2)]);
    });
    docs.push(['OME/METADATA.ome.xml', xml]);
    for (const [name, doc] of Object.entries(groupDocuments(format, ngff)))
      docs.push([name, JSON.stringify(doc, null, 2)]);
    return docs;
  };
  return {
    version,
    format,
    shape,
    chunks,
    shards,
    shapes,
    levelChunks,
    levelShards,
    mode,
    given: given !== undefined,
    compression,
    level,
    fill,
    directPossible,
    ngff,
    xml,
    documents,
  };
}

/** Compression levels each codec accepts (zstd's negative "fast" levels are not offered). */
const LEVELS: Partial<Record<Compression, [number, number]>> = {
  zstd: [1, 22],
  gzip: [0, 9],
  zlib: [0, 9],
  'blosc-zstd': [0, 9],
  'blosc-lz4': [0, 9],
};

/**
 * Checks and resolves the writer options that do not depend on the image's sizes: NGFF version, chunk and
 * shard shapes, pyramid levels, downsampling, codec and level. `BioWriter.create` calls it through the
 * backend's `checkCreateOptions` (with the dtype not known yet: `uint8` stands in, only blosc's typesize
 * depends on it), and `storeLayout` again with the image's.
 */
export function checkZarrOptions(file: string, options: ZarrCreateOptions, dtype: DType = 'uint8') {
  const version = options.ngffVersion ?? '0.5';
  if (version !== '0.4' && version !== '0.5') {
    throw new UnsupportedError(
      `ngffVersion '${String(version)}' cannot be written (${file}); use '0.4' or '0.5'`,
      file,
    );
  }
  const format: ZarrFormat = version === '0.5' ? 3 : 2;
  const tile =
    options.tileSize === undefined
      ? [1024, 1024]
      : typeof options.tileSize === 'number'
        ? [options.tileSize, options.tileSize]
        : options.tileSize;
  const chunks: Vec5 = options.chunks ? [...options.chunks] : [1, 1, 1, tile[0] as number, tile[1] as number];
  if (chunks.length !== 5 || !chunks.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new InvalidDataError(
      `chunks for ${file} must be 5 positive integers (t,c,z,y,x), got ${chunks}`,
      file,
    );
  }
  const pyramidLevels = options.pyramidLevels ?? 0;
  if (!Number.isInteger(pyramidLevels) || pyramidLevels < 0) {
    throw new InvalidDataError(
      `pyramidLevels for ${file} must be a non-negative integer, got ${pyramidLevels}`,
      file,
    );
  }
  const mode = options.downsample ?? 'mean';
  const compression: Compression = options.compression ?? 'zstd';
  const level = options.compressionLevel ?? 1;
  if (!['mean', 'nearest', 'mode', 'max'].includes(mode)) {
    throw new InvalidDataError(
      `downsample for ${file} must be 'mean', 'nearest', 'mode' or 'max', got '${String(mode)}'`,
      file,
    );
  }
  checkCompression({ format, shape: chunks, chunks, dtype, compression, level }, file);
  const [low, high] = LEVELS[compression] ?? [0, 0];
  if (compression !== 'none' && (!Number.isInteger(level) || level < low || level > high)) {
    throw new InvalidDataError(
      `compressionLevel for ${file} must be an integer ${low}..${high} for ${compression}, got ${level}`,
      file,
    );
  }
  if (
    options.maxWorkers !== undefined &&
    (!Number.isInteger(options.maxWorkers) || (options.maxWorkers as number) < 1)
  ) {
    throw new InvalidDataError(
      `maxWorkers for ${file} must be a positive integer, got ${String(options.maxWorkers)}`,
      file,
    );
  }
  // Shards are encoded by bfio itself (zarrita writes none): v3, and a codec chain bfio encodes.
  const shards = options.shards ? ([...options.shards] as Vec5) : undefined;
  const directPossible =
    endianness() === 'LE' &&
    (compression === 'none' || (compression === 'zstd' && implementation('zstd-encode') === 'native'));
  if (shards) {
    if (format !== 3)
      throw new UnsupportedError(`shards need Zarr v3 (ngffVersion '0.5'); ${file} asked for 0.4`, file);
    if (
      shards.length !== 5 ||
      !shards.every((n, i) => Number.isInteger(n) && n >= 1 && n % (chunks[i] as number) === 0)
    ) {
      throw new InvalidDataError(
        `shards for ${file} must be 5 positive multiples of the chunks (t,c,z,y,x = ${chunks}), got ${shards}`,
        file,
      );
    }
    if (!directPossible)
      throw new UnsupportedError(
        `sharded stores are written with zstd or no compression (${file} asked for '${compression}'${compression === 'zstd' ? ', but the native zstd codec did not load' : ''})`,
        file,
      );
  }

  return {
    version,
    format,
    chunks,
    pyramidLevels,
    mode,
    compression,
    level,
    shards,
    directPossible: Boolean(directPossible),
  };
}

/**
 * The NGFF attributes of one image group: axes with the OME physical sizes' units, level-0 scale from
 * them, omero channels from the OME channels. The writer and the store view (a source's own pyramid) share it.
 */
export function imageNgff(
  image: Image,
  dtype: DType,
  levels: Pick<MultiscalesSpec, 'version' | 'name' | 'levels' | 'factor' | 'downsample'>,
): Record<string, unknown> {
  const px = image.pixels;
  return buildImageAttributes({
    ...levels,
    scale: [
      px.timeIncrement?.value ?? 1,
      1,
      px.physicalSizeZ?.value ?? 1,
      px.physicalSizeY?.value ?? 1,
      px.physicalSizeX?.value ?? 1,
    ],
    units: {
      t: px.timeIncrement ? ngffUnit(px.timeIncrement.unit) : undefined,
      z: px.physicalSizeZ ? ngffUnit(px.physicalSizeZ.unit) : undefined,
      y: px.physicalSizeY ? ngffUnit(px.physicalSizeY.unit) : undefined,
      x: px.physicalSizeX ? ngffUnit(px.physicalSizeX.unit) : undefined,
    },
    channels: channelsOf(px, dtype),
  });
}

function dtypeRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'uint8':
      return [0, 255];
    case 'int8':
      return [-128, 127];
    case 'uint16':
      return [0, 65535];
    case 'int16':
      return [-32768, 32767];
    case 'uint32':
      return [0, 4294967295];
    case 'int32':
      return [-2147483648, 2147483647];
    default:
      return [0, 1];
  }
}

const DEFAULT_COLORS = ['FF0000', '00FF00', '0000FF', 'FF00FF', '00FFFF', 'FFFF00', 'FFFFFF'];

function channelsOf(px: Pixels, dtype: DType) {
  const [min, max] = dtypeRange(dtype);
  return Array.from({ length: px.sizeC }, (_, c) => {
    const ch = px.channels[c];
    return {
      label: ch?.name ?? `Channel ${c}`,
      color:
        ch?.color !== undefined
          ? colorToHex(ch.color)
          : px.sizeC === 1
            ? 'FFFFFF'
            : (DEFAULT_COLORS[c % DEFAULT_COLORS.length] as string),
      min,
      max,
    };
  });
}

/** The OME written beside the pixels: image 0 only (the store holds one image), pixel type from the dtype. */
function metadataToWrite(metadata: OME, dtype: DType): OME {
  const image = metadata.images[0];
  if (!image) return metadata;
  return { ...metadata, images: [imageAsWritten(image, dtype)] };
}

/** An Image as a Zarr store holds it: pixel type from the written dtype, little-endian, no TiffData. */
export function imageAsWritten(image: Image, dtype: DType): Image {
  const type = dtype === 'float32' ? 'float' : dtype === 'float64' ? 'double' : dtype;
  return { ...image, pixels: { ...image.pixels, type, bigEndian: false, tiffData: [] } };
}
