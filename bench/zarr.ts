/**
 * Zarr benchmark (issue: @bfio/zarr): the TIFF bench's SIZE×SIZE uint16 image as OME-Zarr 0.5 (Zarr v3),
 * chunks (1, 1, 1, 1024, 1024), zstd level 1: full write, full read, 500 random 1024² windows; ours vs
 * zarr-python 3 and bfio 2.5's zarr3 backend, each task in its own process.
 *
 *   pnpm bench:zarr            (BENCH_SIZE=4096 for a quick run)
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { mbps, PEERS, ROOT, recorder, runTask, writeResults, writeWindows } from './lib/run.js';

const SIZE = Number(process.env.BENCH_SIZE ?? 16384);
const out = join(ROOT, 'bench', 'out');
mkdirSync(out, { recursive: true });
const raw = join(out, `src-${SIZE}.u16`);
const ours = join(ROOT, 'bench', 'tasks', 'io-task.ts');
if (!existsSync(raw)) runTask('python', PEERS, ['gen', String(SIZE), raw, join(out, `src-${SIZE}.ome.tif`)]);

const windowsFile = join(out, 'windows.json');
writeWindows(windowsFile, SIZE);

const { results, run } = recorder();

const oursStore = join(out, 'ours.ome.zarr');
rmSync(oursStore, { recursive: true, force: true });
run('ours-write', 'node', ours, [
  'write',
  raw,
  String(SIZE),
  oursStore,
  JSON.stringify({ compression: 'zstd', compressionLevel: 1 }),
  'bands',
]);
run('zarr-write', 'python', PEERS, ['zarr-write', 'zarr', raw, String(SIZE), join(out, 'zarr-python.zarr')]);
run('bfio-write', 'python', PEERS, ['zarr-write', 'bfio', raw, String(SIZE), join(out, 'bfio.ome.zarr')]);
const verified = runTask('python', PEERS, ['zarr-verify', oursStore, raw, String(SIZE)]) as unknown as {
  equal: boolean;
};
if (!verified.equal) throw new Error('our store does not read back equal in zarr-python');
// Sharded (4096² shards of the same 1024² chunks): ours streams shards chunk by chunk from 1024-row bands;
// zarr-python gets whole shard rows (its best case: it encodes each shard whole).
const shardedStore = join(out, 'ours-sharded.ome.zarr');
rmSync(shardedStore, { recursive: true, force: true });
run('ours-write-sharded', 'node', ours, [
  'write',
  raw,
  String(SIZE),
  shardedStore,
  JSON.stringify({ compression: 'zstd', compressionLevel: 1, shards: [1, 1, 1, 4096, 4096] }),
  'bands',
]);
run('zarr-write-sharded', 'python', PEERS, [
  'zarr-write',
  'zarr-sharded',
  raw,
  String(SIZE),
  join(out, 'zarr-python-sharded.zarr'),
]);
const shardedOk = runTask('python', PEERS, ['zarr-verify', shardedStore, raw, String(SIZE)]) as unknown as {
  equal: boolean;
};
if (!shardedOk.equal) throw new Error('our sharded store does not read back equal in zarr-python');
run('ours-read-sharded', 'node', ours, ['read', shardedStore]);
run('zarr-read-sharded', 'python', PEERS, ['zarr-read', 'zarr', shardedStore]);
// Everyone reads the same store: ours (NGFF 0.5, v3, zstd-1), which bfio's zarr3 backend also reads.
run('ours-read', 'node', ours, ['read', oursStore]);
run('zarr-read', 'python', PEERS, ['zarr-read', 'zarr', oursStore]);
run('bfio-read', 'python', PEERS, ['zarr-read', 'bfio', oursStore]);
run('ours-windows', 'node', ours, ['windows', oursStore, windowsFile]);
run('zarr-windows', 'python', PEERS, ['zarr-windows', 'zarr', oursStore, windowsFile]);
run('bfio-windows', 'python', PEERS, ['zarr-windows', 'bfio', oursStore, windowsFile]);
for (const k of ['read', 'windows', 'read-sharded']) {
  if (results[`ours-${k}`]!.checksum !== results[`zarr-${k}`]!.checksum)
    throw new Error(`${k}: our pixels differ from zarr-python's`);
}

const r = (a: string, b: string) => (mbps(results[a]!) / mbps(results[b]!)).toFixed(2);
const row = (name: string, label: string) =>
  `| ${label} | ${mbps(results[name]!).toFixed(1)} | ${results[name]!.seconds.toFixed(2)} | ${results[name]!.peakRssMiB.toFixed(0)} |`;
const md = `## Zarr (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`pnpm bench:zarr\` (BENCH_SIZE=${SIZE}). The TIFF bench's ${SIZE}×${SIZE} uint16 image as OME-Zarr 0.5 / Zarr v3,
chunks (1, 1, 1, 1024, 1024), zstd level 1. Every writer gets the image band by band (1024 rows, one write call per
band, as zarr-python's \`z[0, 0, 0, y:y+1024, :] = band\`; bfio 2.5's writer takes 1024² tiles); reads use our store.

| task | MiB/s | seconds | peak RSS MiB |
|---|---:|---:|---:|
${row('ours-write', 'write: ours')}
${row('zarr-write', 'write: zarr-python 3')}
${row('bfio-write', 'write: bfio 2.5 zarr3 backend')}
${row('ours-read', 'full read: ours')}
${row('zarr-read', 'full read: zarr-python 3')}
${row('bfio-read', 'full read: bfio 2.5 zarr3')}
${row('ours-windows', '500 random 1024² windows: ours')}
${row('zarr-windows', 'windows: zarr-python 3')}
${row('bfio-windows', 'windows: bfio 2.5 zarr3')}
${row('ours-write-sharded', 'sharded write (4096² shards): ours, 1024-row bands')}
${row('zarr-write-sharded', 'sharded write: zarr-python 3, 4096-row bands')}
${row('ours-read-sharded', 'sharded full read: ours')}
${row('zarr-read-sharded', 'sharded full read: zarr-python 3')}

| ratio | value | target |
|---|---:|---:|
| write: ours / zarr-python | ${r('ours-write', 'zarr-write')} | ≥ 1.0 |
| write: ours / bfio | ${r('ours-write', 'bfio-write')} | ≥ 1.5 |
| read: ours / zarr-python | ${r('ours-read', 'zarr-read')} | ≥ 1.0 |
| read: ours / bfio | ${r('ours-read', 'bfio-read')} | ≥ 1.5 |
| windows: ours / zarr-python | ${r('ours-windows', 'zarr-windows')} | |
| windows: ours / bfio | ${r('ours-windows', 'bfio-windows')} | |
| write peak RSS (MiB) | ${results['ours-write']!.peakRssMiB.toFixed(0)} | ≤ 512 |
| sharded write: ours / zarr-python | ${r('ours-write-sharded', 'zarr-write-sharded')} | |
| sharded read: ours / zarr-python | ${r('ours-read-sharded', 'zarr-read-sharded')} | |
| sharded write peak RSS (MiB): ours; zarr-python | ${results['ours-write-sharded']!.peakRssMiB.toFixed(0)}; ${results['zarr-write-sharded']!.peakRssMiB.toFixed(0)} | |

Pixels checked: our store reads back equal in zarr-python; our full read and windows match zarr-python's checksums.
`;
writeResults('zarr', md);
console.log(md);
