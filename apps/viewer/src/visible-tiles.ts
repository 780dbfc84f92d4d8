/**
 * The tiles of one level that a view needs: the grid the viewer reads a level by (the file's own tiles
 * when they are a sensible size, so each read decodes whole tiles once), and which of its cells meet the
 * visible rectangle, nearest the view's centre first (they load first).
 */
import type { Rect } from './camera.js';

/** The grid one level is read by, in that level's pixels, with its factors to level 0. */
export interface TileGrid {
  sizeX: number;
  sizeY: number;
  tileWidth: number;
  tileHeight: number;
  /** Level-0 pixels per pixel of this level (see `levelFactors`). */
  fx: number;
  fy: number;
}

/** One grid cell: its column and row, and its pixels in level coordinates (half-open, clipped). */
export interface TileRef {
  tx: number;
  ty: number;
  x: [number, number];
  y: [number, number];
}

/** Read size when the file has no tiles, or strips of a few rows, or tiles too large to read per view. */
export const DEFAULT_TILE = 512;
const MIN_NATIVE = 64;
const MAX_NATIVE = 2048;

/** The grid size for a native block size along one axis: the native one when usable, else the default. */
function readSize(native: number | undefined): number {
  return native !== undefined && native >= MIN_NATIVE && native <= MAX_NATIVE ? native : DEFAULT_TILE;
}

/** The read grid of a level of `sizeX`×`sizeY` with native blocks `tileWidth`×`tileHeight` (if any). */
export function tileGrid(
  level: { sizeX: number; sizeY: number; tileWidth?: number; tileHeight?: number },
  factors: { fx: number; fy: number },
): TileGrid {
  return {
    sizeX: level.sizeX,
    sizeY: level.sizeY,
    tileWidth: readSize(level.tileWidth),
    tileHeight: readSize(level.tileHeight),
    fx: factors.fx,
    fy: factors.fy,
  };
}

/** The cell at (tx, ty), clipped to the level. */
export function tileAt(grid: TileGrid, tx: number, ty: number): TileRef {
  const x0 = tx * grid.tileWidth;
  const y0 = ty * grid.tileHeight;
  return {
    tx,
    ty,
    x: [x0, Math.min(grid.sizeX, x0 + grid.tileWidth)],
    y: [y0, Math.min(grid.sizeY, y0 + grid.tileHeight)],
  };
}

/** Where a cell lies on level 0 (where the view draws it). */
export function tileRect0(grid: TileGrid, tile: TileRef): Rect {
  return {
    x0: tile.x[0] * grid.fx,
    y0: tile.y[0] * grid.fy,
    x1: tile.x[1] * grid.fx,
    y1: tile.y[1] * grid.fy,
  };
}

/**
 * The cells that meet `view` (level-0 pixels, e.g. `visibleRect`), nearest the view's centre first. A
 * view outside the image needs none.
 */
export function visibleTiles(grid: TileGrid, view: Rect): TileRef[] {
  const lx0 = Math.max(0, view.x0 / grid.fx);
  const ly0 = Math.max(0, view.y0 / grid.fy);
  const lx1 = Math.min(grid.sizeX, view.x1 / grid.fx);
  const ly1 = Math.min(grid.sizeY, view.y1 / grid.fy);
  if (lx1 <= lx0 || ly1 <= ly0) return [];
  const tiles: TileRef[] = [];
  const cx = (lx0 + lx1) / 2;
  const cy = (ly0 + ly1) / 2;
  for (let ty = Math.floor(ly0 / grid.tileHeight); ty * grid.tileHeight < ly1; ty++) {
    for (let tx = Math.floor(lx0 / grid.tileWidth); tx * grid.tileWidth < lx1; tx++) {
      tiles.push(tileAt(grid, tx, ty));
    }
  }
  const distance = (t: TileRef) => Math.hypot((t.x[0] + t.x[1]) / 2 - cx, (t.y[0] + t.y[1]) / 2 - cy);
  return tiles.sort((a, b) => distance(a) - distance(b));
}
