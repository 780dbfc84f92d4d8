/**
 * Where the TIFF write's time goes (issue 14): each factor of a tile-by-tile Deflate-1 write measured alone,
 * as CPU seconds per thread (main thread vs the rest: codec workers, libuv) besides wall time, so the numbers
 * hold on a shared machine where wall time does not.
 *
 *   tsx bench/tiff-write-probe.ts [STEP ...]     (BENCH_SIZE=16384; the source of `pnpm bench:tiff`)
 *
 * Steps: codec (libdeflate on this thread), pool (the codec workers alone, tiles moved in and out), writer
 * (BioWriter tile by tile from tiles already in memory), bands (BioWriter, one write per 1024-row band),
 * loop (the bench's own loop: read a band of the raw file, cut it into tiles, write them), convert.
 * PROBE_PREDICTOR=1: with the horizontal predictor; PROBE_THREADS=1: CPU seconds of each thread.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sharedWorkerPool } from '@bfio/codecs';
import { BioWriter } from '@bfio/core';
import '@bfio/tiff';
import { libdeflate } from '../packages/codecs/src/codecs/native-addons.mjs';
import { ROOT } from './lib/run.js';

const SIZE = Number(process.env.BENCH_SIZE ?? 16384);
const TILE = 1024;
const out = join(ROOT, 'bench', 'out');
const raw = join(out, `src-${SIZE}.u16`);
const target = join(out, 'probe-write.ome.tif');
const MiB = (SIZE * SIZE * 2) / 2 ** 20;
/** PROBE_PREDICTOR=1: every step with the horizontal predictor (TIFF Predictor 2) before Deflate. */
const PREDICT = process.env.PROBE_PREDICTOR === '1';

/** CPU seconds of this process's threads: the main thread, all others together, and by thread id. */
function threadCpu(): { main: number; other: number; byName: Map<string, number> } {
  let main = 0;
  let other = 0;
  const byName = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const s = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks
    if (Number(tid) === process.pid) main += s;
    else other += s;
    let comm = tid;
    try {
      comm = `${readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()}#${tid}`;
    } catch {}
    byName.set(comm, s);
  }
  return { main, other, byName };
}

async function measure(name: string, fn: () => Promise<number | undefined>, mib = MiB) {
  const c0 = threadCpu();
  const t0 = performance.now();
  const stored = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c1 = threadCpu();
  const main = c1.main - c0.main;
  const other = c1.other - c0.other;
  const names = [...c1.byName]
    .map(([n, v]) => [n, v - (c0.byName.get(n) ?? 0)] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([n, v]) => `${n.endsWith(`#${process.pid}`) ? 'main' : n} ${v.toFixed(2)}`);
  const ratio = stored ? ` ratio ${((mib * 2 ** 20) / stored).toFixed(4)}` : '';
  console.log(
    `${name.padEnd(34)} ${(mib / wall).toFixed(0).padStart(5)} MiB/s wall ${wall.toFixed(2)} s | CPU main ${main.toFixed(2)} s + other ${other.toFixed(2)} s = ${(mib / (main + other)).toFixed(0)} MiB per CPU-s${ratio}`,
  );
  if (process.env.PROBE_THREADS === '1') console.log(`  threads: ${names.join(', ')}`);
}

function cutTiles(): Uint16Array[] {
  const src = new Uint16Array(readFileSync(raw).buffer, 0, SIZE * SIZE);
  const tiles: Uint16Array[] = [];
  for (let y = 0; y < SIZE; y += TILE) {
    for (let x = 0; x < SIZE; x += TILE) {
      const t = new Uint16Array(TILE * TILE);
      for (let r = 0; r < TILE; r++)
        t.set(src.subarray((y + r) * SIZE + x, (y + r) * SIZE + x + TILE), r * TILE);
      tiles.push(t);
    }
  }
  return tiles;
}

const options = {
  X: SIZE,
  Y: SIZE,
  dtype: 'uint16' as const,
  tileSize: TILE,
  compression: 'deflate' as const,
  predictor: PREDICT,
};

async function writeTiles(tiles: Uint16Array[], level: number) {
  const bw = await BioWriter.create(target, { ...options, compressionLevel: level, overwrite: true });
  const perRow = SIZE / TILE;
  for (let row = 0; row < perRow; row++) {
    const writes: Promise<void>[] = [];
    for (let col = 0; col < perRow; col++) {
      // Each write gets its own array, as the bench's loop makes one per tile.
      const tile = tiles[row * perRow + col]!.slice();
      writes.push(bw.write({ data: tile, shape: [TILE, TILE] }, { X: col * TILE, Y: row * TILE }));
    }
    await Promise.all(writes);
  }
  const t = performance.now();
  await bw.close();
  console.log(`  close() (IFDs, fsync, rename): ${((performance.now() - t) / 1000).toFixed(2)} s`);
  const size = statSync(target).size;
  await rm(target);
  return size;
}

const steps = process.argv.slice(2);
const want = (s: string) => steps.length === 0 || steps.includes(s);
const tiles = steps.every((s) => s === 'convert' || s === 'loop') && steps.length ? [] : cutTiles();

if (want('codec')) {
  const addon = libdeflate()!;
  const dst = new Uint8Array(3 << 20);
  for (const level of [1, 2]) {
    await measure(`libdeflate L${level}, this thread`, async () => {
      let n = 0;
      for (const t of tiles) {
        if (PREDICT) {
          const d = t.slice(); // the predictor works in place: keep the source for the next steps
          addon.horizontalPredict!(new Uint8Array(d.buffer), 2, TILE, 1); // in C, as the workers do
          n += addon.zlibCompress(new Uint8Array(d.buffer), level, dst);
        } else n += addon.zlibCompress(new Uint8Array(t.buffer), level, dst);
      }
      return n;
    });
  }
}

if (want('pool')) {
  const pool = sharedWorkerPool();
  await Promise.all([pool.run('echo', new Uint8Array(1)), pool.run('echo', new Uint8Array(1))]);
  for (const depth of [2, 4, 8]) {
    await measure(`pool deflate L1, ${depth} in flight`, async () => {
      let next = 0;
      let n = 0;
      const spares: ArrayBuffer[] = [];
      const lane = async () => {
        while (next < tiles.length) {
          const t = tiles[next++]!.slice();
          const r = await pool.run(
            'deflate',
            new Uint8Array(t.buffer),
            PREDICT ? { level: 1, predict: { size: 2, rowLength: TILE, stride: 1 } } : { level: 1 },
            {
              transfer: true,
              spare: spares.pop() ?? new ArrayBuffer(TILE * TILE * 2 + 4096),
            },
          );
          n += r.length;
          spares.push(r.buffer as ArrayBuffer);
        }
      };
      await Promise.all(Array.from({ length: depth }, lane));
      return n;
    });
  }
}

if (want('writer')) await measure('BioWriter tiles, L1', () => writeTiles(tiles, 1));

if (want('bands')) {
  await measure('BioWriter 1024-row bands, L1', async () => {
    const bw = await BioWriter.create(target, { ...options, compressionLevel: 1, overwrite: true });
    const src = new Uint16Array(readFileSync(raw).buffer, 0, SIZE * SIZE);
    for (let y = 0; y < SIZE; y += TILE) {
      await bw.write({ data: src.slice(y * SIZE, (y + TILE) * SIZE), shape: [TILE, SIZE] }, { X: 0, Y: y });
    }
    await bw.close();
    const size = statSync(target).size;
    await rm(target);
    return size;
  });
}

if (want('loop')) {
  await measure('bench loop: bands cut into tiles, L1', async () => {
    const bw = await BioWriter.create(target, { ...options, compressionLevel: 1, overwrite: true });
    const src = await open(raw, 'r');
    // PROBE_REUSE=1: one band buffer and one array per tile column, reused (a write resolves once the writer
    // has its own copy), instead of fresh arrays every band.
    const reuse = process.env.PROBE_REUSE === '1';
    const band = new Uint16Array(TILE * SIZE);
    const cut = Array.from({ length: SIZE / TILE }, () => new Uint16Array(TILE * TILE));
    for (let y = 0; y < SIZE; y += TILE) {
      const buf = reuse ? band : new Uint16Array(TILE * SIZE);
      await src.read(new Uint8Array(buf.buffer), 0, buf.byteLength, y * SIZE * 2);
      const writes: Promise<void>[] = [];
      for (let x = 0; x < SIZE; x += TILE) {
        const tile = reuse ? cut[x / TILE]! : new Uint16Array(TILE * TILE);
        for (let r = 0; r < TILE; r++) tile.set(buf.subarray(r * SIZE + x, r * SIZE + x + TILE), r * TILE);
        writes.push(bw.write({ data: tile, shape: [TILE, TILE] }, { X: x, Y: y }));
      }
      await Promise.all(writes);
    }
    await bw.close();
    await src.close();
    const size = statSync(target).size;
    await rm(target);
    return size;
  });
}

if (want('convert')) {
  // `bfio convert` TIFF → TIFF of the convert bench's source (BENCH_CONVERT_SIZE, default 8192), in process.
  const size = Number(process.env.BENCH_CONVERT_SIZE ?? 8192);
  const source = join(out, `large-${size}x3.ome.tif`);
  const { main: cli } = await import('../apps/cli/src/cli.js');
  const pixels = size * size * 3 * 2;
  await measure(
    `convert ${size}² × 3 → OME-TIFF`,
    async () => {
      const code = await cli(['convert', source, target, '--overwrite'], { out: () => {}, err: () => {} });
      if (code !== 0) throw new Error(`convert exited ${code}`);
      const stored = statSync(target).size;
      await rm(target);
      return stored;
    },
    pixels / 2 ** 20,
  );
}

// The pool ends its workers first: a worker writes its --cpu-prof profile only when it exits.
await sharedWorkerPool().close();
process.exit(0);
