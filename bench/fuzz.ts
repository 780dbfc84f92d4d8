/**
 * The long fuzz run (issue 15): FUZZ_INPUTS (default 10,000) mutated inputs per format (TIFF, OME-XML,
 * Zarr v2, Zarr v3 with sharding) and FUZZ_HTTP_INPUTS (default 1,000) fault plans against the
 * misbehaving HTTP server, each in a capped child process (15 s of CPU, 60 s wall, 2 GiB). Prints the
 * outcome table and writes it, with every failure, to bench/out/fuzz-<seed>.json; failing inputs are kept under
 * bench/out/fuzz-failures/ for `tsx apps/fuzz/src/cli.ts replay <dir>`.
 *
 *   pnpm bench:fuzz            (FUZZ_INPUTS=1000 for a quick run; FUZZ_SEED, FUZZ_RUNNERS, FUZZ_FORMATS)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { failureCount, formatTable, runSuite } from '../apps/fuzz/src/index.js';
import { ROOT } from './lib/run.js';

const inputs = Number(process.env.FUZZ_INPUTS ?? 10_000);
const httpInputs = Number(process.env.FUZZ_HTTP_INPUTS ?? 1_000);
const seed = Number(process.env.FUZZ_SEED ?? 15);
const runners = Number(process.env.FUZZ_RUNNERS ?? 2);
/** A subset of tiff,ome-xml,zarr2,zarr3,http (default all), to split a run over processes. */
const formats = (process.env.FUZZ_FORMATS ?? 'tiff,ome-xml,zarr2,zarr3,http').split(',');
const pick = (format: string, n: number) => (formats.includes(format) ? n : 0);
const out = join(ROOT, 'bench', 'out');
const failuresDir = join(out, 'fuzz-failures');
for (const f of formats) rmSync(join(failuresDir, f), { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const started = new Date();
let last = 0;
const reports = await runSuite({
  counts: {
    tiff: pick('tiff', inputs),
    'ome-xml': pick('ome-xml', inputs),
    zarr2: pick('zarr2', inputs),
    zarr3: pick('zarr3', inputs),
    http: pick('http', httpInputs),
  },
  baseSeed: seed,
  failuresDir,
  runners,
  onProgress: (format, done, of) => {
    if (Date.now() - last < 30_000 && done < of) return;
    last = Date.now();
    console.log(`${new Date().toISOString().slice(11, 19)} ${format} ${done}/${of}`);
  },
});
const table = formatTable(reports);
console.log(`\nfuzz, seed ${seed}, ${runners} runner(s)\n${table}`);
const failures = reports.reduce((n, r) => n + failureCount(r.counts), 0);
const file = join(out, `fuzz-${seed}${process.env.FUZZ_FORMATS ? `-${formats.join('+')}` : ''}.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      started: started.toISOString(),
      finished: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) },
      node: process.version,
      seed,
      runners,
      caps: { cpuMs: 15_000, wallMs: 60_000, maxRssBytes: 2 * 2 ** 30 },
      reports,
    },
    null,
    2,
  )}\n`,
);
console.log(`${failures} failure(s); written ${file}`);
process.exitCode = failures ? 1 : 0;
