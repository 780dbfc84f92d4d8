/**
 * Bounded-memory conversion (issue: CLI, acceptance 5): `bfio convert` of a SIZE × SIZE × 3-channel uint16
 * OME-TIFF (generated here, never committed) to tiled OME-TIFF and to OME-Zarr; peak RSS must stay ≤ 512 MiB.
 *
 *   pnpm bench:convert          (BENCH_CONVERT_SIZE=32768 by default; ~6 GiB of pixels)
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { mbps, PEERS, ROOT, runTask, writeResults } from './lib/run.js';

const SIZE = Number(process.env.BENCH_CONVERT_SIZE ?? 32768);
const out = join(ROOT, 'bench', 'out');
mkdirSync(out, { recursive: true });
const src = join(out, `large-${SIZE}x3.ome.tif`);
const tasks = join(ROOT, 'bench', 'tasks');
if (!existsSync(src)) {
  console.error(`generating ${src} ...`);
  const g = runTask('node', join(tasks, 'gen-large.ts'), [src, String(SIZE), '3']);
  console.error(`  ${g.seconds.toFixed(0)} s, peak RSS ${g.peakRssMiB.toFixed(0)} MiB`);
}
const rows: string[] = [];
for (const [label, target, extra] of [
  ['→ OME-TIFF (deflate)', join(out, 'large-out.ome.tif'), []],
  ['→ OME-Zarr 0.5 (zstd)', join(out, 'large-out.ome.zarr'), []],
] as const) {
  console.error(`converting ${label} ...`);
  const r = runTask('node', join(tasks, 'cli-task.ts'), ['convert', src, target, '--overwrite', ...extra]);
  console.error(`  ${mbps(r).toFixed(1)} MiB/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
  // The TIFF's compression ratio (pixels / file bytes); a store's is left out (many files). Its pixels, tile
  // by tile as tifffile decodes them, must equal the source's.
  const tiff = target.endsWith('.tif');
  const ratio = tiff ? (SIZE * SIZE * 3 * 2) / statSync(target).size : undefined;
  if (tiff) {
    const v = runTask('python', PEERS, ['verify-tiles', target, src]) as unknown as { equal: boolean };
    if (!v.equal) throw new Error(`${target}: pixels differ from the source's in tifffile`);
  }
  const load = loadavg()[0]!.toFixed(1);
  rows.push(
    `| ${label} | ${mbps(r).toFixed(1)} | ${r.seconds.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} | ${r.peakRssMiB <= 512 ? 'yes' : 'NO'} | ${ratio ? ratio.toFixed(3) : '—'} | ${(r.bytes / 2 ** 20 / (r.cpuSeconds as number)).toFixed(0)} | ${load} |`,
  );
  rmSync(target, { recursive: true, force: true });
}
const md = `## Bounded-memory conversion (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores)

Command: \`pnpm bench:convert\` (BENCH_CONVERT_SIZE=${SIZE}). \`bfio convert\` of a ${SIZE}×${SIZE}×3-channel uint16 OME-TIFF
(${((SIZE * SIZE * 3 * 2) / 2 ** 30).toFixed(1)} GiB of pixels, 1024 tiles, Deflate), default options. The OME-TIFF output's
tiles decode in tifffile to the source's pixels (checked tile by tile in every run).

| conversion | MiB/s | seconds | peak RSS MiB | ≤ 512 MiB | compression ratio | MiB per CPU-s | load (1 min) after |
|---|---:|---:|---:|---|---:|---:|---:|
${rows.join('\n')}
`;
writeResults('convert', md);
console.log(md);
