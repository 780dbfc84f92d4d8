/**
 * Repeated full reads in one process (issue 14: the second within 10 % of the first): channel 0 of the
 * 32768² × 3-channel OME-TIFF of the convert bench (2 GiB of uint16 pixels, 1024² Deflate tiles) read whole
 * BENCH_REPEAT_TIMES times (default 3) by one BioReader, each result dropped before the next read
 * (`tasks/repeat-task.ts`, in its own process). Per read: seconds, MiB/s, the CPU time of all threads, GC
 * time, minor page faults, RSS after it.
 *
 *   tsx bench/repeat.ts      (after pnpm bench:convert or tasks/gen-large.ts, which write the file)
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT, runTask, writeResults } from './lib/run.js';

const file = join(ROOT, 'bench', 'out', process.env.BENCH_REPEAT_FILE ?? 'large-32768x3.ome.tif');
if (!existsSync(file))
  throw new Error(`${file} is missing: run pnpm bench:convert (or tasks/gen-large.ts) first`);
const times = Number(process.env.BENCH_REPEAT_TIMES ?? 3);
const runs = Number(process.env.BENCH_REPEAT_RUNS ?? 2);

type Read = {
  seconds: number;
  mibps: number;
  userS: number;
  systemS: number;
  gcMs: number;
  minorFaults: number;
  rssMiB: number;
  checksum: number;
};
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const rows: string[] = [];
const ratios: string[] = [];
for (let run = 1; run <= runs; run++) {
  const load = loadavg();
  console.error(`run ${run} (load ${load}) ...`);
  const r = runTask('node', join(ROOT, 'bench', 'tasks', 'repeat-task.ts'), [file, String(times), '0']);
  const reads = r.reads as Read[];
  if (new Set(reads.map((x) => x.checksum)).size !== 1) throw new Error('the reads differ in their pixels');
  reads.forEach((x, i) => {
    rows.push(
      `| ${run} (load ${load}) | ${i + 1} | ${x.seconds.toFixed(2)} | ${x.mibps.toFixed(0)} | ${x.userS.toFixed(1)} + ${x.systemS.toFixed(1)} | ${x.gcMs.toFixed(0)} | ${(x.minorFaults / 1000).toFixed(0)}k | ${x.rssMiB.toFixed(0)} |`,
    );
  });
  const first = reads[0]!;
  ratios.push(
    `| ${run} | ${reads
      .slice(1)
      .map((x) => (x.seconds / first.seconds).toFixed(2))
      .join(' / ')} | ${reads
      .slice(1)
      .map((x) => ((x.userS + x.systemS) / (first.userS + first.systemS)).toFixed(2))
      .join(' / ')} |`,
  );
}

const md = `## Repeated full reads in one process (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`tsx bench/repeat.ts\` (BENCH_REPEAT_TIMES=${times}, ${runs} runs). Channel 0 of the convert bench's
32768² × 3-channel OME-TIFF (2 GiB of uint16 pixels, 1024² Deflate tiles) read whole ${times} times by one
BioReader, each result dropped before the next read. CPU = user + system seconds of all threads (steadier than
wall time on this shared machine: the load average is written beside each run).

| run | read | seconds | MiB/s | CPU s (user + system) | GC ms | minor faults | RSS after, MiB |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

| run | later read / first: wall | later read / first: CPU |
|---|---:|---:|
${ratios.join('\n')}

Before the fix (core's \`shared-outputs.ts\`, 2026-12-07, load ~11, 4 reads): RSS after each read 2,176 /
4,224 / 6,262 / 8,310 MiB — no dropped result was ever freed, because V8 counts no SharedArrayBuffer as memory
it must collect for — and the system CPU of a read 1.5 / 1.5 / 2.9 / 3.5 s as the kernel made room; when V8
did collect for its own reasons in the middle of a read, freeing 2 GiB there took a 0.9–1.9 s main-thread
pause (\`finish.sweep_array_buffers\` in --trace-gc-nvp), while no block was dispatched.
`;
writeResults('repeat', md);
console.log(md);
