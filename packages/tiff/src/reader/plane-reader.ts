/**
 * Reading a rectangle of one TIFF page: only the blocks (tiles/strips) that intersect it are read and
 * decoded, each once even when several samples of a chunky page are wanted, a bounded number at a time.
 */
import { CorruptFileError, type TypedArray } from '@bfio/core';
import { decodeBlock } from './decode.js';
import type { TiffFile, TiffPage } from './tiff-file.js';

/** Where one sample of the page goes: a plane of `out` starting at `offset`, `width` elements per row. */
export interface SampleTarget {
  sample: number;
  out: TypedArray;
  offset: number;
}

export interface Rect {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Run `tasks` with at most `limit` in flight; rejects on the first failure. */
export async function runLimited(
  tasks: Array<() => Promise<void>>,
  limit: number,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      signal?.throwIfAborted();
      const task = tasks[next++]!;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Build the tasks that fill `targets` with rectangle `rect` of `page`. */
export function planeTasks(
  tiff: TiffFile,
  page: TiffPage,
  rect: Rect,
  targets: SampleTarget[],
): Array<() => Promise<void>> {
  const { blockWidth: bw, blockHeight: bh, blocksAcross, blocksDown } = page;
  const outWidth = rect.x1 - rect.x0;
  const spp = page.samplesPerPixel;
  const spb = page.planar === 2 ? 1 : spp;
  const byFirst = Math.floor(rect.y0 / bh);
  const byLast = Math.floor((rect.y1 - 1) / bh);
  const bxFirst = Math.floor(rect.x0 / bw);
  const bxLast = Math.floor((rect.x1 - 1) / bw);
  // Group targets by the block set that serves them: one group for chunky pages, one per sample if planar.
  const groups = new Map<number, SampleTarget[]>();
  for (const t of targets) {
    if (t.sample < 0 || t.sample >= spp) {
      throw new CorruptFileError(
        tiff.path,
        `sample ${t.sample} requested of a page with ${spp}`,
        page.offset,
      );
    }
    const key = page.planar === 2 ? t.sample : 0;
    const list = groups.get(key) ?? [];
    list.push(t);
    groups.set(key, list);
  }
  const tasks: Array<() => Promise<void>> = [];
  const uncompressedWhole = page.compression === 1 && page.bitsPerSample % 8 === 0 && page.fillOrder === 1;
  const sampleBytes = Math.ceil(page.bitsPerSample / 8);
  for (const [plane, group] of groups) {
    for (let by = byFirst; by <= byLast; by++) {
      for (let bx = bxFirst; bx <= bxLast; bx++) {
        tasks.push(async () => {
          const index = plane * blocksAcross * blocksDown + by * blocksAcross + bx;
          const blockY = by * bh;
          const blockX = bx * bw;
          // Strips end at the image; tiles are always full size (padded).
          const rows = page.tiled ? bh : Math.min(bh, page.height - blockY);
          const ya = Math.max(rect.y0, blockY);
          const yb = Math.min(rect.y1, blockY + rows);
          const xa = Math.max(rect.x0, blockX);
          const xb = Math.min(rect.x1, blockX + bw, page.width);
          const offset = Number(page.offsets[index] ?? 0);
          const count = Number(page.byteCounts[index] ?? 0);
          let data: TypedArray | undefined;
          let firstRow = 0; // block row that data[0] is
          if (offset === 0 || (count === 0 && page.compression !== 1)) {
            data = undefined; // sparse block: zeros, as libtiff and tifffile
          } else if (uncompressedWhole) {
            // Uncompressed: read only the rows needed.
            const rowBytes = bw * spb * sampleBytes;
            firstRow = ya - blockY;
            const n = yb - ya;
            const raw = await tiff.source.read(offset + firstRow * rowBytes, n * rowBytes, `block ${index}`);
            data = await decodeBlock(tiff.path, page, raw, offset, n, tiff.littleEndian);
          } else {
            const raw = await tiff.source.read(offset, count, `${page.tiled ? 'tile' : 'strip'} ${index}`);
            const valid = Math.min(rows, page.height - blockY);
            data = await decodeBlock(tiff.path, page, raw, offset, rows, tiff.littleEndian, valid);
          }
          for (const t of group) {
            const s = page.planar === 2 ? 0 : t.sample;
            for (let y = ya; y < yb; y++) {
              const dst = t.offset + (y - rect.y0) * outWidth + (xa - rect.x0);
              if (!data) {
                t.out.fill(0, dst, dst + (xb - xa));
                continue;
              }
              const src = (y - blockY - firstRow) * bw * spb + (xa - blockX) * spb + s;
              if (spb === 1) {
                t.out.set(data.subarray(src, src + (xb - xa)), dst);
              } else {
                for (let x = 0, i = src; x < xb - xa; x++, i += spb) t.out[dst + x] = data[i]!;
              }
            }
          }
        });
      }
    }
  }
  return tasks;
}
