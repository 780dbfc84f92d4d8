/**
 * Our side of the parallel-codec benchmark (bench/pool.ts), one task per process:
 *   read FILE MAX_WORKERS DECODE_ON [shared]   full read through BioReader with `maxWorkers` and `decodeOn`
 *                                               (into a SharedArrayBuffer-backed `out` if `shared`)
 *   ceiling FILE LANES ENGINE           inflate of the file's tiles alone, LANES at a time, on ENGINE
 * ENGINE / DECODE_ON: `libuv` (async node:zlib on libuv's thread pool) or `workers` (@bfio/codecs' WorkerPool).
 */
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { WorkerPool } from '@bfio/codecs';
import { BioReader } from '@bfio/core';
import '@bfio/tiff';
// The tile table is the reader's own parse (the bench is in-repo; the package exports only the backend).
import { TiffFile } from '../../packages/tiff/src/reader/tiff-file.js';
import { now, report } from '../lib/report.js';

const [task, ...args] = process.argv.slice(2);

async function readFull(path: string, maxWorkers: number, decodeOn: string, shared: boolean) {
  const cpu = process.cpuUsage();
  const t = now();
  await using br = await BioReader.open(path, { maxWorkers, decodeOn });
  // BioReader's default result is a SharedArrayBuffer (workers place decoded rows themselves);
  // `shared: false` asks for an ordinary ArrayBuffer, which the main thread must fill.
  const a = await br.read({}, shared ? {} : { shared: false });
  const seconds = now() - t;
  const used = process.cpuUsage(cpu);
  let checksum = 0;
  for (let y = 0; y < br.Y; y += 97) for (let x = 0; x < br.X; x += 89) checksum += a.get(y, x);
  report(`read-${decodeOn}-${maxWorkers}${shared ? '-shared' : ''}`, seconds, a.data.byteLength, {
    checksum,
    cpuSeconds: (used.user + used.system) / 1e6,
  });
}

/** The ceiling: only inflate, of the same tiles, `lanes` at a time, output size known (one buffer per tile). */
async function ceiling(path: string, lanes: number, engine: string) {
  const file = await TiffFile.open(path);
  const page = await file.page(0);
  const fh = await open(path, 'r');
  const tiles: Uint8Array[] = [];
  for (let i = 0; i < page.offsets.length; i++) {
    const b = new Uint8Array(Number(page.byteCounts[i]));
    await fh.read(b, 0, b.length, Number(page.offsets[i]));
    tiles.push(b);
  }
  await fh.close();
  await file.close();
  const expected = page.blockWidth * page.blockHeight * (page.bitsPerSample / 8);
  const inflateAsync = promisify(inflate);
  const pool = engine === 'workers' ? new WorkerPool({ maxWorkers: lanes }) : undefined;
  if (pool) await Promise.all(Array.from({ length: lanes }, () => pool.run('echo', new Uint8Array(1)))); // start
  const one = (b: Uint8Array) =>
    pool
      ? pool.run('inflate', b, { outputSize: expected }, { transfer: true })
      : inflateAsync(b, { chunkSize: expected + 64 });
  const cpu = process.cpuUsage();
  const t = now();
  let next = 0;
  const lane = async () => {
    while (next < tiles.length) await one(tiles[next++]!);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  const seconds = now() - t;
  const used = process.cpuUsage(cpu);
  await pool?.close();
  report(`ceiling-${engine}-${lanes}`, seconds, tiles.length * expected, {
    cpuSeconds: (used.user + used.system) / 1e6,
  });
}

if (task === 'read') await readFull(args[0]!, Number(args[1]), args[2]!, args[3] === 'shared');
else if (task === 'ceiling') await ceiling(args[0]!, Number(args[1]), args[2]!);
else throw new Error(`unknown task ${task}`);
process.exit(0);
