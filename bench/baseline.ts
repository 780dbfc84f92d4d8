/**
 * Before/after benchmark of a refactor (issue 11, acceptance 1: the Node benches within 5 % of the baseline
 * recorded before the codec layer moved): our own tasks of bench:tiff, bench:zarr and bench/pool.ts, run
 * from two checkouts — the baseline commit and this one — alternately in one run, on the same inputs, each
 * task in its own process. The baseline checkout (`BASELINE_DIR`, default /tmp/base) needs its own
 * `pnpm install`; its bench/out may be a link to this one's (inputs are shared, outputs are rewritten).
 *
 *   BASELINE_DIR=/tmp/base node_modules/.bin/tsx bench/baseline.ts   (BENCH_SIZE=16384, BENCH_REPEAT=3)
 *
 * BASELINE_ONLY=<regex> runs only the tasks whose label matches (printed, not written to RESULTS.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { TaskResult } from './lib/report.js';
import { mbps, ROOT, writeResults } from './lib/run.js';

const BASE = process.env.BASELINE_DIR ?? '/tmp/base';
const SIZE = Number(process.env.BENCH_SIZE ?? 16384);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const ONLY = process.env.BASELINE_ONLY ? new RegExp(process.env.BASELINE_ONLY) : undefined;
const out = join(ROOT, 'bench', 'out');
const raw = join(out, `src-${SIZE}.u16`);
const tif = join(out, `src-${SIZE}.ome.tif`);
const windows = join(out, 'windows.json');
for (const f of [raw, tif, windows])
  if (!existsSync(f)) throw new Error(`${f} is missing: run BENCH_SIZE=${SIZE} pnpm bench:tiff first`);
if (!existsSync(join(BASE, 'node_modules', '.bin', 'tsx')))
  throw new Error(`${BASE} is not an installed checkout of the baseline commit (git clone; pnpm install)`);

const git = (dir: string) =>
  spawnSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).stdout.trim();
const TREES = { baseline: BASE, head: ROOT } as const;
type Tree = keyof typeof TREES;

const zstd = JSON.stringify({ compression: 'zstd', compressionLevel: 1 });
const sharded = JSON.stringify({ compression: 'zstd', compressionLevel: 1, shards: [1, 1, 1, 4096, 4096] });
const store = (tree: Tree, name: string) => join(out, `baseline-${tree}-${name}.ome.zarr`);

/** Each task: a label and, per tree, the io-task.ts arguments (outputs per tree, so reads use each tree's). */
const ALL_TASKS: Array<{ label: string; args: (tree: Tree) => string[]; script?: string }> = [
  { label: 'TIFF full read (Deflate, 1024² tiles)', args: () => ['read', tif] },
  { label: 'TIFF 500 random 1024² windows', args: () => ['windows', tif, windows] },
  {
    label: 'TIFF tile-by-tile write (Deflate-1)',
    args: (t) => ['write', raw, String(SIZE), join(out, `baseline-${t}.ome.tif`)],
  },
  {
    label: 'Zarr write (zstd-1, bands)',
    args: (t) => ['write', raw, String(SIZE), store(t, 'z'), zstd, 'bands'],
  },
  { label: 'Zarr full read', args: (t) => ['read', store(t, 'z')] },
  { label: 'Zarr 500 random windows', args: (t) => ['windows', store(t, 'z'), windows] },
  {
    label: 'Zarr sharded write (4096² shards)',
    args: (t) => ['write', raw, String(SIZE), store(t, 's'), sharded, 'bands'],
  },
  { label: 'Zarr sharded full read', args: (t) => ['read', store(t, 's')] },
  {
    label: 'TIFF full read, 2 workers, shared output (bench/pool.ts)',
    script: 'pool-task.ts',
    args: () => ['read', tif, '2', 'workers', 'shared'],
  },
];

const TASKS = ONLY ? ALL_TASKS.filter((t) => ONLY.test(t.label)) : ALL_TASKS;

function run(tree: Tree, script: string, args: string[]): TaskResult {
  const dir = TREES[tree];
  const r = spawnSync(
    join(dir, 'node_modules', '.bin', 'tsx'),
    [join(dir, 'bench', 'tasks', script), ...args],
    {
      encoding: 'utf8',
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.status !== 0)
    throw new Error(`${tree} ${script} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TaskResult;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const speeds: Record<string, Record<Tree, number[]>> = {};
const rss: Record<string, Record<Tree, number[]>> = {};
const checks: Record<string, Record<Tree, string | undefined>> = {};
const loads: number[] = [];
for (let rep = 0; rep < REPEAT; rep++) {
  loads.push(loadavg()[0]!);
  for (const task of TASKS) {
    // Alternate which tree goes first, so neither always runs on a warmer page cache.
    const order: Tree[] = rep % 2 === 0 ? ['baseline', 'head'] : ['head', 'baseline'];
    for (const tree of order) {
      if (task.label.includes('write') && task.args(tree)[0] === 'write') {
        rmSync(task.args(tree)[3]!, { recursive: true, force: true });
      }
      const r = run(tree, task.script ?? 'io-task.ts', task.args(tree));
      speeds[task.label] ??= { baseline: [], head: [] };
      rss[task.label] ??= { baseline: [], head: [] };
      checks[task.label] ??= { baseline: undefined, head: undefined };
      speeds[task.label]![tree].push(mbps(r));
      rss[task.label]![tree].push(r.peakRssMiB);
      checks[task.label]![tree] = (r as { checksum?: string }).checksum;
      console.error(`run ${rep + 1} ${tree.padEnd(8)} ${task.label}: ${mbps(r).toFixed(1)} MiB/s`);
    }
  }
}
for (const t of ['baseline', 'head'] as const) {
  rmSync(join(out, `baseline-${t}.ome.tif`), { force: true });
  for (const n of ['z', 's']) rmSync(store(t, n), { recursive: true, force: true });
}

const rows = TASKS.map(({ label }) => {
  const b = median(speeds[label]!.baseline);
  const h = median(speeds[label]!.head);
  const same = checks[label]!.baseline === checks[label]!.head ? '' : ' (pixels differ!)';
  const ratio = h / b;
  const verdict = ratio >= 0.95 ? 'within 5 % or better' : 'SLOWER';
  return `| ${label} | ${b.toFixed(1)} | ${h.toFixed(1)} | ${ratio.toFixed(3)} | ${median(rss[label]!.baseline).toFixed(0)} / ${median(rss[label]!.head).toFixed(0)} | ${verdict}${same} |`;
});
const md = `## Codec layer before/after (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`BASELINE_DIR=… tsx bench/baseline.ts\` (BENCH_SIZE=${SIZE}, ${REPEAT} alternating repetitions, medians;
1-minute load at the start of each: ${loads.map((l) => l.toFixed(2)).join(', ')}). Baseline: \`${git(BASE)}\`;
head: \`${git(ROOT)}\`. Our own tasks of bench:tiff, bench:zarr and bench/pool.ts, each in its own process,
from each checkout, on the same inputs. Reads report checksums; a difference is flagged.

| task | baseline MiB/s | head MiB/s | head / baseline | peak RSS MiB (baseline / head) | |
|---|---:|---:|---:|---:|---|
${rows.join('\n')}
`;
// A partial run (BASELINE_ONLY) must not replace the full block.
if (!ONLY) writeResults('baseline', md);
console.log(md);
