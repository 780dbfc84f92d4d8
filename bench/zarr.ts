/**
 * Zarr benchmark (issue: @bfio/zarr): the TIFF bench's SIZE×SIZE uint16 image as OME-Zarr 0.5 (Zarr v3),
 * chunks (1, 1, 1, 1024, 1024), zstd level 1: full write, full read, 500 random 1024² windows, and the same
 * with 4096² shards; ours vs zarr-python 3, zarrs-python, tensorstore (2 threads each, issue 14) and bfio 2.5's
 * zarr3 backend, each task in its own process.
 *
 *   pnpm bench:zarr            (BENCH_SIZE=4096 for a quick run)
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  mbps,
  PEERS,
  ROOT,
  type RowTask,
  recorder,
  runsText,
  runTask,
  writeResults,
  writeWindows,
} from './lib/run.js';

const SIZE = Number(process.env.BENCH_SIZE ?? 16384);
const out = join(ROOT, 'bench', 'out');
mkdirSync(out, { recursive: true });
const raw = join(out, `src-${SIZE}.u16`);
const ours = join(ROOT, 'bench', 'tasks', 'io-task.ts');
if (!existsSync(raw)) runTask('python', PEERS, ['gen', String(SIZE), raw, join(out, `src-${SIZE}.ome.tif`)]);

const windowsFile = join(out, 'windows.json');
writeWindows(windowsFile, SIZE);

/** Runs of each task, the tasks of a row interleaved; the fastest counts (BENCH_REPEAT, default 3). */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const { results, runRow } = recorder({ repeat: REPEAT });
/** The Zarr peers (bench/lib/peers.py `ZARR_LIBS`), each with 2 threads; bfio 2.5 is compared separately. */
const PEER_LIBS = [
  ['zarr', 'zarr-python 3'],
  ['zarrs', 'zarrs-python'],
  ['tensorstore', 'tensorstore'],
] as const;

const oursStore = join(out, 'ours.ome.zarr');
rmSync(oursStore, { recursive: true, force: true });
runRow([
  [
    'ours-write',
    'node',
    ours,
    [
      'write',
      raw,
      String(SIZE),
      oursStore,
      JSON.stringify({ compression: 'zstd', compressionLevel: 1 }),
      'bands',
    ],
  ],
  ...PEER_LIBS.map(
    ([lib]): RowTask => [
      `${lib}-write`,
      'python',
      PEERS,
      ['zarr-write', lib, raw, String(SIZE), join(out, `${lib}-peer.zarr`)],
    ],
  ),
  ['bfio-write', 'python', PEERS, ['zarr-write', 'bfio', raw, String(SIZE), join(out, 'bfio.ome.zarr')]],
]);
const verified = runTask('python', PEERS, ['zarr-verify', oursStore, raw, String(SIZE)]) as unknown as {
  equal: boolean;
};
if (!verified.equal) throw new Error('our store does not read back equal in zarr-python');
// Sharded (4096² shards of the same 1024² chunks): every writer gets whole shard rows, 4096-row bands (zarr-python's
// best case: it encodes a shard whole, and smaller bands make it read back and rewrite each shard; ours then
// hands each shard to a worker whole).
const shardedStore = join(out, 'ours-sharded.ome.zarr');
rmSync(shardedStore, { recursive: true, force: true });
runRow([
  [
    'ours-write-sharded',
    'node',
    ours,
    [
      'write',
      raw,
      String(SIZE),
      shardedStore,
      JSON.stringify({ compression: 'zstd', compressionLevel: 1, shards: [1, 1, 1, 4096, 4096] }),
      'bands',
      '4096',
    ],
  ],
  ...PEER_LIBS.map(
    ([lib]): RowTask => [
      `${lib}-write-sharded`,
      'python',
      PEERS,
      ['zarr-write', `${lib}-sharded`, raw, String(SIZE), join(out, `${lib}-peer-sharded.zarr`)],
    ],
  ),
]);
const shardedOk = runTask('python', PEERS, ['zarr-verify', shardedStore, raw, String(SIZE)]) as unknown as {
  equal: boolean;
};
if (!shardedOk.equal) throw new Error('our sharded store does not read back equal in zarr-python');
runRow([
  ['ours-read-sharded', 'node', ours, ['read', shardedStore]],
  ...PEER_LIBS.map(
    ([lib]): RowTask => [`${lib}-read-sharded`, 'python', PEERS, ['zarr-read', lib, shardedStore]],
  ),
]);
// Everyone reads the same store: ours (NGFF 0.5, v3, zstd-1), which bfio's zarr3 backend also reads.
runRow([
  ['ours-read', 'node', ours, ['read', oursStore]],
  ...PEER_LIBS.map(([lib]): RowTask => [`${lib}-read`, 'python', PEERS, ['zarr-read', lib, oursStore]]),
  ['bfio-read', 'python', PEERS, ['zarr-read', 'bfio', oursStore]],
]);
runRow([
  ['ours-windows', 'node', ours, ['windows', oursStore, windowsFile]],
  ...PEER_LIBS.map(
    ([lib]): RowTask => [`${lib}-windows`, 'python', PEERS, ['zarr-windows', lib, oursStore, windowsFile]],
  ),
  ['bfio-windows', 'python', PEERS, ['zarr-windows', 'bfio', oursStore, windowsFile]],
]);
for (const k of ['read', 'windows', 'read-sharded']) {
  for (const [lib, name] of PEER_LIBS) {
    if (results[`ours-${k}`]!.checksum !== results[`${lib}-${k}`]!.checksum)
      throw new Error(`${k}: our pixels differ from ${name}'s`);
  }
}

const r = (a: string, b: string) => (mbps(results[a]!) / mbps(results[b]!)).toFixed(2);
/** CPU seconds of the counted run's process over its timed part (every thread; the load moves it less than wall time). */
const cpuText = (name: string) => {
  const cpu = results[name]!.cpuSeconds as number | undefined;
  return typeof cpu === 'number' ? cpu.toFixed(2) : '—';
};
const row = (name: string, label: string) =>
  `| ${label} | ${mbps(results[name]!).toFixed(1)} | ${runsText(results[name]!)} | ${results[name]!.seconds.toFixed(2)} | ${cpuText(name)} | ${results[name]!.peakRssMiB.toFixed(0)} |`;
/** A task's rows: ours, then each peer (and bfio 2.5 where it ran). */
const rows = (task: string, label: string, withBfio: boolean) =>
  [
    row(`ours-${task}`, `${label}: ours`),
    ...PEER_LIBS.map(([lib, name]) => row(`${lib}-${task}`, `${label}: ${name}`)),
    ...(withBfio ? [row(`bfio-${task}`, `${label}: bfio 2.5 zarr3 backend`)] : []),
  ].join('\n');
/** Ours over the fastest peer on that task, and which peer that is. */
const best = (task: string) => {
  const [lib, name] = [...PEER_LIBS].sort(
    (a, b) => mbps(results[`${b[0]}-${task}`]!) - mbps(results[`${a[0]}-${task}`]!),
  )[0]!;
  return `${r(`ours-${task}`, `${lib}-${task}`)} (${name})`;
};
const md = `## Zarr (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`pnpm bench:zarr\` (BENCH_SIZE=${SIZE}). The TIFF bench's ${SIZE}×${SIZE} uint16 image as OME-Zarr 0.5 / Zarr v3,
chunks (1, 1, 1, 1024, 1024), zstd level 1. Every writer gets the image band by band (1024 rows, one write call per
band, as zarr-python's \`z[0, 0, 0, y:y+1024, :] = band\`; bfio 2.5's writer takes 1024² tiles); the peers write bare
arrays; reads use our store. Peers: zarr-python 3 with \`threading.max_workers\` 2, zarrs-python (zarr-python with
\`codec_pipeline.path = zarrs.ZarrsCodecPipeline\`, the same 2 threads), tensorstore with \`data_copy_concurrency\`
and \`file_io_concurrency\` limits 2 and no cache (bench/lib/zarr3d.py's set-up); ours \`maxWorkers\` 2 (the
machine's cores). Each task runs ${REPEAT} times, the tasks of a row interleaved (pass after pass, each pass starting with the next library), each run in its own process with its imports done
before its clock starts; the fastest run counts (all runs listed), as do its seconds, CPU seconds (every thread of
the process over the timed part; not measured for the windows) and peak RSS.

| task | MiB/s | runs (MiB/s) | seconds | CPU s | peak RSS MiB |
|---|---:|---:|---:|---:|---:|
${rows('write', 'write', true)}
${rows('read', 'full read', true)}
${rows('windows', '500 random 1024² windows', true)}
${rows('write-sharded', 'sharded write (4096² shards, 4096-row bands)', false)}
${rows('read-sharded', 'sharded full read', false)}

| ratio (ours / the fastest peer on the row) | value | target |
|---|---:|---:|
| write | ${best('write')} | ≥ 1.0 |
| full read | ${best('read')} | ≥ 1.0 |
| 500 windows | ${best('windows')} | ≥ 1.0 |
| sharded write | ${best('write-sharded')} | ≥ 1.0 |
| sharded full read | ${best('read-sharded')} | ≥ 1.0 |
| write: ours / bfio | ${r('ours-write', 'bfio-write')} | ≥ 1.5 |
| read: ours / bfio | ${r('ours-read', 'bfio-read')} | ≥ 1.5 |
| write peak RSS (MiB): ours; sharded | ${results['ours-write']!.peakRssMiB.toFixed(0)}; ${results['ours-write-sharded']!.peakRssMiB.toFixed(0)} | ≤ 512 |

Pixels checked: our stores (chunked and sharded) read back equal in zarr-python; our full reads and windows match
every peer's checksums.
`;
writeResults('zarr', md);
console.log(md);
