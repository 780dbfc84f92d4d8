/**
 * 3-D Zarr benchmark (issue 14), in the spirit of LDeakin/zarr_benchmarks: a SIZE³ uint16 microscopy-like
 * volume (blurred blobs over a dark background plus noise, deterministic) as three Zarr v3 stores written by
 * zarr-python — (a) uncompressed 256³ chunks, (b) zstd level 1 256³ chunks, (c) zstd level 1 256³ shards of
 * 64³ inner chunks — read whole, read chunk by chunk (8 in flight), read inner chunk by inner chunk (64³,
 * 8 in flight) and read-then-rewritten into a new store of the same layout; ours (BioReader/BioWriter,
 * maxWorkers 2) against zarr-python 3, zarrs-python and tensorstore, each with 2 threads, each task in its own
 * process, each run REPEAT times (interleaved); ceilings (page cache, memcpy, libzstd) in the same run.
 *
 *   pnpm bench:zarr3d      (BENCH_3D_SIZE=512 for development; BENCH_3D_REPEAT, default 2)
 */
import { execSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { TaskResult } from './lib/report.js';
import { mbps, ROOT, runTask, writeResults } from './lib/run.js';

const SIZE = Number(process.env.BENCH_3D_SIZE ?? 1024);
const REPEAT = Number(process.env.BENCH_3D_REPEAT ?? 2);
const dir = join(ROOT, 'bench', 'out', `3d-${SIZE}`);
mkdirSync(dir, { recursive: true });
const PEERS3D = join(ROOT, 'bench', 'lib', 'zarr3d.py');
const OURS = join(ROOT, 'bench', 'tasks', 'zarr3d-task.ts');
const CEILING = join(ROOT, 'bench', 'tasks', 'zarr3d-ceiling.ts');
if (!existsSync(join(dir, 'info.json'))) {
  console.error(`generating the ${SIZE}³ stores ...`);
  runTask('python', PEERS3D, ['gen', String(SIZE), dir]);
}
const info = JSON.parse(readFileSync(join(dir, 'info.json'), 'utf8')) as {
  total: number;
  sample: number;
  bytes: number;
  stored: Record<string, number>;
};
const store = (name: string) => join(dir, `${name}.zarr`);
const LIBS = ['ours', 'zarr', 'zarrs', 'tensorstore'] as const;
type Lib = (typeof LIBS)[number];
const LABEL: Record<Lib, string> = {
  ours: 'ours',
  zarr: 'zarr-python 3',
  zarrs: 'zarrs-python',
  tensorstore: 'tensorstore',
};
const LAYOUT: Record<string, { chunk: number; inner?: number; zstd: boolean }> = {
  raw: { chunk: 256, zstd: false },
  zstd: { chunk: 256, zstd: true },
  sharded: { chunk: 256, inner: 64, zstd: true },
};

interface Row {
  key: string;
  label: string;
  store: string;
  /** Arguments after the library: ours and the peers take the same. */
  args: (lib: Lib) => { task: string; rest: string[]; env?: Record<string, string> };
  after?: (lib: Lib) => void;
  /**
   * The row's blocks read our other ways too, each an extra line under the row's against its fastest peer:
   * `blocks` through `BioReader.blocks`, `out` one `read` per block into a reused array per loop.
   */
  variants?: { key: 'blocks' | 'out'; args: string[] }[];
}

/** The row's blocks (edge, in flight) through `BioReader.blocks` and into reused `out` arrays. */
const variantsOf = (s: string, edge: number, iterate: boolean): Row['variants'] => [
  ...(iterate ? [{ key: 'blocks' as const, args: ['iterate', store(s), String(edge)] }] : []),
  { key: 'out' as const, args: ['blocks-out', store(s), String(edge), '8'] },
];
/** How each variant's line is labelled. */
const VARIANT_LABEL = { blocks: 'ours, `BioReader.blocks`', out: 'ours, `read` into reused `out`' };

const rows: Row[] = [];
for (const s of ['raw', 'zstd', 'sharded']) {
  rows.push({
    key: `read-${s}`,
    label: `read all, ${s}`,
    store: s,
    args: () => ({ task: 'read', rest: [store(s)] }),
  });
}
for (const s of ['raw', 'zstd', 'sharded']) {
  rows.push({
    key: `chunks-${s}`,
    label: `256³ ${s === 'sharded' ? 'shards' : 'chunks'} one by one (8 in flight), ${s}`,
    store: s,
    args: () => ({ task: 'blocks', rest: [store(s), '256', '8'] }),
    variants: variantsOf(s, 256, s !== 'raw'),
  });
}
rows.push({
  key: 'inner-sharded',
  label: '64³ inner chunks one by one (8 in flight), sharded',
  store: 'sharded',
  args: () => ({ task: 'blocks', rest: [store('sharded'), '64', '8'] }),
  variants: variantsOf('sharded', 64, true),
});
const verified: string[] = [];
for (const s of ['raw', 'zstd', 'sharded']) {
  const out = (lib: Lib) => join(dir, `roundtrip-${s}-${lib}.zarr`);
  rows.push({
    key: `roundtrip-${s}`,
    label: `read + rewrite (same layout), ${s}`,
    store: s,
    args: (lib) => ({
      task: 'roundtrip',
      rest: [store(s), out(lib)],
      env: { ZARR3D_LAYOUT: JSON.stringify(LAYOUT[s]) },
    }),
    // The written store must read back (in zarr-python) as the source, then it is removed.
    after: (lib) => {
      const v = runTask('python', PEERS3D, ['verify', out(lib)]) as unknown as {
        sample: number;
        total: number;
      };
      if (v.sample !== info.sample || v.total !== info.total)
        throw new Error(`roundtrip-${s} by ${lib}: the written store does not read back equal`);
      verified.push(`${s}/${lib}`);
      rmSync(out(lib), { recursive: true, force: true });
    },
  });
}

/**
 * Writes and removes a file as large as a round trip's output before each round trip. Writing 2 GiB of new
 * files is fast when memory freed a moment ago is there to take (page cache of a store just removed) and 2–3×
 * slower in kernel time when it is not (this VM hands freed memory back to its host): without this, whichever
 * library ran first after the read rows paid it (ours 4.9–5.3 s first in a pass, 1.7 s after another's
 * round trip; zarrs-python 2.0–2.3 s, never first).
 */
function levelPageCache(): void {
  const file = join(dir, 'level.tmp');
  const block = Buffer.alloc(32 * 2 ** 20, 1);
  const fd = openSync(file, 'w');
  for (let i = 0; i < info.bytes / block.length; i++) writeSync(fd, block);
  closeSync(fd);
  rmSync(file, { force: true });
  execSync('sync');
}

const load = () => execSync('cat /proc/loadavg', { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
// Every result is saved as it comes (a long run cut short still renders what it has: BENCH_3D_RENDER=1).
const saved = join(dir, 'results.json');
const state = (
  process.env.BENCH_3D_RENDER && existsSync(saved)
    ? JSON.parse(readFileSync(saved, 'utf8'))
    : { loads: [], results: {}, ceilings: [], verified: [] }
) as {
  loads: string[];
  results: Record<string, TaskResult[]>;
  ceilings: Array<Record<string, number>>;
  verified: string[];
};
const { loads, results, ceilings } = state;
verified.push(...state.verified);
state.verified = verified;
const save = () => writeFileSync(saved, JSON.stringify(state));
const only = process.env.BENCH_3D_ONLY?.split(',');
for (let r = 0; r < (process.env.BENCH_3D_RENDER ? 0 : REPEAT); r++) {
  loads.push(load());
  console.error(`pass ${r + 1}/${REPEAT}, load ${loads.at(-1)}`);
  ceilings.push(runTask('node', CEILING, [store('raw'), store('zstd')]) as unknown as Record<string, number>);
  save();
  for (const row of rows) {
    if (only && !only.some((o) => row.key.startsWith(o))) continue;
    // Each pass starts the row with the next library (no library always runs right after another's writes),
    // and every task starts with nothing dirty in the page cache: writing 2 GiB of new files costs the
    // writer 1.5–7 s of kernel time depending on the write-back still running for whoever wrote before it
    // (measured: our raw round trip 1.56–7.4 s, zarrs-python's 3.8–10.5 s, back to back).
    for (const lib of [...LIBS.slice(r % LIBS.length), ...LIBS.slice(0, r % LIBS.length)]) {
      const { task, rest, env } = row.args(lib);
      Object.assign(process.env, env ?? {});
      execSync('sync');
      if (row.key.startsWith('roundtrip')) levelPageCache();
      const res =
        lib === 'ours'
          ? runTask('node', OURS, [task, ...rest])
          : runTask('python', PEERS3D, [task, lib, ...rest]);
      if (res.sample !== info.sample)
        throw new Error(`${row.key} by ${lib}: sample checksum ${res.sample}, expected ${info.sample}`);
      if (res.total !== undefined && res.total !== info.total)
        throw new Error(`${row.key} by ${lib}: total checksum ${res.total}, expected ${info.total}`);
      const list = results[`${row.key}/${lib}`] ?? [];
      list.push(res);
      results[`${row.key}/${lib}`] = list;
      save();
      console.error(
        `  ${row.key} ${lib}: ${mbps(res).toFixed(0)} MiB/s, ${res.seconds.toFixed(2)} s, ${res.peakRssMiB.toFixed(0)} MiB`,
      );
      row.after?.(lib);
    }
    for (const v of row.variants ?? []) {
      execSync('sync');
      const res = runTask('node', OURS, v.args);
      if (res.sample !== info.sample)
        throw new Error(
          `${row.key} by ${VARIANT_LABEL[v.key]}: sample checksum ${res.sample}, expected ${info.sample}`,
        );
      const list = results[`${row.key}/${v.key}`] ?? [];
      list.push(res);
      results[`${row.key}/${v.key}`] = list;
      save();
      console.error(
        `  ${row.key} ours (${v.key}): ${mbps(res).toFixed(0)} MiB/s, ${res.seconds.toFixed(2)} s`,
      );
    }
  }
}
if (!process.env.BENCH_3D_RENDER) loads.push(load());
save();

/** The best of the runs (least time) and every run's MiB/s. */
const best = (key: string) => {
  const list = results[key] ?? [];
  const b = list.reduce((a, x) => (x.seconds < a.seconds ? x : a), list[0]!);
  return { best: b, all: list.map((x) => mbps(x)) };
};
const ceiling = (k: string) => Math.max(...ceilings.map((c) => c[k] as number));
const C = {
  read: ceiling('readMiBps'),
  write: ceiling('writeMiBps'),
  memcpy: ceiling('memcpyMiBps'),
  decode: ceiling('zstdDecodeMiBps'),
  encode: ceiling('zstdEncodeMiBps'),
};
// What each row cannot beat: page-cache reads for the raw store, libzstd decoding for the zstd stores, and for
// a round trip both directions one after another on the same 2 lanes (harmonic sum).
const harmonic = (a: number, b: number) => 1 / (1 / a + 1 / b);
const ceilingOf = (row: Row): [number, string] => {
  const rt = row.key.startsWith('roundtrip');
  if (row.store === 'raw')
    return rt ? [harmonic(C.read, C.write), 'page-cache read + write'] : [C.read, 'page-cache read'];
  return rt ? [harmonic(C.decode, C.encode), 'zstd decode + encode'] : [C.decode, 'zstd decode'];
};

const f1 = (x: number) => x.toFixed(0);
const cpuOf = (r: TaskResult) => (typeof r.cpuSeconds === 'number' ? r.cpuSeconds.toFixed(2) : '');
const lines: string[] = [];
for (const row of rows) {
  if (!LIBS.every((lib) => results[`${row.key}/${lib}`])) continue;
  const ours = best(`${row.key}/ours`);
  const [cap, capName] = ceilingOf(row);
  for (const lib of LIBS) {
    const b = best(`${row.key}/${lib}`);
    const ratio =
      lib === 'ours'
        ? `${(mbps(ours.best) / cap).toFixed(2)} of ${capName}`
        : (mbps(ours.best) / mbps(b.best)).toFixed(2);
    lines.push(
      `| ${lib === 'ours' ? row.label : ''} | ${LABEL[lib]} | ${f1(mbps(b.best))} | ${b.all.map(f1).join(' / ')} | ${b.best.seconds.toFixed(2)} | ${cpuOf(b.best)} | ${b.best.peakRssMiB.toFixed(0)} | ${ratio} |`,
    );
  }
  for (const v of row.variants ?? []) {
    if (!results[`${row.key}/${v.key}`]) continue;
    // The same blocks read another of our ways, against the fastest peer of the row.
    const it = best(`${row.key}/${v.key}`);
    const peers = LIBS.filter((l) => l !== 'ours').map((l) => ({ l, b: best(`${row.key}/${l}`).best }));
    const top = peers.reduce((a, p) => (p.b.seconds < a.b.seconds ? p : a), peers[0]!);
    lines.push(
      `|  | ${VARIANT_LABEL[v.key]} | ${f1(mbps(it.best))} | ${it.all.map(f1).join(' / ')} | ${it.best.seconds.toFixed(2)} | ${cpuOf(it.best)} | ${it.best.peakRssMiB.toFixed(0)} | ${(mbps(it.best) / mbps(top.b)).toFixed(2)} against ${LABEL[top.l]} (${(mbps(it.best) / cap).toFixed(2)} of ${capName}) |`,
    );
  }
}
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const md = `## 3-D Zarr (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`pnpm bench:zarr3d\` (BENCH_3D_SIZE=${SIZE}, ${REPEAT} passes${Math.min(...Object.values(results).map((l) => l.length)) < REPEAT ? '; some rows have fewer: see the passes column' : ''}). A ${SIZE}³ uint16 volume (${mib(info.bytes)} MiB; blurred
blobs over a dark background plus noise, deterministic), three bare Zarr v3 arrays (dims z, y, x) written by zarr-python:
raw = uncompressed 256³ chunks (${mib(info.stored.raw!)} MiB stored), zstd = zstd level 1 256³ chunks (${mib(info.stored.zstd!)} MiB,
ratio ${(info.bytes / info.stored.zstd!).toFixed(2)}), sharded = zstd level 1 256³ shards of 64³ chunks (${mib(info.stored.sharded!)} MiB). Every task is its own
process; times include opening the store. Ours: BioReader/BioWriter with \`maxWorkers: 2\`; zarr-python 3.1.6 with
\`threading.max_workers\` 2; zarrs-python 0.2.3 (\`codec_pipeline.path = zarrs.ZarrsCodecPipeline\`, the same
\`threading.max_workers\` 2 sizes its thread pool); tensorstore 0.1.86 with \`data_copy_concurrency\` and
\`file_io_concurrency\` limits 2, no cache pool. "One by one, 8 in flight": 8 reads of one block each outstanding
(peers: a thread pool of 8 / 8 tensorstore futures), each result consumed as it arrives. "ours, \`BioReader.blocks\`":
the same blocks through our block iterator (read ahead in batches of up to 32 MiB into reused memory, a batch of
a shard's chunks read and decoded by one worker task; each block is consumed before the next is asked for),
against the row's fastest peer doing the row's loop. "ours, \`read\` into reused \`out\`": the row's loop, each of
its 8 loops reading into one array of its own (\`ReadOptions.out\`) instead of a fresh result per read. Round trip: each 256³
chunk (shard) read and written into a new store with the source's chunks, shards and codec (4 blocks in flight, so
that memory stays bounded); ours
writes an OME-Zarr 0.5 image (5-D, same chunking), the peers a bare array; every written store is read back by
zarr-python and must equal the source. MiB/s of voxels, best of the passes (all passes listed); CPU seconds (every
thread of the process, over the timed part: less sensitive to other jobs than the wall time) and peak RSS of the
best pass. Load average (1, 5, 15 min) at each pass and at the end: ${loads.join('; ')} (a 2-core machine shared
with other jobs).

| task | reader | MiB/s | passes | seconds | CPU s | peak RSS MiB | ours / this (ours: of ceiling) |
|---|---|---:|---:|---:|---:|---:|---:|
${lines.join('\n')}

Ceilings (2 lanes = 2 worker threads, best of the passes: ${ceilings.map((c) => `${f1(c.readMiBps!)}/${f1(c.writeMiBps!)}/${f1(c.memcpyMiBps!)}/${f1(c.zstdDecodeMiBps!)}/${f1(c.zstdEncodeMiBps!)}`).join(', ')}):

| ceiling | MiB/s |
|---|---:|
| page-cache read: the raw store's chunk files read into a reused buffer | ${f1(C.read)} |
| page-cache write: the same bytes written as new files | ${f1(C.write)} |
| memcpy: a 32 MiB buffer copied into another | ${f1(C.memcpy)} |
| libzstd decode (zstd-napi) of the zstd store's chunks into a reused buffer | ${f1(C.decode)} |
| libzstd encode, level 1, of the same chunks | ${f1(C.encode)} |

Pixels checked: every task's sample checksum (voxels at multiples of (13, 11, 7)) equals the generator's, read-all
also the sum of all voxels; round-trip stores verified (${verified.length} of them).
`;
if (!only) writeResults('zarr3d', md);
console.log(md);
