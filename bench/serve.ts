/**
 * `bfio serve` against converting first (issue 12, acceptance 5): for an OME-TIFF pyramid and a CZI, zarr-python
 * reads level 0 over HTTP from `bfio serve` (first-tile latency: open the group, read chunk 0, including the
 * server opening the file on that first request; then the whole level), against `bfio convert` to OME-Zarr
 * (default options: 0.5, zstd) followed by zarr-python reading the converted store from disk. Every run is a
 * fresh process (server included) so nothing is cached between runs; pixels are checked to agree.
 *
 *   pnpm bench:serve     (BENCH_SERVE_SIZE=8192: the OME-TIFF is SIZE² × 3 channels uint16, 1024² Deflate
 *                          tiles, 4 pyramid levels, made with bench/convert.ts's generator, kept in bench/out)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PYTHON, ROOT, runTask, writeResults } from './lib/run.js';

const SIZE = Number(process.env.BENCH_SERVE_SIZE ?? 8192);
const out = join(ROOT, 'bench', 'out');
mkdirSync(out, { recursive: true });
const BIN = join(ROOT, 'apps', 'cli', 'src', 'bin.ts');
const READ = join(ROOT, 'bench', 'tasks', 'serve-read.py');
const CZI = join(ROOT, '..', 'shared', 'data', 'aicspylibczi', 'mosaic_test.czi');

interface Read {
  firstTileMs: number;
  levelSeconds: number;
  bytes: number;
  shape: number[];
  chunks: number[];
  checksum: number;
}

function bfio(...args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bfio ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return (performance.now() - t) / 1000;
}

function zarrRead(target: string): Read {
  const r = spawnSync(PYTHON, [READ, target], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`serve-read.py ${target} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Read;
}

/** Starts `bfio serve` on a folder holding only `source`; resolves with its process and the image's URL. */
async function startServe(source: string): Promise<{ child: ChildProcess; url: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  symlinkSync(source, join(dir, basename(source)));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      BIN,
      'serve',
      dir,
      '--port',
      '0',
      '--symlinks-into',
      source.slice(0, source.lastIndexOf('/')),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let text = '';
  const url = await new Promise<string>((done, fail) => {
    child.stdout!.on('data', (d) => {
      text += d;
      const m = /^\s+(http:\/\/\S+\/)\s/m.exec(text);
      if (m) done(m[1]!);
    });
    child.once('exit', (code) => fail(new Error(`bfio serve exited (${code})`)));
  });
  return { child, url, dir };
}

async function stopServe(s: { child: ChildProcess; dir: string }): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
  rmSync(s.dir, { recursive: true, force: true });
}

const pyramid = join(out, `serve-${SIZE}x3-pyramid.ome.tif`);
if (!existsSync(pyramid)) {
  const flat = join(out, `large-${SIZE}x3.ome.tif`);
  if (!existsSync(flat)) {
    console.error(`generating ${flat} ...`);
    runTask('node', join(ROOT, 'bench', 'tasks', 'gen-large.ts'), [flat, String(SIZE), '3']);
  }
  console.error(`making the pyramid ${pyramid} ...`);
  bfio('convert', flat, pyramid, '--pyramid', '3', '--overwrite');
}

interface Row {
  label: string;
  served: Read;
  convertSeconds: number;
  converted: Read;
}
const rows: Row[] = [];
const loadAtStart = loadavg()[0]!;
// The conversion makes what the server presents: the OME-TIFF's 4 levels, the CZI's one.
for (const [label, source, convertFlags] of [
  [`OME-TIFF pyramid ${SIZE}²×3 uint16, 4 levels (1024² Deflate tiles)`, pyramid, ['--pyramid', '3']],
  ['CZI (aicspylibczi mosaic_test.czi, 1756×624 uint16, Bio-Formats)', CZI, []],
] as const) {
  console.error(`${label}: bfio serve ...`);
  const server = await startServe(source);
  let served: Read;
  try {
    served = zarrRead(server.url);
  } finally {
    await stopServe(server);
  }
  console.error(`${label}: bfio convert, then read ...`);
  const store = join(out, 'serve-converted.ome.zarr');
  const convertSeconds = bfio('convert', source, store, ...convertFlags, '--overwrite');
  const converted = zarrRead(store);
  rmSync(store, { recursive: true, force: true });
  if (served.checksum !== converted.checksum) throw new Error(`${label}: served and converted pixels differ`);
  rows.push({ label, served, convertSeconds, converted });
  console.error(
    `  served: first tile ${served.firstTileMs.toFixed(0)} ms, level ${served.levelSeconds.toFixed(2)} s`,
  );
}

const mib = (r: Read) => r.bytes / 2 ** 20;
const table = rows
  .map((r) => {
    const toFirst = r.convertSeconds * 1000 + r.converted.firstTileMs;
    return `| ${r.label} | ${mib(r.served).toFixed(1)} | ${r.served.firstTileMs.toFixed(0)} | ${(mib(r.served) / r.served.levelSeconds).toFixed(1)} | ${r.convertSeconds.toFixed(1)} | ${r.converted.firstTileMs.toFixed(0)} | ${(mib(r.converted) / r.converted.levelSeconds).toFixed(1)} | ${(toFirst / r.served.firstTileMs).toFixed(0)}× |`;
  })
  .join('\n');
const md = `## Serving without converting (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model.trim()})

Command: \`pnpm bench:serve\` (BENCH_SERVE_SIZE=${SIZE}). zarr-python 3 (fsspec/aiohttp) reads level 0 of each
image from \`bfio serve\` on loopback (NGFF 0.5, raw chunks, a fresh server per image: the first request opens
the file), against \`bfio convert\` to OME-Zarr (0.5, zstd, default options; \`--pyramid 3\` for the pyramid's levels) and
zarr-python reading the store from disk. Load average (1 min) at the start: ${loadAtStart.toFixed(1)} (other work shared the cores). First tile = open the group, find level 0, read its chunk 0. Pixels checked equal (sums).

| image | level 0 MiB | serve: first tile ms | serve: level 0 MiB/s | convert s | converted: first tile ms | converted: level 0 MiB/s | time to first tile, convert first / serve |
|---|---:|---:|---:|---:|---:|---:|---:|
${table}

Chunks (y×x): ${rows.map((r) => `${r.label.split(' ')[0]} served ${r.served.chunks.slice(-2).join('×')}, converted ${r.converted.chunks.slice(-2).join('×')}`).join('; ')}.
`;
writeResults('serve', md);
console.log(md);
