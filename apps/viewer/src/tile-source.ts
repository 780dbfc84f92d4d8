/**
 * Pixels for the view: one grid cell of one level, plane (Z, T), for a few channels, read with
 * `BioReader.read` into one plane per channel. No DOM: the Node tests read through it too.
 */
import type { BioReader, TypedArray } from '@bfio/core';
import type { TileRef } from './visible-tiles.js';

/** Which plane of which image: everything a tile's pixels depend on besides its place and channel. */
export interface PlaneSelection {
  series: number;
  level: number;
  z: number;
  t: number;
}

export interface TileJob extends PlaneSelection {
  /** The cell's key (see `tileKey`): the loader's identity of the job. */
  key: string;
  tile: TileRef;
  channels: number[];
}

/** A cell's key in a plane, without its channel. */
export function tileKey(p: PlaneSelection, tile: { tx: number; ty: number }): string {
  return `${p.series}/${p.level}/${p.z}/${p.t}/${tile.tx}/${tile.ty}`;
}

/** A cell's key for one channel (what the pixel cache holds). */
export function channelKey(key: string, channel: number): string {
  return `${key}/c${channel}`;
}

/** The most one tile read may allocate: a 2048² cell of 64 channels of float64 (the grid's largest). */
const TILE_READ_BYTES = 2048 * 2048 * 8 * 64;

/**
 * Reads `tile` of the selection for `channels`: one plane per channel (row-major, X fastest). The reader's
 * series and level are set just before the read starts, so reads of several levels may run at once.
 */
export async function readTile(
  reader: BioReader,
  selection: PlaneSelection,
  tile: TileRef,
  channels: readonly number[],
  signal?: AbortSignal,
): Promise<TypedArray[]> {
  if (reader.series !== selection.series) reader.series = selection.series;
  reader.level = selection.level;
  const array = await reader.read(
    { X: tile.x, Y: tile.y, Z: selection.z, C: [...channels], T: selection.t },
    { squeeze: false, shared: false, signal, maxBytes: TILE_READ_BYTES },
  );
  // Planar T, C, Z, Y, X with one T and one Z: the channels' planes one after another.
  const plane = (tile.x[1] - tile.x[0]) * (tile.y[1] - tile.y[0]);
  return channels.map((_, i) => array.data.slice(i * plane, (i + 1) * plane));
}

/** A cell no larger than `max`² centred in the level: what the contrast statistics are taken from. */
export function centreCell(sizeX: number, sizeY: number, max = 2048): TileRef {
  const w = Math.min(sizeX, max);
  const h = Math.min(sizeY, max);
  const x0 = Math.floor((sizeX - w) / 2);
  const y0 = Math.floor((sizeY - h) / 2);
  return { tx: 0, ty: 0, x: [x0, x0 + w], y: [y0, y0 + h] };
}
