/**
 * Reading over HTTP: the TIFF bench's OME-TIFF (16384² uint16, 1024² Deflate tiles), the same pixels as a
 * stripped TIFF (16 rows per Deflate strip, written here by tifffile), and the Zarr bench's stores when they
 * are there (1024² chunks, zstd-1; unsharded and in 4096² shards), served by a loopback server in its own
 * process that answers like an object store (range requests), at each per-request latency of
 * BENCH_DELAYS_MS (default 0 and 20 ms: loopback has none; an object store has tens of ms to the first
 * byte, which is what a client's request count costs). Ours (`BioReader.open(url)`) vs tifffile on an fsspec
 * file and zarr-python 3 through fsspec/aiohttp; each run in its own process, pixels checked against each
 * other, GET requests counted by the server.
 *
 *   pnpm bench:remote      (after pnpm bench:tiff, which writes the OME-TIFF; pnpm bench:zarr for the stores)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { mbps, PEERS, PYTHON, ROOT, recorder, writeResults } from './lib/run.js';

const out = join(ROOT, 'bench', 'out');
const files = {
  zarr: 'ours.ome.zarr',
  sharded: 'ours-sharded.ome.zarr',
  tiff: 'src-16384.ome.tif',
  strips: 'src-16384-strips.tif',
};
if (!existsSync(join(out, files.tiff)))
  throw new Error(`${files.tiff} is missing in bench/out: run pnpm bench:tiff first`);
const withZarr = existsSync(join(out, files.zarr)) && existsSync(join(out, files.sharded));
if (!existsSync(join(out, files.strips))) {
  // The TIFF bench's raw pixels as strips of 16 rows (Deflate level 1), as many plain TIFFs are stored.
  const made = spawnSync(PYTHON, [
    '-c',
    `import numpy as np, tifffile, sys
a = np.fromfile(sys.argv[1], dtype='<u2').reshape(16384, 16384)
tifffile.imwrite(sys.argv[2], a, compression='zlib', compressionargs={'level': 1}, rowsperstrip=16, photometric='minisblack')`,
    join(out, 'src-16384.u16'),
    join(out, files.strips),
  ]);
  if (made.status !== 0) throw new Error(`writing ${files.strips} failed: ${made.stderr}`);
}
const delays = (process.env.BENCH_DELAYS_MS ?? '0,20').split(',').map(Number);

/** The file server at `delay` ms per request; `requests()` tells the GETs since the last call. */
async function startServer(delay: number) {
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 'tasks', 'serve-task.ts'), out, String(delay)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout });
  const next = () =>
    new Promise<string>((done, fail) => {
      lines.once('line', done);
      server.once('exit', (code) => fail(new Error(`the file server exited (${code})`)));
    });
  const base = await next();
  const requests = async () => {
    const answer = next();
    server.stdin.write('\n');
    return Number(await answer);
  };
  return { base, requests, stop: () => server.kill() };
}

const ours = join(ROOT, 'bench', 'tasks', 'io-task.ts');
const { results, run } = recorder();
const requests: Record<string, number> = {};
for (const delay of delays) {
  const server = await startServer(delay);
  const url = (f: string) => `${server.base}/out/${f}`;
  const measure = async (name: string, kind: 'python' | 'node', script: string, args: string[]) => {
    await server.requests();
    run(`${name}@${delay}`, kind, script, args);
    requests[`${name}@${delay}`] = await server.requests();
  };
  try {
    await measure('ours-tiff', 'node', ours, ['read', url(files.tiff)]);
    await measure('tifffile-tiff', 'python', PEERS, ['read', 'tifffile', url(files.tiff)]);
    await measure('ours-strips', 'node', ours, ['read', url(files.strips)]);
    await measure('tifffile-strips', 'python', PEERS, ['read', 'tifffile', url(files.strips)]);
    if (withZarr) {
      await measure('ours-zarr', 'node', ours, ['read', url(files.zarr)]);
      await measure('zarr-zarr', 'python', PEERS, ['zarr-read', 'zarr', url(files.zarr)]);
      await measure('ours-sharded', 'node', ours, ['read', url(files.sharded)]);
      await measure('zarr-sharded', 'python', PEERS, ['zarr-read', 'zarr', url(files.sharded)]);
    }
  } finally {
    server.stop();
  }
}
run('ours-tiff-local', 'node', ours, ['read', join(out, files.tiff)]);

const same = [['ours-tiff-local', 'ours-strips@' + delays[0]]];
for (const d of delays) {
  same.push([`ours-tiff@${d}`, `tifffile-tiff@${d}`], [`ours-strips@${d}`, `tifffile-strips@${d}`]);
  same.push([`ours-tiff@${d}`, 'ours-tiff-local']);
  if (withZarr) same.push([`ours-zarr@${d}`, `zarr-zarr@${d}`], [`ours-sharded@${d}`, `zarr-sharded@${d}`]);
}
for (const [a, b] of same) {
  if (results[a!]!.checksum !== results[b!]!.checksum) throw new Error(`${a} and ${b} read different pixels`);
}

const r = (a: string, b: string) => (mbps(results[a]!) / mbps(results[b]!)).toFixed(2);
const row = (name: string, label: string) =>
  `| ${label} | ${mbps(results[name]!).toFixed(1)} | ${results[name]!.seconds.toFixed(2)} | ${(results[name]!.cpuSeconds as number | undefined)?.toFixed(2) ?? '—'} | ${results[name]!.peakRssMiB.toFixed(0)} | ${requests[name] ?? '—'} |`;
const rows: string[] = [];
const ratios: string[] = [];
for (const d of delays) {
  const at = d ? `, ${d} ms per request` : ', no added latency';
  rows.push(
    row(`ours-tiff@${d}`, `OME-TIFF (tiles)${at}: ours`),
    row(`tifffile-tiff@${d}`, `OME-TIFF (tiles)${at}: tifffile + fsspec`),
    row(`ours-strips@${d}`, `TIFF (strips)${at}: ours`),
    row(`tifffile-strips@${d}`, `TIFF (strips)${at}: tifffile + fsspec`),
  );
  ratios.push(
    `| OME-TIFF (tiles)${at}: ours / tifffile | ${r(`ours-tiff@${d}`, `tifffile-tiff@${d}`)} |`,
    `| TIFF (strips)${at}: ours / tifffile | ${r(`ours-strips@${d}`, `tifffile-strips@${d}`)} |`,
  );
  if (withZarr) {
    rows.push(
      row(`ours-zarr@${d}`, `OME-Zarr${at}: ours`),
      row(`zarr-zarr@${d}`, `OME-Zarr${at}: zarr-python 3`),
      row(`ours-sharded@${d}`, `sharded OME-Zarr${at}: ours`),
      row(`zarr-sharded@${d}`, `sharded OME-Zarr${at}: zarr-python 3`),
    );
    ratios.push(
      `| OME-Zarr${at}: ours / zarr-python | ${r(`ours-zarr@${d}`, `zarr-zarr@${d}`)} |`,
      `| sharded OME-Zarr${at}: ours / zarr-python | ${r(`ours-sharded@${d}`, `zarr-sharded@${d}`)} |`,
    );
  }
}
rows.push(row('ours-tiff-local', 'OME-TIFF, local file: ours (for scale)'));
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const md = `## Reading over HTTP (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`pnpm bench:remote\` (load average at the end: ${load}; the machine is shared). The TIFF bench's
16384² uint16 OME-TIFF (1024² Deflate-1 tiles), the same pixels as a TIFF of 16-row Deflate-1 strips (1024
strips), ${withZarr ? "and the Zarr bench's stores (1024² chunks, zstd-1; unsharded, and in 4096² shards), " : ''}read whole over HTTP from a
loopback server in its own process that answers like an object store (GET with Range, HEAD, 404), each
request answered after the latency shown (a wait before the first byte; the body then streams at loopback
speed). Ours: \`BioReader.open(url)\` (one request for the size and the first 64 KiB; neighbouring blocks merged
into requests of up to 8 MiB, 4 of them in flight, on Node with node:http and keep-alive, each streamed into its
blocks' buffers and a block decoded as soon as its bytes are in); tifffile (maxworkers=2) on an fsspec file (4 MiB blocks; tifffile
reads a page's contiguous segments as one read, so fsspec sends a few large requests)${withZarr ? '; zarr-python 3 through fsspec/aiohttp' : ''}. Requests: GETs the server answered.

| task | MiB/s | seconds | CPU-s (all threads; less moved by load) | peak RSS MiB | requests |
|---|---:|---:|---:|---:|---:|
${rows.join('\n')}

| ratio | value |
|---|---:|
${ratios.join('\n')}

Pixels checked: every pair reads the same checksum (and the tiled and stripped files the same pixels).
`;
writeResults('remote', md);
console.log(md);
process.exit(0);
