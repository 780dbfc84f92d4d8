/**
 * Tile-by-tile copy from a reader to a writer, the loop of bfio's "Scalable Tiled Tiff" converter:
 * for each T, C, Z, Y, X tile, read it and write it. Memory stays bounded by `concurrency` tiles in
 * flight, never the whole image, so a 100k × 100k slide converts on a laptop.
 */
import type { BioReader } from './bio-reader.js';
import type { BioWriter } from './bio-writer.js';
import { bytesPerPixel, viewAs } from './dtype.js';
import { InvalidDataError } from './errors/index.js';

export interface CopyProgress {
  tilesDone: number;
  tilesTotal: number;
  bytesDone: number;
}

export interface CopyImageOptions {
  /** Tile edge in pixels (default: 1024). */
  tileSize?: number;
  /** Source sub-volume: X/Y/Z half-open ranges, C/T lists (default: everything). */
  X?: [number, number];
  Y?: [number, number];
  Z?: [number, number];
  C?: number[];
  T?: number[];
  /**
   * Copy each tile's channels one after another (default false: channel by channel over the whole image).
   * For writers that interleave channels (the TIFF writer's `rgb`): each tile is complete after its last
   * channel instead of all but one channel of the image being held; an interleaved source then also
   * decodes each block once. Off by default: with many channels and a pyramid, the partial pyramid tiles
   * of every channel would be held at once.
   */
  channelsTogether?: boolean;
  /** Tiles read/written at once (default 4): overlaps decoding, encoding and I/O. */
  concurrency?: number;
  onProgress?: (progress: CopyProgress) => void;
  signal?: AbortSignal;
}

/**
 * Copies the selected part of `reader` (its current series and level) into `writer` at the origin:
 * source channel `C[i]` becomes writer channel `i`, likewise for T and Z. The writer's sizes must
 * already match the selection.
 */
export async function copyImage(
  reader: BioReader,
  writer: BioWriter,
  options: CopyImageOptions = {},
): Promise<CopyProgress> {
  const tile = options.tileSize ?? 1024;
  const [x0, x1] = options.X ?? [0, reader.X];
  const [y0, y1] = options.Y ?? [0, reader.Y];
  const [z0, z1] = options.Z ?? [0, reader.Z];
  const cs = options.C ?? Array.from({ length: reader.C }, (_, i) => i);
  const ts = options.T ?? Array.from({ length: reader.T }, (_, i) => i);
  const want = [y1 - y0, x1 - x0, z1 - z0, cs.length, ts.length];
  if (want.some((v, i) => v !== writer.shape[i])) {
    throw new InvalidDataError(
      `the selection is (${want.join(', ')}) but ${writer.path} is (${writer.shape.join(', ')}) in Y, X, Z, C, T`,
      writer.path,
    );
  }
  const jobs: Array<{ t: number; c: number; z: number; y: number; x: number }> = [];
  for (let t = 0; t < ts.length; t++) {
    if (options.channelsTogether) {
      for (let z = z0; z < z1; z++)
        for (let y = y0; y < y1; y += tile)
          for (let x = x0; x < x1; x += tile)
            for (let c = 0; c < cs.length; c++) jobs.push({ t, c, z, y, x });
      continue;
    }
    for (let c = 0; c < cs.length; c++)
      for (let z = z0; z < z1; z++)
        for (let y = y0; y < y1; y += tile) for (let x = x0; x < x1; x += tile) jobs.push({ t, c, z, y, x });
  }

  const progress: CopyProgress = { tilesDone: 0, tilesTotal: jobs.length, bytesDone: 0 };
  let next = 0;
  const tileBytes = tile * tile * bytesPerPixel(reader.dtype);
  const worker = async () => {
    // One buffer per lane, read into tile after tile (the writer has copied a tile out when its write
    // resolves): no fresh pages per tile, no garbage. Shared memory where there is any, so the decode
    // workers place the pixels themselves, as a large read's result would be (1024² uint16 tiles are
    // below BioReader's 4 MiB threshold for shared results): the main thread then never touches them.
    const buffer =
      typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(tileBytes) : new ArrayBuffer(tileBytes);
    while (next < jobs.length) {
      options.signal?.throwIfAborted();
      const job = jobs[next++]!;
      const X: [number, number] = [job.x, Math.min(job.x + tile, x1)];
      const Y: [number, number] = [job.y, Math.min(job.y + tile, y1)];
      const out = viewAs(reader.dtype, buffer, 0, (X[1] - X[0]) * (Y[1] - Y[0]));
      const data = await reader.read(
        { X, Y, Z: job.z, C: [cs[job.c]!], T: [ts[job.t]!] },
        { squeeze: false, out },
      );
      await writer.write(data, { X: job.x - x0, Y: job.y - y0, Z: job.z - z0, C: [job.c], T: [job.t] });
      progress.tilesDone++;
      progress.bytesDone += data.data.byteLength;
      options.onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return progress;
}
