/**
 * The tile grid of one resolution level of all planes, and the bookkeeping that makes unaligned writes
 * safe: a tile is encoded exactly once, when every pixel of it that lies inside the image has been written
 * (coverage tracked per pixel, so overlapping or repeated writes never complete a tile early), or at close.
 */
import { copyBlock } from '@bfio/codecs';
import { allocate, type DType, type TypedArray, viewAs } from '@bfio/core';

/** Pixels destined for one tile that is ready to encode. */
export interface ReadyTile {
  level: number;
  plane: number;
  row: number;
  col: number;
  /** The assembled tile (tileHeight × tileWidth, zero padded), or undefined when `source` holds it. */
  buffer?: TypedArray;
  /** Lazily copied from the caller's array when the tile was covered by one write. */
  source?: { array: TypedArray; offset: number; stride: number };
}

interface PartialTile {
  data: TypedArray;
  /** 1 where a pixel has been written. */
  mask: Uint8Array;
  covered: number;
}

const EMPTY = 0;
const PARTIAL = 1;
/** Handed to the encoder (or already written): no more pixels may land in it. */
const CLAIMED = 2;

export class TileLevel {
  readonly tilesX: number;
  readonly tilesY: number;
  readonly tilesPerPlane: number;
  /** File offset and byte count of every tile, indexed by plane * tilesPerPlane + row * tilesX + col. */
  readonly offsets: Float64Array;
  readonly byteCounts: Float64Array;
  private readonly state: Uint8Array;
  private readonly partial = new Map<number, PartialTile>();

  constructor(
    readonly level: number,
    readonly width: number,
    readonly height: number,
    readonly tileWidth: number,
    readonly tileHeight: number,
    readonly planes: number,
    readonly dtype: DType,
  ) {
    this.tilesX = Math.ceil(width / tileWidth);
    this.tilesY = Math.ceil(height / tileHeight);
    this.tilesPerPlane = this.tilesX * this.tilesY;
    const n = this.tilesPerPlane * planes;
    this.offsets = new Float64Array(n);
    this.byteCounts = new Float64Array(n);
    this.state = new Uint8Array(n);
  }

  key(plane: number, row: number, col: number): number {
    return plane * this.tilesPerPlane + row * this.tilesX + col;
  }

  /** Pixels of tile (row, col) that lie inside the image. */
  validHeight(row: number): number {
    return Math.min(this.tileHeight, this.height - row * this.tileHeight);
  }
  validWidth(col: number): number {
    return Math.min(this.tileWidth, this.width - col * this.tileWidth);
  }

  /** A rectangle of one plane touches a tile already handed to the encoder: returns its (row, col). */
  findClaimed(plane: number, y0: number, x0: number, h: number, w: number): [number, number] | undefined {
    if (h <= 0 || w <= 0) return undefined;
    const r1 = Math.floor((y0 + h - 1) / this.tileHeight);
    const c1 = Math.floor((x0 + w - 1) / this.tileWidth);
    for (let r = Math.floor(y0 / this.tileHeight); r <= r1; r++) {
      for (let c = Math.floor(x0 / this.tileWidth); c <= c1; c++) {
        if (this.state[this.key(plane, r, c)] === CLAIMED) return [r, c];
      }
    }
    return undefined;
  }

  /**
   * Store a rectangle of one plane (`src` rows of `stride` elements starting at `offset`). Synchronous, so
   * concurrent async writers never interleave inside it. Tiles that become complete are appended to `ready`.
   * The caller has checked with `findClaimed` that no touched tile is claimed.
   */
  place(
    plane: number,
    y0: number,
    x0: number,
    h: number,
    w: number,
    src: TypedArray,
    offset: number,
    stride: number,
    ready: ReadyTile[],
  ): void {
    if (h <= 0 || w <= 0) return;
    const { tileHeight: th, tileWidth: tw } = this;
    const r1 = Math.floor((y0 + h - 1) / th);
    const c1 = Math.floor((x0 + w - 1) / tw);
    for (let r = Math.floor(y0 / th); r <= r1; r++) {
      const ty0 = r * th;
      const iy0 = Math.max(y0, ty0);
      const iy1 = Math.min(y0 + h, ty0 + th, this.height);
      const vh = this.validHeight(r);
      for (let c = Math.floor(x0 / tw); c <= c1; c++) {
        const tx0 = c * tw;
        const ix0 = Math.max(x0, tx0);
        const ix1 = Math.min(x0 + w, tx0 + tw, this.width);
        const vw = this.validWidth(c);
        const key = this.key(plane, r, c);
        const srcStart = offset + (iy0 - y0) * stride + (ix0 - x0);
        const state = this.state[key];
        if (state === CLAIMED) throw new Error('internal: write into a claimed tile');
        if (state === EMPTY && iy1 - iy0 === vh && ix1 - ix0 === vw) {
          // One write covers the whole tile: no copy now; the encoder copies straight from the caller.
          this.state[key] = CLAIMED;
          ready.push({
            level: this.level,
            plane,
            row: r,
            col: c,
            source: { array: src, offset: srcStart, stride },
          });
          continue;
        }
        let tile = this.partial.get(key);
        if (!tile) {
          tile = {
            data: allocate(this.dtype, th * tw),
            mask: new Uint8Array(th * tw),
            covered: 0,
          };
          this.partial.set(key, tile);
          this.state[key] = PARTIAL;
        }
        const rw = ix1 - ix0;
        const d0 = (iy0 - ty0) * tw + (ix0 - tx0);
        copyBlock(src as never, srcStart, [stride, 1], tile.data as never, d0, [tw, 1], [iy1 - iy0, rw]);
        for (let y = iy0; y < iy1; y++) {
          const d = (y - ty0) * tw + (ix0 - tx0);
          const seg = tile.mask.subarray(d, d + rw);
          if (seg.indexOf(1) === -1) {
            seg.fill(1);
            tile.covered += rw;
          } else {
            // Part of this row was written before: count only new pixels so coverage stays exact.
            for (let i = 0; i < rw; i++) {
              if (seg[i] === 0) {
                seg[i] = 1;
                tile.covered++;
              }
            }
          }
        }
        if (tile.covered === vh * vw) {
          this.partial.delete(key);
          this.state[key] = CLAIMED;
          ready.push({ level: this.level, plane, row: r, col: c, buffer: tile.data });
        }
      }
    }
  }

  /**
   * Claim every tile not yet claimed (at close): partial tiles keep what was written, zero elsewhere; tiles
   * never touched are all zero. In plane/row/column order so pyramid levels fill in the same order.
   */
  claimRemaining(): ReadyTile[] {
    const out: ReadyTile[] = [];
    for (let plane = 0; plane < this.planes; plane++) {
      for (let row = 0; row < this.tilesY; row++) {
        for (let col = 0; col < this.tilesX; col++) {
          const key = this.key(plane, row, col);
          if (this.state[key] === CLAIMED) continue;
          const buffer = this.partial.get(key)?.data;
          this.partial.delete(key);
          this.state[key] = CLAIMED;
          out.push({ level: this.level, plane, row, col, buffer });
        }
      }
    }
    return out;
  }

  /**
   * Fill a ready tile's buffer (copying from the caller's array when needed), in `reuse` (a tile-sized
   * buffer of an earlier tile, contents unspecified) when given, else in fresh memory. `reuse` is taken
   * only when the tile has no buffer yet.
   */
  materialize(tile: ReadyTile, reuse?: ArrayBufferLike): TypedArray {
    if (tile.buffer) return tile.buffer;
    const n = this.tileWidth * this.tileHeight;
    let buffer: TypedArray;
    const fresh = !reuse;
    if (reuse) buffer = viewAs(this.dtype, reuse, 0, n);
    else buffer = allocate(this.dtype, n);
    if (tile.source) {
      const { array, offset, stride } = tile.source;
      const vh = this.validHeight(tile.row);
      const vw = this.validWidth(tile.col);
      const tw = this.tileWidth;
      // Rows contiguous in the source too merge into one copy (native into shared tile buffers: see copyBlock).
      copyBlock(array as never, offset, [stride, 1], buffer as never, 0, [tw, 1], [vh, vw]);
      if (!fresh && vw < tw) for (let y = 0; y < vh; y++) buffer.fill(0, y * tw + vw, (y + 1) * tw);
      if (!fresh && vh < this.tileHeight) buffer.fill(0, vh * tw);
      tile.source = undefined;
    } else if (!fresh) {
      buffer.fill(0);
    }
    tile.buffer = buffer;
    return buffer;
  }
}
