/**
 * Browser benchmark (issue 11, acceptance 3): in headless Chromium (Debian's, through playwright-core), full
 * reads of the 16384² uint16 bench image over loopback HTTP (CORS Range requests to another origin), in one
 * page, alternating, 3 timed repetitions each (median):
 *   (a) OME-TIFF, Deflate, 1024² tiles (bench/tiff.ts's file): BioReader + @bfio/tiff vs geotiff.js + Pool;
 *   (b) OME-Zarr 0.5, zstd, 1024² chunks (bench/zarr.ts's store): BioReader + @bfio/zarr vs zarrita.js.
 * Each read records the main thread's long tasks (PerformanceObserver) and its longest event-loop gaps.
 * Pixels: a first, untimed round hashes every reader's full array, which must equal what tifffile and
 * zarr-python read (checksum.py); every timed read's sampled sum is checked too. Once cross-origin isolated
 * (COOP/COEP: SharedArrayBuffer exists) and once not. Plus the gzip sizes of a production bundle of core,
 * tiff and zarr (bundle-size.ts).
 *
 *   pnpm bench:browser          (BENCH_RUNS=2 full measurements by default, each reported; BENCH_REPS=1
 *                               for a quick look, which does not touch RESULTS.md)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { bundlePage } from '../../test-support/browser/bundle.js';
import { runInPage } from '../../test-support/browser/page.js';
import { CHROMIUM_BIN } from '../../test-support/env.js';
import { runPythonJson } from '../../test-support/python.js';
import { PEERS, ROOT, runTask, writeResults } from '../lib/run.js';
import { type BundleFile, measureBundle } from './bundle-size.js';
import type { ReaderName, ReadResult } from './page.js';
import { cpuByThread, OUT, openBenchPage, SIZE, TIFF_NAME, ZARR_NAME } from './session.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const RAW = join(OUT, `src-${SIZE}.u16`);
const TIFF = join(OUT, TIFF_NAME);
const ZARR = join(OUT, ZARR_NAME);
const READERS: ReaderName[] = ['ours-tiff', 'geotiff', 'ours-zarr', 'zarrita'];
/** The page's main thread in session.ts's cpuByThread (the renderer's thread named after the binary). */
const MAIN_THREAD = 'renderer / chromium';

/** The bench's inputs, made as bench/tiff.ts and bench/zarr.ts make them when missing. */
function ensureInputs(): void {
  if (!existsSync(RAW) || !existsSync(TIFF)) {
    console.error(`generating the ${SIZE}² source (bench/lib/peers.py gen) ...`);
    runTask('python', PEERS, ['gen', String(SIZE), RAW, TIFF]);
  }
  if (!existsSync(join(ZARR, 'zarr.json'))) {
    console.error(`writing ${ZARR} (zstd-1, 1024² chunks) as bench/zarr.ts writes ours.ome.zarr ...`);
    runTask('node', join(ROOT, 'bench', 'tasks', 'io-task.ts'), [
      'write',
      RAW,
      String(SIZE),
      ZARR,
      JSON.stringify({ compression: 'zstd', compressionLevel: 1 }),
      'bands',
    ]);
  }
}

interface Expected {
  key: string;
  tifffile: { sampleSum: number; sha256: string };
  'zarr-python': { sampleSum: number; sha256: string };
}

/** What tifffile and zarr-python read from the two inputs, computed once per version of the files. */
async function expectedPixels(): Promise<Expected> {
  const cache = join(OUT, 'browser-expected.json');
  const key = [TIFF, join(ZARR, '0', 'zarr.json')]
    .map((f) => `${statSync(f).size}@${statSync(f).mtimeMs}`)
    .join(' ');
  if (existsSync(cache)) {
    const got = JSON.parse(readFileSync(cache, 'utf8')) as Expected;
    if (got.key === key) return got;
  }
  console.error('checksums by tifffile and zarr-python ...');
  const script = readFileSync(join(ROOT, 'bench', 'browser', 'checksum.py'), 'utf8');
  const got = await runPythonJson<Omit<Expected, 'key'>>(script, { tiff: TIFF, zarr: join(ZARR, '0') });
  if (got.tifffile.sha256 !== got['zarr-python'].sha256)
    throw new Error('tifffile and zarr-python read different pixels from the two bench inputs');
  const expected = { key, ...got };
  writeFileSync(cache, JSON.stringify(expected));
  return expected;
}

interface Setting {
  isolated: boolean;
  facts: { crossOriginIsolated: boolean; sharedArrayBuffer: boolean; cores: number; agent: string };
  /** `cpu`: CPU s of Chromium and the servers during the read; `mainCpu`: of the page's main thread. */
  results: Array<ReadResult & { cpu: number; mainCpu: number }>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One page (isolated or not): a hashed warm-up read by each reader, then REPS alternating timed rounds. */
async function measure(pageDir: string, isolated: boolean, expected: Expected): Promise<Setting> {
  const session = await openBenchPage(pageDir, isolated);
  try {
    const { page, url } = session;
    const facts = await runInPage(page, () => window.bench.facts(), undefined);
    const want = (r: ReaderName) =>
      r === 'ours-tiff' || r === 'geotiff' ? expected.tifffile : expected['zarr-python'];
    const results: Setting['results'] = [];
    for (let round = 0; round <= REPS; round++) {
      for (const reader of READERS) {
        const hash = round === 0;
        const cpu0 = cpuByThread();
        const r = await runInPage(page, ([n, u, h]) => window.bench.read(n, u, h), [
          reader,
          url(reader),
          hash,
        ] as const);
        if (r.sampleSum !== want(reader).sampleSum || (hash && r.sha256 !== want(reader).sha256))
          throw new Error(
            `${reader} (isolated: ${isolated}) read other pixels than the Python peers: ${JSON.stringify(r)}`,
          );
        console.error(
          `  ${isolated ? 'isolated' : 'not isolated'} ${round === 0 ? 'warm-up' : `rep ${round}`} ${reader}: ${(r.bytes / 2 ** 20 / (r.ms / 1000)).toFixed(1)} MiB/s, longest task ${r.longTasks.maxMs.toFixed(0)} ms, gaps ${r.gapMs.timeout.toFixed(0)}/${r.gapMs.frame.toFixed(0)} ms`,
        );
        const cpu1 = cpuByThread();
        const spent = (key?: string) =>
          [...cpu1].reduce((a, [k, v]) => (key && k !== key ? a : a + v - (cpu0.get(k) ?? 0)), 0);
        if (round > 0) results.push({ ...r, cpu: spent(), mainCpu: spent(MAIN_THREAD) });
      }
    }
    return { isolated, facts, results };
  } finally {
    await session.close();
  }
}

function summary(setting: Setting) {
  return Object.fromEntries(
    READERS.map((reader) => {
      const rs = setting.results.filter((r) => r.reader === reader);
      const ms = median(rs.map((r) => r.ms));
      return [
        reader,
        {
          mibs: rs[0]!.bytes / 2 ** 20 / (ms / 1000),
          seconds: ms / 1000,
          range: [Math.min(...rs.map((r) => r.ms)) / 1000, Math.max(...rs.map((r) => r.ms)) / 1000],
          openMs: median(rs.map((r) => r.openMs)),
          longest: Math.max(...rs.map((r) => r.longTasks.maxMs)),
          longCount: median(rs.map((r) => r.longTasks.count)),
          gapTimeout: Math.max(...rs.map((r) => r.gapMs.timeout)),
          gapFrame: Math.max(...rs.map((r) => r.gapMs.frame)),
          shared: rs.every((r) => r.sharedOutput),
          cpu: median(rs.map((r) => r.cpu)),
          mainCpu: median(rs.map((r) => r.mainCpu)),
        },
      ];
    }),
  ) as Record<
    ReaderName,
    {
      mibs: number;
      seconds: number;
      range: number[];
      openMs: number;
      longest: number;
      longCount: number;
      gapTimeout: number;
      gapFrame: number;
      shared: boolean;
      cpu: number;
      mainCpu: number;
    }
  >;
}

const LABEL: Record<ReaderName, string> = {
  'ours-tiff': 'OME-TIFF: ours (BioReader + @bfio/tiff)',
  geotiff: 'OME-TIFF: geotiff.js 3.0.5 + Pool',
  'ours-zarr': 'OME-Zarr: ours (BioReader + @bfio/zarr)',
  zarrita: 'OME-Zarr: zarrita.js 0.7.5 (numcodecs zstd)',
};

function settingTable(s: Setting): string {
  const sum = summary(s);
  const rows = READERS.map((r) => {
    const x = sum[r];
    return `| ${LABEL[r]} | ${x.mibs.toFixed(1)} | ${x.seconds.toFixed(2)} (${x.range.map((v) => v.toFixed(2)).join('–')}) | ${x.openMs.toFixed(0)} | ${x.longest.toFixed(0)} (${x.longCount}) | ${x.gapTimeout.toFixed(0)} / ${x.gapFrame.toFixed(0)} | ${x.cpu.toFixed(1)} | ${x.mainCpu.toFixed(2)} | ${x.shared ? 'yes' : 'no'} |`;
  });
  const ratio = (a: ReaderName, b: ReaderName) => (sum[a].mibs / sum[b].mibs).toFixed(2);
  return `| reader | MiB/s (median) | seconds (min–max) | open ms | longest long task ms (count) | longest gap ms: setTimeout / rAF | CPU s | main thread CPU s | output on SharedArrayBuffer |
|---|---:|---:|---:|---:|---:|---:|---:|---|
${rows.join('\n')}

| ratio | value | target |
|---|---:|---:|
| OME-TIFF: ours / geotiff.js | ${ratio('ours-tiff', 'geotiff')} | ≥ 1.5 |
| OME-Zarr: ours / zarrita.js | ${ratio('ours-zarr', 'zarrita')} | ≥ 1.2 |
| longest main-thread task while ours reads (TIFF; Zarr), ms | ${sum['ours-tiff'].longest.toFixed(0)}; ${sum['ours-zarr'].longest.toFixed(0)} | ≤ 50 |`;
}

function bundleTable(files: BundleFile[]): string {
  const kb = (n: number) => (n / 1024).toFixed(1);
  const pick = (f: BundleFile) =>
    `| ${f.kind} | \`${f.file.replace(/-[\w-]{8}\.js$/, '.js')}\` | ${kb(f.bytes)} | ${kb(f.gzip)} | ${f.inlineWasm ? 'yes' : ''} |`;
  const total = (kind: BundleFile['kind']) =>
    files.filter((f) => f.kind === kind).reduce((a, f) => a + f.gzip, 0);
  return `| kind | file | KiB | KiB gzip | WASM inline |
|---|---|---:|---:|---|
${files.map(pick).join('\n')}

Totals (gzip): main ${kb(total('main'))} KiB; worker chunks ${kb(total('worker'))} KiB; lazy chunks of the page ${kb(total('lazy'))} KiB.`;
}

async function main() {
  ensureInputs();
  const expected = await expectedPixels();
  const pageDir = join(OUT, 'browser-page');
  const built = await bundlePage(join(ROOT, 'bench', 'browser', 'page.ts'), pageDir);
  if (built.nodeBuiltins.length > 0)
    console.error(`note: the page bundle imports Node built-ins: ${JSON.stringify(built.nodeBuiltins)}`);
  const bundle = await measureBundle(join(OUT, 'browser-bundle'));

  const runs: Array<{ load: number[]; loadAfter: number[]; settings: Setting[] }> = [];
  for (let run = 1; run <= RUNS; run++) {
    const load = loadavg();
    console.error(`run ${run} of ${RUNS} (load ${load.map((l) => l.toFixed(2)).join(' ')}) ...`);
    const settings = [await measure(pageDir, true, expected), await measure(pageDir, false, expected)];
    runs.push({ load, loadAfter: loadavg(), settings });
  }
  writeFileSync(join(OUT, 'browser-results.json'), JSON.stringify({ runs, bundle }, null, 2));

  const chromiumVersion = spawnSync(CHROMIUM_BIN, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const facts = runs[0]!.settings[0]!.facts;
  const runBlocks = runs
    .map(
      (
        run,
        i,
      ) => `### Run ${i + 1} (load average ${run.load.map((l) => l.toFixed(2)).join(', ')} before, ${run.loadAfter.map((l) => l.toFixed(2)).join(', ')} after)

Cross-origin isolated (COOP/COEP; SharedArrayBuffer available):

${settingTable(run.settings[0]!)}

Not isolated (no SharedArrayBuffer):

${settingTable(run.settings[1]!)}`,
    )
    .join('\n\n');
  const md = `## In the browser (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`pnpm bench:browser\`. ${chromiumVersion}, headless, through playwright-core; \`navigator.hardwareConcurrency\` = ${facts.cores}.
Full read (open + every pixel into one array) of the ${SIZE}×${SIZE} uint16 bench image (512 MiB of pixels) over
loopback HTTP: the page and the data come from two servers (two origins, so every read is a CORS Range request),
as a viewer reads from a bucket. (a) OME-TIFF \`src-${SIZE}.ome.tif\` (Deflate level 1, 1024² tiles, bench/tiff.ts);
(b) OME-Zarr 0.5 \`browser-${SIZE}.ome.zarr\` (zstd level 1, 1024² chunks: bench/zarr.ts's \`ours.ome.zarr\`, same command). geotiff.js reads with
\`readRasters({ pool })\`, \`new Pool(navigator.hardwareConcurrency)\` made once per page; zarrita.js with
\`zarr.get\` of the whole array and its default codec registry (numcodecs' WASM zstd, on the main thread);
ours with \`BioReader.open(url)\` + \`read()\` (its codec workers: one per core). Same page, same run, readers
alternating, ${REPS} timed repetitions each (median; min–max in brackets) after one untimed round. Long tasks:
PerformanceObserver \`longtask\` entries starting during the read (the browser reports only tasks over 50 ms);
gaps: the longest wait between \`setTimeout(0)\` turns and between animation frames while the read runs.
CPU s: CPU time of Chromium's processes and the loopback servers during the read (median), what the read cost
the machine whatever else ran on it; main thread CPU s: of that, the page's main thread (from /proc: time it ran,
not time it waited for a core — on a loaded machine a long task can be mostly waiting). zarrita's registry: @bfio/zarr points zarrita's (module-global) codec
registry at its own codecs when it opens a store, and the page bundles one zarrita for both, so the page puts
zarrita's defaults back for the peer's reads (numcodecs' zstd on the main thread, as zarrita ships).

Pixels checked: the untimed round's full array (SHA-256 of 1024-row band SHA-256s) of every reader equals
tifffile's (TIFF) and zarr-python's (Zarr) of the same file; every timed read's sampled sum \`a[::97, ::89]\` too.

${runBlocks}

### Bundle: what a page ships (Vite production build of BioReader + @bfio/tiff + @bfio/zarr)

\`bench/browser/bundle-entry.ts\`, minified, gzip level 9. \`main\` is the page's chunk; \`worker\` the codec
worker (\`worker-web-worker\`) and what it loads on demand; \`lazy\` chunks load only when a file needs them
(numcodecs' zstd, blosc, lz4 carry their WASM inline as base64; geotiff.js's decoders ride along because
@bfio/tiff parses IFDs with it). A Deflate TIFF read loads \`main\` + the worker entry; a zstd Zarr read adds the
worker's zstd chunk.

${bundleTable(bundle)}
`;
  // A quick look (BENCH_REPS below 3) is printed but never replaces the recorded figures.
  if (REPS >= 3) writeResults('browser', md);
  console.log(md);
}

await main();
