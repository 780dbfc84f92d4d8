/**
 * Reading over HTTP: the Zarr bench's stores (16384² uint16, 1024² chunks, zstd-1; unsharded and in 4096²
 * shards) and the TIFF bench's OME-TIFF (1024² Deflate tiles), served by a loopback server in its own process
 * that answers like an object store (range requests). Ours (`BioReader.open(url)`) vs zarr-python 3 through
 * fsspec/aiohttp, and tifffile on an fsspec file; each run in its own process, pixels checked against each
 * other. Loopback has no network latency: this measures the clients, not the network.
 *
 *   pnpm bench:remote      (after pnpm bench:zarr and pnpm bench:tiff, which write the files)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { mbps, PEERS, ROOT, recorder, writeResults } from './lib/run.js';

const out = join(ROOT, 'bench', 'out');
const files = {
  zarr: 'ours.ome.zarr',
  sharded: 'ours-sharded.ome.zarr',
  tiff: 'src-16384.ome.tif',
};
for (const f of Object.values(files))
  if (!existsSync(join(out, f)))
    throw new Error(`${f} is missing in bench/out: run pnpm bench:zarr and pnpm bench:tiff first`);

const server = spawn(
  process.execPath,
  ['--import', 'tsx', join(ROOT, 'bench', 'tasks', 'serve-task.ts'), out],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const base = await new Promise<string>((done, fail) => {
  server.stdout.once('data', (d) => done(String(d).trim()));
  server.once('exit', (code) => fail(new Error(`the file server exited (${code})`)));
});
const url = (f: string) => `${base}/out/${f}`;
const ours = join(ROOT, 'bench', 'tasks', 'io-task.ts');
const { results, run } = recorder();
try {
  run('ours-zarr', 'node', ours, ['read', url(files.zarr)]);
  run('zarr-zarr', 'python', PEERS, ['zarr-read', 'zarr', url(files.zarr)]);
  run('ours-sharded', 'node', ours, ['read', url(files.sharded)]);
  run('zarr-sharded', 'python', PEERS, ['zarr-read', 'zarr', url(files.sharded)]);
  run('ours-tiff', 'node', ours, ['read', url(files.tiff)]);
  run('tifffile-tiff', 'python', PEERS, ['read', 'tifffile', url(files.tiff)]);
  run('ours-tiff-local', 'node', ours, ['read', join(out, files.tiff)]);
} finally {
  server.kill();
}
for (const [a, b] of [
  ['ours-zarr', 'zarr-zarr'],
  ['ours-sharded', 'zarr-sharded'],
  ['ours-tiff', 'tifffile-tiff'],
  ['ours-tiff', 'ours-tiff-local'],
]) {
  if (results[a!]!.checksum !== results[b!]!.checksum) throw new Error(`${a} and ${b} read different pixels`);
}

const r = (a: string, b: string) => (mbps(results[a]!) / mbps(results[b]!)).toFixed(2);
const row = (name: string, label: string) =>
  `| ${label} | ${mbps(results[name]!).toFixed(1)} | ${results[name]!.seconds.toFixed(2)} | ${results[name]!.peakRssMiB.toFixed(0)} |`;
const md = `## Reading over HTTP (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`pnpm bench:remote\`. The Zarr bench's 16384² uint16 stores (1024² chunks, zstd-1; unsharded, and in
4096² shards) and the TIFF bench's OME-TIFF (1024² Deflate-1 tiles), full reads over HTTP from a loopback server
in its own process that answers like an object store (GET with Range, HEAD, 404). Ours: \`BioReader.open(url)\`;
zarr-python 3 through fsspec/aiohttp; tifffile (maxworkers=2) on an fsspec file (4 MiB blocks). Loopback has no
latency, so this compares the clients.

| task | MiB/s | seconds | peak RSS MiB |
|---|---:|---:|---:|
${row('ours-zarr', 'OME-Zarr: ours')}
${row('zarr-zarr', 'OME-Zarr: zarr-python 3')}
${row('ours-sharded', 'sharded OME-Zarr: ours')}
${row('zarr-sharded', 'sharded OME-Zarr: zarr-python 3')}
${row('ours-tiff', 'OME-TIFF: ours')}
${row('tifffile-tiff', 'OME-TIFF: tifffile + fsspec')}
${row('ours-tiff-local', 'OME-TIFF, local file: ours (for scale)')}

| ratio | value |
|---|---:|
| OME-Zarr over HTTP: ours / zarr-python | ${r('ours-zarr', 'zarr-zarr')} |
| sharded OME-Zarr over HTTP: ours / zarr-python | ${r('ours-sharded', 'zarr-sharded')} |
| OME-TIFF over HTTP: ours / tifffile | ${r('ours-tiff', 'tifffile-tiff')} |

Pixels checked: every pair reads the same checksum.
`;
writeResults('remote', md);
console.log(md);
process.exit(0);
