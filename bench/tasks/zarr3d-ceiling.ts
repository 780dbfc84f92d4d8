/**
 * The ceilings of the 3-D Zarr bench, 2 lanes (two worker threads, each with half of the chunks):
 *   page-cache read — the uncompressed store's chunk files read (open, read, close) into a reused buffer;
 *   page-cache write — the same bytes written as new files (one per chunk);
 *   memcpy          — a chunk-sized buffer copied into another, as many bytes as the volume;
 *   zstd decode / encode — libzstd (zstd-napi, the library our codec workers use) on the zstd store's chunks:
 *                     compressed bytes loaded first, then decoded into a reused buffer; the decoded chunk
 *                     encoded again at level 1 into a reused buffer (each lane sums its own codec time).
 *   zarr3d-ceiling RAW_STORE ZSTD_STORE
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ROOT } from '../lib/run.js';

const LANE = `
const { workerData, parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync, fstatSync, readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { files, mode, codecsPackage, bytes } = workerData;
const now = () => performance.now() / 1000;
const readInto = (path, buf) => {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let done = 0;
    while (done < size) done += readSync(fd, buf, done, size - done, done);
    return size;
  } finally { closeSync(fd); }
};
if (mode === 'write') {
  const { writeFileSync, mkdirSync } = require('node:fs');
  const { join } = require('node:path');
  mkdirSync(workerData.outDir, { recursive: true });
  const bufs = files.map((f) => readFileSync(f));
  let total = 0;
  const t = now();
  bufs.forEach((b, i) => { writeFileSync(join(workerData.outDir, String(i)), b); total += b.length; });
  parentPort.postMessage({ seconds: now() - t, bytes: total });
} else if (mode === 'read') {
  const buf = new Uint8Array(workerData.maxSize);
  let total = 0;
  const t = now();
  for (const f of files) total += readInto(f, buf);
  parentPort.postMessage({ seconds: now() - t, bytes: total });
} else if (mode === 'memcpy') {
  const src = new Uint8Array(workerData.chunkBytes).fill(7);
  const dst = new Uint8Array(workerData.chunkBytes);
  const t = now();
  let total = 0;
  while (total < bytes) { dst.set(src); total += src.length; }
  parentPort.postMessage({ seconds: now() - t, bytes: total });
} else {
  const zstd = { binding: createRequire(codecsPackage)('zstd-napi/binding') };
  const inputs = files.map((f) => readFileSync(f));
  const dctx = new zstd.binding.DCtx();
  const cctx = new zstd.binding.CCtx();
  cctx.setParameter(zstd.binding.CParameter.compressionLevel, 1);
  const dst = new Uint8Array(workerData.chunkBytes);
  const enc = new Uint8Array(zstd.binding.compressBound(workerData.chunkBytes));
  let decode = 0, encode = 0, total = 0, stored = 0;
  for (const input of inputs) {
    let t = now();
    const n = dctx.decompress(dst, input);
    decode += now() - t;
    t = now();
    stored += cctx.compress2(enc, dst.subarray(0, n));
    encode += now() - t;
    total += n;
  }
  parentPort.postMessage({ decode, encode, bytes: total, stored });
}
`;

function chunkFiles(store: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'zarr.json') out.push(p);
    }
  };
  walk(join(store, 'c'));
  return out.sort();
}

type LaneResult = { seconds: number; bytes: number; decode: number; encode: number; stored: number };
const mibps = (bytes: number, seconds: number) => bytes / 2 ** 20 / seconds;
/** A 2-lane result's time: its slower lane's. */
const wall = (r: LaneResult[], k: 'seconds' | 'decode' | 'encode') => Math.max(...r.map((x) => x[k]));

async function lanes(mode: string, files: string[], extra: Record<string, unknown>): Promise<LaneResult[]> {
  const halves = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)];
  return Promise.all(
    halves.map(
      (part, lane) =>
        new Promise<LaneResult>((resolve, reject) => {
          const w = new Worker(LANE, {
            eval: true,
            workerData: {
              files: part,
              mode,
              codecsPackage: join(ROOT, 'packages', 'codecs', 'package.json'),
              ...extra,
              outDir: join(String(extra.outDir ?? ''), String(lane)),
            },
          });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
}

const [rawStore, zstdStore] = process.argv.slice(2) as [string, string];
const raw = chunkFiles(rawStore);
const zst = chunkFiles(zstdStore);
const maxSize = Math.max(...raw.map((f) => statSync(f).size));
const volume = raw.reduce((a, f) => a + statSync(f).size, 0);
/** The best of 3 runs (the machine is shared: a ceiling is what the hardware gives at its best). */
async function best(run: () => Promise<LaneResult[]>, key: 'seconds' | 'decode'): Promise<LaneResult[]> {
  let top: LaneResult[] | undefined;
  for (let i = 0; i < 3; i++) {
    const r = await run();
    if (!top || wall(r, key) < wall(top, key)) top = r;
  }
  return top!;
}
// Once untimed, so the timed runs find the files in the page cache, as the readers do.
await lanes('read', raw, { maxSize });
const read = await best(() => lanes('read', raw, { maxSize }), 'seconds');
const outDir = join(ROOT, 'bench', 'out', 'ceiling-write');
const write = await best(async () => {
  rmSync(outDir, { recursive: true, force: true });
  const r = await lanes('write', raw, { outDir });
  rmSync(outDir, { recursive: true, force: true });
  return r;
}, 'seconds');
const memcpy = await best(() => lanes('memcpy', [], { chunkBytes: maxSize, bytes: volume / 2 }), 'seconds');
const codec = await best(() => lanes('zstd', zst, { chunkBytes: maxSize }), 'decode');
const sum = (r: LaneResult[], k: 'bytes' | 'stored') => r.reduce((a, x) => a + x[k], 0);
console.log(
  JSON.stringify({
    task: 'ceiling',
    readMiBps: mibps(sum(read, 'bytes'), wall(read, 'seconds')),
    writeMiBps: mibps(sum(write, 'bytes'), wall(write, 'seconds')),
    memcpyMiBps: mibps(sum(memcpy, 'bytes'), wall(memcpy, 'seconds')),
    zstdDecodeMiBps: mibps(sum(codec, 'bytes'), wall(codec, 'decode')),
    zstdEncodeMiBps: mibps(sum(codec, 'bytes'), wall(codec, 'encode')),
    zstdRatio: sum(codec, 'bytes') / sum(codec, 'stored'),
    seconds: wall(read, 'seconds'),
    bytes: sum(read, 'bytes'),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
process.exit(0);
