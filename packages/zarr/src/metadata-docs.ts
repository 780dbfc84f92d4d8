/**
 * The Zarr metadata documents bfio writes: array metadata for Zarr v2 (`.zarray`, written by us because
 * zarrita only creates v3) and v3 (`zarr.json`), and the image group documents.
 */
import { bytesPerPixel, type Compression, type DType, numpyTypestr, UnsupportedError } from '@bfio/core';
import type { ZarrFormat } from './layout.js';

export const DIMENSION_NAMES = ['t', 'c', 'z', 'y', 'x'];

export interface ArraySpec {
  format: ZarrFormat;
  shape: number[];
  chunks: number[];
  dtype: DType;
  compression: Compression;
  level: number;
  /** Zarr v3 only: the shard shape (a multiple of `chunks`); `chunks` are then the chunks inside a shard. */
  shards?: number[];
  /** What readers give for a chunk the store lacks (default 0). */
  fillValue?: number;
}

/** The v3 codec chain (after `bytes`) for a compression, or the v2 compressor. */
function compressorV3(spec: ArraySpec, file: string): Record<string, unknown>[] {
  const { compression: c, level } = spec;
  switch (c) {
    case 'none':
      return [];
    case 'zstd':
      return [{ name: 'zstd', configuration: { level, checksum: false } }];
    case 'gzip':
      return [{ name: 'gzip', configuration: { level } }];
    case 'blosc-zstd':
    case 'blosc-lz4':
      return [
        {
          name: 'blosc',
          configuration: {
            cname: c === 'blosc-zstd' ? 'zstd' : 'lz4',
            clevel: level,
            shuffle: 'shuffle',
            typesize: bytesPerPixel(spec.dtype),
            blocksize: 0,
          },
        },
      ];
    default:
      throw new UnsupportedError(
        `compression '${c}' cannot be written to Zarr v3 (${file}); use zstd, gzip, blosc-zstd, blosc-lz4 or none`,
        file,
      );
  }
}

function compressorV2(spec: ArraySpec, file: string): Record<string, unknown> | null {
  const { compression: c, level } = spec;
  switch (c) {
    case 'none':
      return null;
    case 'zstd':
      return { id: 'zstd', level };
    case 'gzip':
      return { id: 'gzip', level };
    case 'zlib':
      return { id: 'zlib', level };
    case 'blosc-zstd':
    case 'blosc-lz4':
      return {
        id: 'blosc',
        cname: c === 'blosc-zstd' ? 'zstd' : 'lz4',
        clevel: level,
        shuffle: 1,
        blocksize: 0,
      };
    default:
      throw new UnsupportedError(
        `compression '${c}' cannot be written to Zarr v2 (${file}); use zstd, gzip, zlib, blosc-zstd, blosc-lz4 or none`,
        file,
      );
  }
}

/** Checks that a compression can be written, throwing UnsupportedError before anything touches the disk. */
export function checkCompression(spec: ArraySpec, file: string): void {
  if (spec.format === 3) compressorV3(spec, file);
  else compressorV2(spec, file);
}

/** File name → JSON document for one array. */
export function arrayDocuments(spec: ArraySpec, file: string): Record<string, unknown> {
  if (spec.format === 3) {
    const inner = [{ name: 'bytes', configuration: { endian: 'little' } }, ...compressorV3(spec, file)];
    return {
      'zarr.json': {
        zarr_format: 3,
        node_type: 'array',
        shape: spec.shape,
        data_type: spec.dtype,
        chunk_grid: { name: 'regular', configuration: { chunk_shape: spec.shards ?? spec.chunks } },
        chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
        fill_value: spec.fillValue ?? 0,
        // Sharded: each grid cell is one file holding its chunks and, at the end, their index (offset and
        // length per chunk, little-endian uint64, then a CRC32C of the index): shard.ts writes it.
        codecs: spec.shards
          ? [
              {
                name: 'sharding_indexed',
                configuration: {
                  chunk_shape: spec.chunks,
                  codecs: inner,
                  index_codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'crc32c' }],
                  index_location: 'end',
                },
              },
            ]
          : inner,
        attributes: {},
        dimension_names: DIMENSION_NAMES,
        storage_transformers: [],
      },
    };
  }
  return {
    '.zarray': {
      zarr_format: 2,
      shape: spec.shape,
      chunks: spec.chunks,
      dtype: numpyTypestr(spec.dtype),
      compressor: compressorV2(spec, file),
      fill_value: spec.fillValue ?? 0,
      filters: null,
      order: 'C',
      dimension_separator: '/',
    },
    // xarray's convention; harmless for NGFF readers and it names the axes for tools that look for it.
    '.zattrs': { _ARRAY_DIMENSIONS: DIMENSION_NAMES },
  };
}

/** File name → JSON document for the image group (`ngff` is the NGFF attribute body). */
export function groupDocuments(format: ZarrFormat, ngff: Record<string, unknown>): Record<string, unknown> {
  if (format === 3) return { 'zarr.json': { zarr_format: 3, node_type: 'group', attributes: { ome: ngff } } };
  return { '.zgroup': { zarr_format: 2 }, '.zattrs': ngff };
}

/**
 * The two groups of the bioformats2raw layout (what bioformats2raw writes, the NGFF `bf2raw` schema): the
 * root, marked with the layout version, and `OME`, listing the series groups in OME-XML image order.
 */
export function bioformats2rawDocuments(
  format: ZarrFormat,
  series: string[],
): { root: Record<string, unknown>; ome: Record<string, unknown> } {
  const version = format === 3 ? { version: '0.5' } : {};
  return {
    root: groupDocuments(format, { ...version, 'bioformats2raw.layout': 3 }),
    ome: groupDocuments(format, { ...version, series }),
  };
}
