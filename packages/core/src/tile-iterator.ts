/**
 * The tile iterator, bfio's `br(tile_size, tile_stride, batch_size, channels)`, for every backend.
 *
 * Yields batches `{ data, index }`: `data` has shape (n, h, w, channels) like bfio's, `index[i]` says where
 * tile i came from. Unlike bfio it covers every requested Z and T (bfio only Z=0, T=0), computes the grid
 * with the right stride per axis (bfio mixes up x and y), and reads ahead a bounded number of batches so
 * decoding overlaps the consumer's work.
 *
 * Memory: at most `prefetch + 1` batches are alive besides the one the consumer holds, each
 * `batchSize × h × w × channels × bytesPerPixel` bytes.
 */
import { allocate, type DType, type TypedArray } from './dtype.js';
import { InvalidDataError } from './errors/index.js';
import { NDArray } from './ndarray.js';
import { type ReadArgs, toList } from './region.js';

/** The image an iterator walks: its file (for errors), sizes and pixel type. */
export interface IteratedImage {
  readonly path: string;
  readonly X: number;
  readonly Y: number;
  readonly Z: number;
  readonly C: number;
  readonly T: number;
  readonly dtype: DType;
}

/**
 * What the iterator needs of a reader. BioReader satisfies it structurally, so this module does not import
 * bio-reader (which imports it: the dependency points one way).
 */
export interface TileSource extends IteratedImage {
  read(args: ReadArgs, options: { squeeze: false }): Promise<NDArray>;
}

export type TilePadding = 'symmetric' | 'zero' | 'none';

export interface TileOptions {
  /** Tile height and width. */
  tileSize: [number, number];
  /** Step between tile origins (default: the tile size). Smaller overlaps tiles, larger leaves gaps. */
  stride?: [number, number];
  /** Tiles per batch (default: as many as fit `maximumBatchSize`, at most 32). */
  batchSize?: number;
  /** Channels stacked in the last axis (default [0], as bfio). */
  channels?: number[];
  /** Z planes and timepoints to visit (default: all). */
  z?: number[];
  t?: number[];
  /** How tiles crossing the image border are filled (default 'symmetric', as bfio). With 'none', border
   * tiles are cut at the border and every batch holds one tile. */
  pad?: TilePadding;
  /** Batches read ahead of the consumer (default 1: double buffering). */
  prefetch?: number;
}

export interface TileIndex {
  X: [number, number];
  Y: [number, number];
  Z: number;
  C: number[];
  T: number;
}

export interface TileBatch {
  data: NDArray;
  index: TileIndex[];
}

/** Number of tiles of one plane for this tile size and stride (bfio's `maximum_batch_size`, done right). */
export function maximumBatchSize(
  extent: { X: number; Y: number },
  tileSize: [number, number],
  stride: [number, number] = tileSize,
): number {
  return Math.ceil(extent.Y / stride[0]) * Math.ceil(extent.X / stride[1]);
}

/** numpy's 'symmetric' padding: index -1 maps to 0, n maps to n - 1 (the edge is repeated). */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  let m = ((i % period) + period) % period;
  if (m >= n) m = period - 1 - m;
  return m;
}

function checkPair(name: string, v: unknown, file: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidDataError(
      `${name} must be [height, width] with positive integers, got ${JSON.stringify(v)}`,
      file,
    );
  }
  return v as [number, number];
}

export async function* iterateTiles(reader: TileSource, options: TileOptions): AsyncGenerator<TileBatch> {
  const file = reader.path;
  const [th, tw] = checkPair('tileSize', options.tileSize, file);
  const [sy, sx] = checkPair('stride', options.stride ?? options.tileSize, file);
  const pad = options.pad ?? 'symmetric';
  if (!['symmetric', 'zero', 'none'].includes(pad)) {
    throw new InvalidDataError(`pad must be 'symmetric', 'zero' or 'none', got '${pad}'`, file);
  }
  const channels = toList('C', options.channels ?? [0], reader.C, file);
  const zs = toList('Z', options.z, reader.Z, file);
  const ts = toList('T', options.t, reader.T, file);
  const { X, Y } = reader;
  const perPlane = maximumBatchSize({ X, Y }, [th, tw], [sy, sx]);
  const batchSize = pad === 'none' ? 1 : Math.max(1, options.batchSize ?? Math.min(32, perPlane));
  const prefetch = Math.max(0, options.prefetch ?? 1);

  const all: TileIndex[] = [];
  for (const t of ts)
    for (const z of zs)
      for (let y = 0; y < Y; y += sy)
        for (let x = 0; x < X; x += sx) all.push({ X: [x, x + tw], Y: [y, y + th], Z: z, C: channels, T: t });

  const nc = channels.length;
  const loadBatch = async (start: number): Promise<TileBatch> => {
    const index = all.slice(start, start + batchSize);
    if (pad === 'none') {
      const tile = index[0]!;
      tile.X = [tile.X[0], Math.min(tile.X[1], X)];
      tile.Y = [tile.Y[0], Math.min(tile.Y[1], Y)];
      const h = tile.Y[1] - tile.Y[0];
      const w = tile.X[1] - tile.X[0];
      const src = await reader.read(
        { X: tile.X, Y: tile.Y, Z: tile.Z, C: channels, T: tile.T },
        { squeeze: false },
      );
      // (Y, X, 1, C, 1) viewed as (1, h, w, C): same strides, leading batch axis of 1.
      const [s0, s1, , s3] = src.strides as number[];
      return { data: new NDArray(src.data, [1, h, w, nc], [0, s0!, s1!, s3!], 0, 'NYXC'), index };
    }
    const out: TypedArray = allocate(reader.dtype, index.length * th * tw * nc);
    await Promise.all(
      index.map(async (tile, n) => {
        // Source row/column of every tile row/column (-1: zero padding); read just their bounding box.
        const map = (origin: number, length: number, size: number) =>
          Array.from({ length }, (_, i) => {
            const g = origin + i;
            return g < size ? g : pad === 'zero' ? -1 : reflect(g, size);
          });
        const mapY = map(tile.Y[0], th, Y);
        const mapX = map(tile.X[0], tw, X);
        const used = (m: number[]) => m.filter((v) => v >= 0);
        const y0 = Math.min(...used(mapY));
        const y1 = Math.max(...used(mapY)) + 1;
        const x0 = Math.min(...used(mapX));
        const x1 = Math.max(...used(mapX)) + 1;
        const src = await reader.read(
          { X: [x0, x1], Y: [y0, y1], Z: tile.Z, C: channels, T: tile.T },
          { squeeze: false },
        );
        const sdata = src.data;
        const [ssy, ssx, , ssc] = src.strides as [number, number, number, number, number];
        const base = n * th * tw * nc;
        for (let yy = 0; yy < th; yy++) {
          if (mapY[yy]! < 0) continue;
          const rowBase = (mapY[yy]! - y0) * ssy;
          for (let xx = 0; xx < tw; xx++) {
            if (mapX[xx]! < 0) continue;
            const o = base + (yy * tw + xx) * nc;
            const s = rowBase + (mapX[xx]! - x0) * ssx;
            for (let c = 0; c < nc; c++) out[o + c] = sdata[s + c * ssc]!;
          }
        }
      }),
    );
    return { data: new NDArray(out, [index.length, th, tw, nc], undefined, 0, 'NYXC'), index };
  };

  // Bounded read-ahead: keep up to `prefetch` batches loading while the consumer works on one.
  const queue: Promise<TileBatch>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length <= prefetch && next < all.length) {
      const p = loadBatch(next);
      p.catch(() => {}); // surfaced when awaited below
      queue.push(p);
      next += batchSize;
    }
  };
  fill();
  while (queue.length > 0) {
    const batch = await queue.shift()!;
    fill();
    yield batch;
  }
}
