/**
 * Where each plane of each series/level lives: the mapping from (series, level, z, c, t) to a TIFF page
 * and sample, built once at open from OME-XML, ImageJ metadata or the plain page structure.
 */
import type { DType, LevelInfo } from '@bfio/core';
import type { DimensionOrder } from '@bfio/ome-xml';
import type { TiffPage } from './tiff-file.js';

/** One plane's source: a main-chain IFD of a file, optionally one of its SubIFDs, and a sample of it. */
export interface PageRef {
  /** Index into the reader's file list. */
  file: number;
  /** Main-chain IFD index. */
  ifd: number;
  /** SubIFD index of that IFD (pyramid level - 1), or -1 for the IFD itself. */
  subIfd: number;
  sample: number;
  /** A page synthesized by the layout (ImageJ contiguous hyperstacks), used instead of reading the IFD. */
  virtual?: TiffPage;
}

/** A level as core describes it, plus where each plane is stored. */
export interface LevelLayout extends LevelInfo {
  /** Indexed by (t * sizeC + c) * sizeZ + z; undefined = plane absent (reads as zeros). */
  planes: Array<PageRef | undefined>;
}

export interface SeriesLayout {
  imageIndex: number;
  dtype: DType;
  levels: LevelLayout[];
}

/** OME linear plane index of (z, c, t): the first letter after XY varies fastest. */
export function omePlaneIndex(
  order: DimensionOrder,
  sizes: { Z: number; C: number; T: number },
  at: { Z: number; C: number; T: number },
): number {
  const a = order[2] as 'Z' | 'C' | 'T';
  const b = order[3] as 'Z' | 'C' | 'T';
  const d = order[4] as 'Z' | 'C' | 'T';
  return at[a] + sizes[a] * (at[b] + sizes[b] * at[d]);
}

/** Tile layout of a page, as the contract's tileWidth/tileHeight (strips report full-width blocks). */
export function blockLayout(page: TiffPage): { tileWidth: number; tileHeight: number } {
  return { tileWidth: page.blockWidth, tileHeight: page.blockHeight };
}
