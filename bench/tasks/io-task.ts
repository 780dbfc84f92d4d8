/**
 * Our side of the benchmarks, one task per process (so peak RSS is the task's own). The backend is chosen
 * by the path, as for any user:
 *   read PATH | windows PATH WINDOWS.json | write RAW SIZE OUT [OPTIONS_JSON] | zlib RAW SIZE
 */
import { open, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { deflate, inflate } from 'node:zlib';
import { WorkerPool } from '@bfio/codecs';
import { BioReader, BioWriter } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import { now, report } from '../lib/report.js';

const [task, ...args] = process.argv.slice(2);

async function readFull(path: string) {
  const t = now();
  const cpu = process.cpuUsage();
  await using br = await BioReader.open(path);
  const a = await br.read();
  const seconds = now() - t;
  const used = process.cpuUsage(cpu); // every thread of the process, codec workers included
  let checksum = 0;
  for (let y = 0; y < br.Y; y += 97) for (let x = 0; x < br.X; x += 89) checksum += a.get(y, x);
  report(`ours-read`, seconds, a.data.byteLength, {
    checksum,
    cpuSeconds: (used.user + used.system) / 1e6,
  });
}

async function readWindows(path: string, windowsFile: string) {
  const windows = JSON.parse(await readFile(windowsFile, 'utf8')) as [number, number, number, number][];
  const t = now();
  await using br = await BioReader.open(path);
  let total = 0;
  let checksum = 0;
  for (const [x, y, w, h] of windows) {
    const a = await br.read({ X: [x, x + w], Y: [y, y + h], Z: 0, C: 0, T: 0 });
    total += a.data.byteLength;
    checksum += a.get(0, 0);
  }
  report('ours-windows', now() - t, total, { checksum });
}

/**
 * `tiles`: each 1024-row band is cut into 1024² tiles, one write each (bfio's tile-by-tile loop).
 * `bands`: each band is one write, as zarr-python's `z[..., y:y+1024, :] = band` (the backend cuts chunks).
 */
async function writeFull(
  raw: string,
  sizeText: string,
  out: string,
  optionsJson = '{}',
  mode = 'tiles',
  bandText = '1024',
) {
  const size = Number(sizeText);
  // Rows per band (`bands` mode only: the tile arrays below are 1024 rows): a sharded store's writers all get
  // whole shard rows (bench/zarr.ts).
  const band = mode === 'bands' ? Number(bandText) : 1024;
  const src = await open(raw, 'r');
  // A Zarr store left by the previous run goes before the clock starts, as each peer's (bench/lib/peers.py
  // removes its output first): replacing it inside the write would time the old store's deletion too.
  if (out.endsWith('.zarr')) await rm(out, { recursive: true, force: true });
  const t = now();
  const cpu = process.cpuUsage();
  const bw = await BioWriter.create(out, {
    X: size,
    Y: size,
    dtype: 'uint16',
    tileSize: 1024,
    compression: 'deflate',
    compressionLevel: 1,
    overwrite: true,
    ...JSON.parse(optionsJson),
  });
  // Tile by tile, one 1024-row band of the source at a time (as a pipeline would produce it), in one array
  // per tile column, reused: a write resolves once the writer holds its own copy. Fresh arrays for every band
  // and tile (1 GiB of allocations per 512 MiB) cost ~1.1–1.4 CPU-s more here (zeroing, page faults,
  // external-memory collections: bench/tiff-write-probe.ts loop, PROBE_REUSE), which tifffile, given the
  // whole image as a memmap, does not pay either. The band is read straight into the tile arrays (one
  // scattered read, `readv`: each file row's pieces land in their tiles' rows), as a pipeline reading raw rows
  // would, instead of read-then-cut: the cut was a second copy of every pixel on this thread (its CPU went
  // from 0.42–0.49 to 0.24–0.26 s per 512 MiB, measured per thread). The pixels are still read from the file and copied once into the tiles inside the timed
  // region, as tifffile copies each tile out of its memmap in its threads.
  const bandBuffer = mode === 'bands' ? new Uint16Array(band * size) : undefined;
  const tileBuffers: Uint16Array[] = [];
  for (let x = 0; x < size && mode !== 'bands'; x += 1024)
    tileBuffers.push(new Uint16Array(band * Math.min(1024, size - x)));
  /** The views one band's rows are read into, in file order, by band height (the last band may be shorter). */
  const scatterLists = new Map<number, Uint8Array[][]>();
  const scatterFor = (rows: number) => {
    let lists = scatterLists.get(rows);
    if (lists) return lists;
    const views: Uint8Array[] = [];
    for (let r = 0; r < rows; r++) {
      tileBuffers.forEach((tile, c) => {
        const w = Math.min(1024, size - c * 1024);
        views.push(new Uint8Array(tile.buffer, r * w * 2, w * 2));
      });
    }
    // readv takes at most IOV_MAX (1024) pieces per call; whole file rows per call.
    const rowsPerCall = Math.max(1, Math.floor(1024 / tileBuffers.length));
    const perCall = rowsPerCall * tileBuffers.length;
    lists = [];
    for (let i = 0; i < views.length; i += perCall) lists.push(views.slice(i, i + perCall));
    scatterLists.set(rows, lists);
    return lists;
  };
  const rowBytes = size * 2;
  for (let y = 0; y < size; y += band) {
    const rows = Math.min(band, size - y);
    if (bandBuffer) {
      const buf = bandBuffer.subarray(0, rows * size);
      await src.read(new Uint8Array(buf.buffer, 0, buf.byteLength), 0, buf.byteLength, y * rowBytes);
      await bw.write({ data: buf, shape: [rows, size] }, { X: 0, Y: y });
      continue;
    }
    const lists = scatterFor(rows);
    const rowsPerCall = lists[0]!.length / tileBuffers.length;
    await Promise.all(
      lists.map(async (views, i) => {
        const want = Math.min(rowsPerCall, rows - i * rowsPerCall) * rowBytes;
        const { bytesRead } = await src.readv(views, (y + i * rowsPerCall) * rowBytes);
        if (bytesRead !== want) throw new Error(`short read of ${raw}: ${bytesRead} of ${want} bytes`);
      }),
    );
    const writes: Promise<void>[] = [];
    tileBuffers.forEach((whole, c) => {
      const x = c * 1024;
      const w = Math.min(1024, size - x);
      writes.push(bw.write({ data: whole.subarray(0, rows * w), shape: [rows, w] }, { X: x, Y: y }));
    });
    await Promise.all(writes);
  }
  await bw.close();
  await src.close();
  // CPU seconds of every thread of the process (codec workers included): a figure the machine's other load
  // changes far less than the wall time.
  const used = process.cpuUsage(cpu);
  report('ours-write', now() - t, size * size * 2, { cpuSeconds: (used.user + used.system) / 1e6 });
}

/**
 * The ceiling: zlib alone on the same 1024² tiles (deflate level 1, then inflate of the result), 2 lanes,
 * output sizes known, on both engines a Node program can use: libuv's pool (async node:zlib) and worker
 * threads (@bfio/codecs' WorkerPool). The faster engine is the ceiling.
 */
/**
 * libdeflate level 1 alone on `lanes` bare threads: each loads the addon and compresses its share of the
 * tiles (already cut, on shared memory) in a loop — no pool, no messages per tile, no copies. The encoder's
 * own ceiling on this machine, as a C program with as many pthreads measures it; seconds of the slower lane.
 */
async function bareDeflate(tiles: Uint8Array[], lanes: number): Promise<number> {
  const addon = fileURLToPath(
    new URL('../../packages/codecs/native/build/Release/bfio_libdeflate.node', import.meta.url),
  );
  const shared = tiles.map((t) => {
    const s = new Uint8Array(new SharedArrayBuffer(t.byteLength));
    s.set(t);
    return s;
  });
  const lane = `
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = require(workerData.addon);
    const out = new Uint8Array(workerData.tiles[0].length + 65536);
    parentPort.once('message', () => {
      const t = performance.now();
      for (const tile of workerData.tiles) addon.zlibCompress(tile, 1, out);
      parentPort.postMessage((performance.now() - t) / 1000);
    });
    parentPort.postMessage('ready');`;
  const workers = Array.from(
    { length: lanes },
    (_, i) =>
      new Worker(lane, {
        eval: true,
        workerData: { addon, tiles: shared.filter((_, k) => k % lanes === i) },
      }),
  );
  try {
    await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
    const seconds = await Promise.all(
      workers.map((w) => {
        const done = new Promise<number>((r) => w.once('message', r));
        w.postMessage('go');
        return done;
      }),
    );
    return Math.max(...seconds);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function zlibCeiling(raw: string, sizeText: string) {
  const size = Number(sizeText);
  const inflateAsync = promisify(inflate);
  const deflateAsync = promisify(deflate);
  const src = await open(raw, 'r');
  const tiles: Uint8Array[] = [];
  for (let y = 0; y < size; y += 1024) {
    const buf = new Uint16Array(1024 * size);
    await src.read(new Uint8Array(buf.buffer), 0, buf.byteLength, y * size * 2);
    for (let x = 0; x < size; x += 1024) {
      const tile = new Uint16Array(1024 * 1024);
      for (let r = 0; r < 1024; r++) tile.set(buf.subarray(r * size + x, r * size + x + 1024), r * 1024);
      tiles.push(new Uint8Array(tile.buffer));
    }
  }
  await src.close();
  const tileBytes = 1024 * 1024 * 2;
  const lanes = 2;
  const pool = new WorkerPool({ maxWorkers: lanes });
  await Promise.all(Array.from({ length: lanes }, () => pool.run('echo', new Uint8Array(1))));
  const run = async (fn: (b: Uint8Array, i: number) => Promise<unknown>, inputs: Uint8Array[]) => {
    let next = 0;
    const t = now();
    const lane = async () => {
      while (next < inputs.length) {
        const i = next++;
        await fn(inputs[i]!, i);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    return now() - t;
  };
  const compressed: Uint8Array[] = new Array(tiles.length);
  const timings: Record<string, number> = {};
  timings.deflateLibuv = await run(async (b, i) => {
    compressed[i] = await deflateAsync(b, { level: 1 });
  }, tiles);
  timings.deflateWorkers = await run(
    (b) => pool.run('deflate', new Uint8Array(b), { level: 1 }, { transfer: true }),
    tiles,
  );
  timings.deflateThreads = await bareDeflate(tiles, lanes);
  timings.inflateLibuv = await run((b) => inflateAsync(b, { chunkSize: tileBytes + 64 }), compressed);
  timings.inflateWorkers = await run(
    // A copy (Buffer#slice would be a view: transferring it would detach the original).
    (b) => pool.run('inflate', new Uint8Array(b), { outputSize: tileBytes }, { transfer: true }),
    compressed,
  );
  await pool.close();
  const bytes = tiles.length * tileBytes;
  const inflateSeconds = Math.min(timings.inflateLibuv!, timings.inflateWorkers!);
  const deflateSeconds = Math.min(timings.deflateLibuv!, timings.deflateWorkers!, timings.deflateThreads!);
  report('zlib-ceiling', inflateSeconds, bytes, {
    inflateSeconds,
    deflateSeconds,
    ...timings,
    ratio: bytes / compressed.reduce((a, b) => a + b.length, 0),
  });
}

if (task === 'read') await readFull(args[0]!);
else if (task === 'windows') await readWindows(args[0]!, args[1]!);
else if (task === 'write') await writeFull(args[0]!, args[1]!, args[2]!, args[3], args[4], args[5]);
else if (task === 'zlib') await zlibCeiling(args[0]!, args[1]!);
else throw new Error(`unknown task ${task}`);
process.exit(0);
