import { describe, expect, it } from 'vitest';
import { DEFAULT_TILE, tileGrid, tileRect0, visibleTiles } from '../src/visible-tiles.js';

// A level of 1000×600 pixels at half resolution (level 0 is 2000×1200), read by 256² tiles.
const grid = tileGrid({ sizeX: 1000, sizeY: 600, tileWidth: 256, tileHeight: 256 }, { fx: 2, fy: 2 });

describe('visible tiles', () => {
  it('reads by the file tiles when they are a sensible size, by 512² otherwise', () => {
    expect([grid.tileWidth, grid.tileHeight]).toEqual([256, 256]);
    // Strips of 8 rows over the full width of 439.
    const strips = tileGrid({ sizeX: 439, sizeY: 5000, tileWidth: 439, tileHeight: 8 }, { fx: 1, fy: 1 });
    expect([strips.tileWidth, strips.tileHeight]).toEqual([439, DEFAULT_TILE]);
    const huge = tileGrid({ sizeX: 9000, sizeY: 9000, tileWidth: 8192, tileHeight: 8192 }, { fx: 1, fy: 1 });
    expect([huge.tileWidth, huge.tileHeight]).toEqual([DEFAULT_TILE, DEFAULT_TILE]);
    const none = tileGrid({ sizeX: 900, sizeY: 900 }, { fx: 1, fy: 1 });
    expect([none.tileWidth, none.tileHeight]).toEqual([DEFAULT_TILE, DEFAULT_TILE]);
  });

  it('lists exactly the cells the view meets, in level pixels, clipped to the level', () => {
    // Level-0 view [1000, 1600) × [500, 1300): level pixels [500, 800) × [250, 650) → clipped to 600 rows.
    const tiles = visibleTiles(grid, { x0: 1000, y0: 500, x1: 1600, y1: 1300 });
    const cells = tiles.map((t) => `${t.tx},${t.ty}`).sort();
    // Columns 500/256 = 1 … 799/256 = 3; rows 250/256 = 0 … 599/256 = 2.
    expect(cells).toEqual(['1,0', '1,1', '1,2', '2,0', '2,1', '2,2', '3,0', '3,1', '3,2']);
    const corner = tiles.find((t) => t.tx === 3 && t.ty === 2)!;
    expect(corner.x).toEqual([768, 1000]);
    expect(corner.y).toEqual([512, 600]);
    expect(tileRect0(grid, corner)).toEqual({ x0: 1536, y0: 1024, x1: 2000, y1: 1200 });
  });

  it('a cell the view only touches at its edge is not read', () => {
    // Level pixels [0, 256) × [0, 256) exactly: one cell, not its right and lower neighbours.
    const tiles = visibleTiles(grid, { x0: 0, y0: 0, x1: 512, y1: 512 });
    expect(tiles.map((t) => [t.tx, t.ty])).toEqual([[0, 0]]);
  });

  it('puts the cells nearest the view centre first', () => {
    const tiles = visibleTiles(grid, { x0: 0, y0: 0, x1: 2000, y1: 1200 });
    expect(tiles).toHaveLength(4 * 3);
    // Centre of the level (500, 300): cell (1, 1) spans [256, 512) × [256, 512), its centre (384, 384).
    expect([tiles[0]!.tx, tiles[0]!.ty]).toEqual([1, 1]);
    // Farthest: cell (3, 2), centre (884, 556), 461 px away (cell (0, 2) is 452, (3, 0) 421).
    expect([tiles.at(-1)!.tx, tiles.at(-1)!.ty]).toEqual([3, 2]);
  });

  it('needs nothing when the view is off the image', () => {
    expect(visibleTiles(grid, { x0: -500, y0: 0, x1: -1, y1: 100 })).toEqual([]);
    expect(visibleTiles(grid, { x0: 2000, y0: 0, x1: 2500, y1: 100 })).toEqual([]);
  });
});
