/**
 * What a store view presents, decided once when it opens: one NGFF image group per series (at the root for
 * a single-series source, else under `{series}/` in the bioformats2raw layout), one array per level of the
 * source's own pyramid, the chunk grid of each array, and every metadata document as bytes. The documents
 * come from the same builders the Zarr writer uses (ngff.ts, metadata-docs.ts, store-layout.ts), so a viewed
 * image and a converted one carry the same metadata.
 */
import type { BioReader, Compression, DType } from '@bfio/core';
import type { Image, OME } from '@bfio/ome-xml';
import { basename } from '#platform';
import type { ZarrFormat } from '../layout.js';
import { arrayDocuments, bioformats2rawDocuments, groupDocuments } from '../metadata-docs.js';
import { buildOmeXml } from '../ome.js';
import { imageAsWritten, imageNgff, type Vec5 } from '../store-layout.js';

/** How chunks are served: uncompressed, or encoded with one of our codecs. */
export type ViewCodec = 'none' | 'zstd' | 'blosc' | 'gzip';

/** One array of the view: a level of a series. */
export interface ViewArray {
  series: number;
  level: number;
  /** t,c,z,y,x. */
  shape: Vec5;
  chunks: Vec5;
  /** Chunks per axis, t,c,z,y,x. */
  grid: Vec5;
  dtype: DType;
}

export interface ViewLayout {
  format: ZarrFormat;
  /** Whether series live under `{series}/` (bioformats2raw layout) or the one image is the root. */
  multiSeries: boolean;
  /** Array prefix (no leading or trailing '/', '' for none) → array. */
  arrays: Map<string, ViewArray>;
  /** Absolute key → document bytes. */
  documents: Map<string, Uint8Array>;
  /** The compression named in the array metadata. */
  compression: Compression;
  level: number;
}

/** Chunk edge used when the source has no tiles of a usable size (strips, whole planes). */
export const DEFAULT_TILE = 1024;

/**
 * The source's own tile when it is a sensible chunk (so one chunk is one tile read), else the default.
 * Strips (a few rows of the full width) and tiny or huge blocks make poor chunks.
 */
function chunkEdge(tile: [number, number] | undefined): [number, number] {
  if (tile) {
    const [h, w] = tile;
    if (h >= 16 && w >= 16 && h <= 4096 && w <= 4096 && h * w >= 64 * 64) return [h, w];
  }
  return [DEFAULT_TILE, DEFAULT_TILE];
}

function compressionOf(codec: ViewCodec): Compression {
  // Blosc as numcodecs' default (lz4, byte shuffle): fast to encode per request, read everywhere.
  return codec === 'blosc' ? 'blosc-lz4' : codec;
}

const encoder = new TextEncoder();
const json = (doc: unknown) => encoder.encode(JSON.stringify(doc, null, 2));

/** Reads the pyramid of every series of `reader` and builds the documents (the reader's selection is restored). */
export function viewLayout(reader: BioReader, version: '0.4' | '0.5', codec: ViewCodec): ViewLayout {
  const format: ZarrFormat = version === '0.5' ? 3 : 2;
  const compression = compressionOf(codec);
  // Level 1 everywhere: chunks are encoded per request, so speed matters more than the last percent.
  const level = 1;
  const multiSeries = reader.seriesCount > 1;
  const arrays = new Map<string, ViewArray>();
  const documents = new Map<string, Uint8Array>();
  const file = reader.path;
  const saved = { series: reader.series, level: reader.level };
  const images: Image[] = [];
  try {
    for (let s = 0; s < reader.seriesCount; s++) {
      reader.series = s;
      const group = multiSeries ? `${s}` : '';
      const dtype = reader.dtype;
      const image = imageAsWritten(reader.image, dtype);
      images.push(image);
      const levels = reader.levels;
      const base = levels[0]!;
      levels.forEach((info, k) => {
        reader.level = k;
        const shape: Vec5 = [info.sizeT, info.sizeC, info.sizeZ, info.sizeY, info.sizeX];
        const [th, tw] = chunkEdge(reader.tileSize);
        const chunks: Vec5 = [1, 1, 1, Math.min(th, info.sizeY), Math.min(tw, info.sizeX)];
        const grid = shape.map((n, i) => Math.ceil(n / (chunks[i] as number))) as Vec5;
        const prefix = group ? `${group}/${k}` : `${k}`;
        arrays.set(prefix, { series: s, level: k, shape, chunks, grid, dtype });
        const docs = arrayDocuments({ format, shape, chunks, dtype, compression, level }, file);
        for (const [name, doc] of Object.entries(docs)) documents.set(`/${prefix}/${name}`, json(doc));
      });
      const ngff = imageNgff(image, dtype, {
        version,
        name: image.name ?? basename(file),
        levels: levels.length,
        downsample: { type: 'source', method: `the levels of the source file (${reader.format})` },
        // The source's own levels: the scale of each is the size ratio to level 0 (need not be 2^k).
        factor: (k) => {
          const l = levels[k]!;
          return [base.sizeZ / l.sizeZ, base.sizeY / l.sizeY, base.sizeX / l.sizeX];
        },
      });
      for (const [name, doc] of Object.entries(groupDocuments(format, ngff)))
        documents.set(group ? `/${group}/${name}` : `/${name}`, json(doc));
    }
  } finally {
    reader.series = saved.series;
    reader.level = saved.level;
  }
  const ome: OME = { ...reader.metadata, images };
  documents.set('/OME/METADATA.ome.xml', encoder.encode(buildOmeXml(ome)));
  if (multiSeries) {
    const docs = bioformats2rawDocuments(
      format,
      images.map((_, s) => String(s)),
    );
    for (const [name, doc] of Object.entries(docs.ome)) documents.set(`/OME/${name}`, json(doc));
    for (const [name, doc] of Object.entries(docs.root)) documents.set(`/${name}`, json(doc));
  }
  return { format, multiSeries, arrays, documents, compression, level };
}
