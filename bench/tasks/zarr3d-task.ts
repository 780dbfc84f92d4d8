/**
 * Our side of the 3-D Zarr bench (bench/zarr3d.ts), one task per process, 2 codec workers (`maxWorkers: 2`):
 *   read STORE | blocks STORE EDGE INFLIGHT | blocks-out STORE EDGE INFLIGHT | iterate STORE EDGE | roundtrip SRC DST
 * Checksums as in bench/lib/zarr3d.py: `sample` sums the voxels whose global (z, y, x) are multiples of
 * (13, 11, 7); `total` (read-all only, after the timing) sums them all.
 */
import { rmSync } from 'node:fs';
import { BioReader, BioWriter, type NDArray } from '@bfio/core';
import '@bfio/zarr';
import { now, report as reportTask } from '../lib/report.js';

let cpu0 = process.cpuUsage();
/** Starts a task's clock, and its CPU time (every thread of the process: the codec workers too). */
function start(): number {
  cpu0 = process.cpuUsage();
  return now();
}
function report(task: string, seconds: number, bytes: number, extra: Record<string, unknown>): void {
  const u = process.cpuUsage(cpu0);
  reportTask(task, seconds, bytes, { cpuSeconds: (u.user + u.system) / 1e6, ...extra });
}

const STEP = [13, 11, 7] as const;
const WORKERS = 2;
/** Blocks read and written at once in a round trip (bench/lib/zarr3d.py: the same). */
const INFLIGHT_ROUNDTRIP = 4;
const [task, ...args] = process.argv.slice(2);

/** The sample sum of a planar Z,Y,X block `data` of nz × ny × nx voxels whose first voxel is at global (z0, y0, x0). */
function sample(data: ArrayLike<number>, [nz, ny, nx]: number[], [z0, y0, x0]: number[]): number {
  let s = 0;
  const first = (o: number, step: number) => (((-o % step) + step) % step) as number;
  for (let z = first(z0!, STEP[0]); z < nz!; z += STEP[0])
    for (let y = first(y0!, STEP[1]); y < ny!; y += STEP[1]) {
      const row = (z * ny! + y) * nx!;
      for (let x = first(x0!, STEP[2]); x < nx!; x += STEP[2]) s += data[row + x] as number;
    }
  return s;
}

function origins(shape: number[], edge: number): number[][] {
  const out: number[][] = [];
  for (let z = 0; z < shape[0]!; z += edge)
    for (let y = 0; y < shape[1]!; y += edge) for (let x = 0; x < shape[2]!; x += edge) out.push([z, y, x]);
  return out;
}

/** Runs `fn` on every item, `inflight` at a time (`lane`: which of the `inflight` loops runs it). */
async function bounded<T>(
  items: T[],
  inflight: number,
  fn: (item: T, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (_: unknown, index: number) => {
    while (next < items.length) await fn(items[next++]!, index);
  };
  await Promise.all(Array.from({ length: Math.min(inflight, items.length) }, lane));
}

const readBlock = (br: BioReader, [z, y, x]: number[], edge: number, out?: Uint16Array): Promise<NDArray> =>
  br.read({ Z: [z!, z! + edge], Y: [y!, y! + edge], X: [x!, x! + edge], C: 0, T: 0 }, out ? { out } : {});

async function readAll(path: string) {
  const t = start();
  await using br = await BioReader.open(path, { maxWorkers: WORKERS });
  const a = await br.read();
  const seconds = now() - t;
  const u = process.cpuUsage(cpu0);
  const data = a.data as Uint16Array;
  let total = 0;
  for (let i = 0; i < data.length; i++) total += data[i]!;
  reportTask('ours-read', seconds, data.byteLength, {
    cpuSeconds: (u.user + u.system) / 1e6,
    sample: sample(data, [br.Z, br.Y, br.X], [0, 0, 0]),
    total,
  });
}

/**
 * One `read` per block, `inflight` outstanding, each result consumed as it arrives. `reuse`: each of the
 * `inflight` loops reads into one array of its own (`ReadOptions.out`), as a loop that consumes a block before
 * asking for the next can; without it every read gets a fresh result, as each peer's read returns a new array.
 */
async function readBlocks(path: string, edgeText: string, inflightText: string, reuse = false) {
  const edge = Number(edgeText);
  const inflight = Number(inflightText);
  const t = start();
  await using br = await BioReader.open(path, { maxWorkers: WORKERS });
  // Allocated inside the timed part: the fresh results are too.
  const outs = reuse ? Array.from({ length: inflight }, () => new Uint16Array(edge ** 3)) : [];
  let bytes = 0;
  let sum = 0;
  await bounded(origins([br.Z, br.Y, br.X], edge), inflight, async (o, lane) => {
    const a = await readBlock(br, o, edge, outs[lane]);
    bytes += a.data.byteLength;
    sum += sample(a.data as Uint16Array, [edge, edge, edge], o);
  });
  report(`ours-blocks${reuse ? '-out' : ''}-${edge}`, now() - t, bytes, { sample: sum });
}

/**
 * The same blocks through `BioReader.blocks` (read ahead in batches into reused memory; each block consumed
 * before the next is asked for, as the loop above consumes each result as it arrives).
 */
async function iterateBlocks(path: string, edgeText: string) {
  const edge = Number(edgeText);
  const t = start();
  await using br = await BioReader.open(path, { maxWorkers: WORKERS });
  let bytes = 0;
  let sum = 0;
  for await (const b of br.blocks({ shape: [edge, edge, edge], C: [0], T: [0] })) {
    bytes += b.data.data.byteLength;
    sum += sample(
      b.data.data as Uint16Array,
      [edge, edge, edge],
      [b.region.Z[0], b.region.Y[0], b.region.X[0]],
    );
  }
  report(`ours-iterate-${edge}`, now() - t, bytes, { sample: sum });
}

/**
 * Chunk by chunk (shard by shard), 4 in flight: each block read and handed to a BioWriter whose store has the
 * source's chunks, shards and codec (an OME-Zarr 0.5 image, which is what BioWriter writes).
 */
async function roundTrip(src: string, dst: string) {
  rmSync(dst, { recursive: true, force: true });
  const t = start();
  await using br = await BioReader.open(src, { maxWorkers: WORKERS });
  const layout = JSON.parse(process.env.ZARR3D_LAYOUT ?? '{}') as {
    chunk: number;
    inner?: number;
    zstd: boolean;
  };
  const c = layout.inner ?? layout.chunk;
  const bw = await BioWriter.create(dst, {
    X: br.X,
    Y: br.Y,
    Z: br.Z,
    dtype: 'uint16',
    chunks: [1, 1, c, c, c],
    ...(layout.inner ? { shards: [1, 1, layout.chunk, layout.chunk, layout.chunk] } : {}),
    compression: layout.zstd ? 'zstd' : 'none',
    compressionLevel: 1,
    maxWorkers: WORKERS,
    overwrite: true,
  } as Parameters<typeof BioWriter.create>[1]);
  let sum = 0;
  // Each block is read into one of INFLIGHT_ROUNDTRIP shared buffers, reused once the writer has taken its
  // pixels (a loop like this one has no use for a new result per block; a dropped shared result is freed
  // only by a garbage collection).
  const free: Uint16Array[] = [];
  const elements = layout.chunk ** 3;
  await bounded(origins([br.Z, br.Y, br.X], layout.chunk), INFLIGHT_ROUNDTRIP, async (o) => {
    const out = free.pop() ?? new Uint16Array(new SharedArrayBuffer(elements * 2));
    const a = await readBlock(br, o, layout.chunk, out);
    sum += sample(a.data as Uint16Array, [layout.chunk, layout.chunk, layout.chunk], o);
    await bw.write(a, { Z: o[0], Y: o[1], X: o[2] });
    free.push(out);
  });
  await bw.close();
  report('ours-roundtrip', now() - t, br.X * br.Y * br.Z * 2, { sample: sum });
}

if (task === 'read') await readAll(args[0]!);
else if (task === 'blocks') await readBlocks(args[0]!, args[1]!, args[2]!);
else if (task === 'blocks-out') await readBlocks(args[0]!, args[1]!, args[2]!, true);
else if (task === 'iterate') await iterateBlocks(args[0]!, args[1]!);
else if (task === 'roundtrip') await roundTrip(args[0]!, args[1]!);
else throw new Error(`unknown task ${task}`);
process.exit(0);
