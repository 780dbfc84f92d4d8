/**
 * Serving the whole corpus (issue 12, acceptance 1): every sample of ../shared/data that `BioReader.open`
 * opens (TIFFs, Zarr store roots and the nodes of plain Zarr groups, the Bio-Formats samples) is symlinked into one temporary folder served by a
 * real `bfio serve DIR --symlinks-into <data>` process on loopback (NGFF 0.5, raw chunks). zarr-python
 * (zarr 3 over fsspec/aiohttp, one Python process per BATCH images) reads every level of every series and
 * compares it with the source's peer: tifffile for TIFFs (its series and levels, in t,c,z,y,x order),
 * zarr-python for Zarr sources, and for the other formats Bio-Formats' own read through @bfio/bioformats-java
 * (sha256 of each level, t,c,z,y,x). Samples over SWEEP_MAX_MB of level-0 pixels (all series) are skipped
 * and listed; samples BioReader refuses are counted with the reason.
 *
 *   pnpm bench:serve-sweep   (SWEEP_BATCH=20, SWEEP_MAX_MB=300; SWEEP_STOP_AT=<ISO time>: no batch starts
 *                              after it, and the results are labelled partial; SWEEP_ONLY=<regexp> on paths)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { BioReader, bytesPerPixel } from '@bfio/core';
// The backends `bfio serve` has (Bio-Formats is imported below, as the CLI does when it is installed).
import '@bfio/tiff';
import '@bfio/zarr';
import { FILES as BIOFORMATS_FILES } from '../packages/bioformats-java/test/samples.js';
import { DATA_DIR, dataPath, manifest } from '../test-support/env.js';
import { levelHashes } from '../test-support/level-hashes.js';
import { zarrSamples } from '../test-support/zarr-samples.js';
import { PYTHON, ROOT, writeResults } from './lib/run.js';

const BATCH = Number(process.env.SWEEP_BATCH ?? 20);
const MAX_BYTES = Number(process.env.SWEEP_MAX_MB ?? 300) * 1e6;
/** A regular expression on sample paths, to try the sweep on a few. */
const ONLY = new RegExp(process.env.SWEEP_ONLY ?? '');
const STOP_AT = process.env.SWEEP_STOP_AT ? Date.parse(process.env.SWEEP_STOP_AT) : Number.POSITIVE_INFINITY;
const BATCH_TIMEOUT_MS = 20 * 60_000;
const BIN = join(ROOT, 'apps', 'cli', 'src', 'bin.ts');
const OUT = join(ROOT, 'bench', 'out');
const READER = ['apps/cli/test/tczyx.py', 'bench/tasks/serve-sweep-read.py']
  .map((f) => readFileSync(join(ROOT, f), 'utf8'))
  .join('\n');

const TIFF_EXT = /\.(tif|tiff|btf|tf2|tf8)$/i;

type Kind = 'tiff' | 'zarr' | 'bioformats';
type Status = 'equal' | 'different' | 'error' | 'refused' | 'skipped-size' | 'not-run';
interface Sample {
  sample: string;
  kind: Kind;
  label: string;
  status: Status;
  reason?: string;
  backend?: string;
  level0Bytes?: number;
  series?: number;
  levels?: number;
  equalLevels?: number;
  differentLevels?: number;
  seconds: number;
  /** Bio-Formats' hashes per series and level (Bio-Formats samples; TIFFs Bio-Formats reads, as a second peer). */
  expected?: string[][];
  /** The peer the served pixels were compared with in the end. */
  peer?: string;
  served?: PyImage;
}
interface PyLevel {
  shape?: number[];
  dtype?: string;
  sha256?: string;
  equal?: boolean;
  why?: string;
}
type PyImage = (
  | { series: Array<{ levels: PyLevel[] }>; peer_series?: number | null; peer_error?: string | null }
  | { error: string }
) & {
  seconds: number;
};

function label(sample: string, kind: Kind): string {
  if (kind === 'zarr') return 'Zarr (OME-Zarr, bioformats2raw, arrays)';
  if (kind === 'tiff') return /\.ome\.[^.]+$/i.test(sample) ? 'OME-TIFF' : 'TIFF';
  return `Bio-Formats: ${extname(sample).slice(1).toUpperCase() || basename(sample)}`;
}

async function withReader<T>(path: string, backend: string | undefined, f: (br: BioReader) => Promise<T>) {
  await using br = await BioReader.open(path, backend ? { backend } : {});
  return await f(br);
}

/** Level-0 bytes over all series, and the backend that opens it (what the server will use). */
function describe(br: BioReader): Promise<{ bytes: number; backend: string }> {
  let bytes = 0;
  for (let s = 0; s < br.seriesCount; s++) {
    br.series = s;
    br.level = 0;
    bytes += br.X * br.Y * br.Z * br.C * br.T * bytesPerPixel(br.dtype);
  }
  return Promise.resolve({ bytes, backend: br.backendName });
}

function runPython(input: unknown): Promise<Record<string, PyImage>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', READER], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), BATCH_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!));
      else reject(new Error(`python exited ${code ?? signal}: ${err.slice(-800)}`));
    });
    child.stdin.end(JSON.stringify(input));
  });
}

interface Verdict {
  levels: number;
  equal: number;
  why: string[];
}
type Served = Extract<PyImage, { series: unknown }>;

/** The served levels against tifffile / zarr-python (as the Python reader judged them). */
function againstPythonPeer(r: Served): Verdict {
  const v: Verdict = { levels: 0, equal: 0, why: [] };
  if (typeof r.peer_series === 'number' && r.peer_series !== r.series.length)
    v.why.push(`${r.series.length} series served, the peer has ${r.peer_series}`);
  for (const [si, series] of r.series.entries()) {
    for (const [li, l] of series.levels.entries()) {
      if (l.sha256 === undefined) {
        v.why.push(`series ${si}: ${l.why}`);
        continue;
      }
      v.levels++;
      if (l.equal === true) v.equal++;
      else v.why.push(`series ${si} level ${li}: ${l.why}`);
    }
  }
  return v;
}

/** The served levels' hashes against Bio-Formats' read. */
function againstBioformats(r: Served, expected: string[][]): Verdict {
  const v: Verdict = { levels: 0, equal: 0, why: [] };
  if (expected.length !== r.series.length)
    v.why.push(`${r.series.length} series served, Bio-Formats has ${expected.length}`);
  for (const [si, series] of r.series.entries()) {
    const want = expected[si] ?? [];
    const served = series.levels.filter((l) => l.sha256 !== undefined);
    if (want.length !== served.length)
      v.why.push(`series ${si}: ${served.length} levels served, Bio-Formats has ${want.length}`);
    for (const [li, l] of served.entries()) {
      v.levels++;
      if (want[li] === l.sha256) v.equal++;
      else v.why.push(`series ${si} level ${li}: pixels differ from Bio-Formats' read`);
    }
  }
  return v;
}

/**
 * Fills in a sample's status from what zarr-python read. TIFFs are judged against tifffile and, where
 * tifffile's view differs (multi-file OME-TIFF sets, modulo axes, 1-bit or float16 samples), against
 * Bio-Formats' read; the peer that agreed is recorded.
 */
function judge(s: Sample, r: PyImage | undefined): void {
  s.seconds += r?.seconds ?? 0;
  if (!r) return void Object.assign(s, { status: 'error', reason: 'the server did not list it' });
  s.served = r;
  if ('error' in r) return void Object.assign(s, { status: 'error', reason: r.error });
  const py = s.kind === 'bioformats' ? undefined : againstPythonPeer(r);
  const bf = s.expected ? againstBioformats(r, s.expected) : undefined;
  const ok = (v?: Verdict) => v !== undefined && v.why.length === 0;
  const chosen = ok(py) ? py! : ok(bf) ? bf! : (py ?? bf)!;
  s.peer = chosen === bf ? 'Bio-Formats' : s.kind === 'tiff' ? 'tifffile' : 'zarr-python';
  const why = [...new Set(chosen.why)].slice(0, 4);
  if (chosen === bf && py) why.unshift(`tifffile: ${[...new Set(py.why)].slice(0, 2).join('; ')}`);
  Object.assign(s, {
    series: r.series.length,
    levels: chosen.levels,
    equalLevels: chosen.equal,
    differentLevels: chosen.levels - chosen.equal,
    status: ok(chosen) ? 'equal' : 'different',
    reason: why.length ? why.join('; ') : undefined,
  });
  if (!ok(chosen) && bf && py) s.reason += `; Bio-Formats: ${[...new Set(bf.why)].slice(0, 2).join('; ')}`;
}

async function startServer(dir: string, log: string): Promise<{ base: string; stop: () => Promise<void> }> {
  const fd = openSync(log, 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', BIN, 'serve', dir, '--port', '0', '--symlinks-into', DATA_DIR],
    { cwd: ROOT, stdio: ['ignore', fd, fd] },
  );
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const m = /image\(s\) at (http:\/\/\S+\/)/.exec(readFileSync(log, 'utf8'));
    if (m) {
      return {
        base: m[1]!,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`bfio serve did not start:\n${readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const started = Date.now();
mkdirSync(OUT, { recursive: true });
await import('../packages/bioformats-java/src/index.js');
const paths = manifest().map((m) => m.path);
// Store roots, and the nodes inside plain Zarr groups (which BioReader refuses as a whole).
const zarrs = zarrSamples(paths);
const inStore = (p: string) => zarrs.some((z) => p.startsWith(`${z}/`));
const samples: Sample[] = [
  ...paths.filter((p) => TIFF_EXT.test(p) && !inStore(p)).map((p) => [p, 'tiff'] as const),
  ...zarrs.map((p) => [p, 'zarr'] as const),
  ...BIOFORMATS_FILES.filter((p) => !TIFF_EXT.test(p)).map((p) => [p, 'bioformats'] as const),
]
  .filter(([p]) => ONLY.test(p))
  .map(([sample, kind]) => ({ sample, kind, label: label(sample, kind), status: 'not-run', seconds: 0 }));

// Which samples BioReader opens (the server's own choice of backend), their size, Bio-Formats' hashes.
for (const s of samples) {
  const t = performance.now();
  try {
    const { bytes, backend } = await withReader(dataPath(s.sample), undefined, describe);
    s.level0Bytes = bytes;
    s.backend = backend;
    if (bytes > MAX_BYTES) s.status = 'skipped-size';
    else if (s.kind === 'bioformats')
      s.expected = await withReader(dataPath(s.sample), 'bioformats', levelHashes);
    else if (s.kind === 'tiff')
      s.expected = await withReader(dataPath(s.sample), 'bioformats', levelHashes).catch(() => undefined);
  } catch (e) {
    s.status = 'refused';
    s.reason = `${(e as Error).name}: ${(e as Error).message.split('\n')[0]!.slice(0, 300)}`;
  }
  s.seconds += (performance.now() - t) / 1000;
}
const toServe = samples.filter((s) => s.status === 'not-run');
console.error(
  `${samples.length} samples: ${toServe.length} to serve, ${samples.filter((s) => s.status === 'refused').length} refused, ${samples.filter((s) => s.status === 'skipped-size').length} over ${MAX_BYTES / 1e6} MB`,
);

const dir = mkdtempSync(join(tmpdir(), 'bench-serve-sweep-'));
const link = new Map<string, Sample>();
for (const [i, s] of toServe.entries()) {
  const name = `${String(i).padStart(4, '0')}-${basename(s.sample)}`;
  symlinkSync(dataPath(s.sample), join(dir, name));
  link.set(name, s);
}
const server = await startServer(dir, join(OUT, 'serve-sweep-server.log'));
let partial = false;
try {
  const index = (await (await fetch(server.base)).json()) as {
    images: Array<{ name: string; source: string }>;
  };
  const nameOf = new Map(index.images.map((i) => [i.source, i.name]));
  for (let b = 0; b < toServe.length; b += BATCH) {
    if (Date.now() > STOP_AT) {
      partial = true;
      break;
    }
    const batch = [...link.entries()].slice(b, b + BATCH);
    const images = batch
      .filter(([l]) => nameOf.has(l))
      .map(([l, s]) => ({ name: nameOf.get(l)!, kind: s.kind, source: dataPath(s.sample) }));
    console.error(`batch ${b / BATCH + 1}/${Math.ceil(toServe.length / BATCH)} ...`);
    let read: Record<string, PyImage> = {};
    try {
      read = await runPython({ base: server.base, images });
    } catch (e) {
      for (const [, s] of batch) Object.assign(s, { status: 'error', reason: (e as Error).message });
      continue;
    }
    for (const [l, s] of batch) judge(s, read[nameOf.get(l) ?? '']);
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

const seconds = (Date.now() - started) / 1000;
writeFileSync(
  join(OUT, 'serve-sweep.json'),
  `${JSON.stringify({ partial, seconds, samples: samples.map(({ served, ...s }) => ({ ...s, served })) }, null, 1)}\n`,
);

const kinds = [...new Set(samples.map((s) => s.label))].sort();
const ofKind = (k: string) => samples.filter((s) => s.label === k);
const count = (rows: Sample[], st: Status) => rows.filter((s) => s.status === st).length;
const sum = (rows: Sample[], f: (s: Sample) => number | undefined) =>
  rows.reduce((a, s) => a + (f(s) ?? 0), 0);
const row = (name: string, rows: Sample[]) =>
  `| ${name} | ${rows.length} | ${sum(rows, (s) => s.series)} | ${sum(rows, (s) => s.levels)} | ${sum(rows, (s) => s.equalLevels)} | ${sum(rows, (s) => s.differentLevels)} | ${count(rows, 'equal')} | ${count(rows, 'different')} | ${count(rows, 'error')} | ${count(rows, 'refused')} | ${count(rows, 'skipped-size')} | ${count(rows, 'not-run')} | ${sum(rows, (s) => s.seconds).toFixed(0)} |`;
const list = (st: Status) =>
  samples
    .filter((s) => s.status === st)
    .map(
      (s) =>
        `- \`${s.sample}\`${st === 'skipped-size' ? ` (${((s.level0Bytes ?? 0) / 1e6).toFixed(0)} MB)` : ''}${s.reason ? `: ${s.reason.replace(/\|/g, '\\|')}` : ''}`,
    )
    .join('\n') || '- none';
const viaBioformats =
  samples
    .filter((s) => s.kind === 'tiff' && s.status === 'equal' && s.peer === 'Bio-Formats')
    .map((s) => `- \`${s.sample}\`: ${(s.reason ?? '').replace(/\|/g, '\\|')}`)
    .join('\n') || '- none';
const md = `## Serving the whole corpus (issue 12)${partial ? ' — PARTIAL (stopped at SWEEP_STOP_AT)' : ''}

${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores (${cpus()[0]?.model.trim()}, shared with other work), run under \`nice -n 19\`.
Command: \`pnpm bench:serve-sweep\` (batch ${BATCH}, size cap ${MAX_BYTES / 1e6} MB of level-0 pixels over all series;
largest sample ${(Math.max(...samples.map((s) => s.level0Bytes ?? 0)) / 1e6).toFixed(0)} MB). Every TIFF (\`.tif/.tiff/.btf/.tf2/.tf8\`), every Zarr store root (and
each node inside a plain Zarr group) and every Bio-Formats sample of MANIFEST.tsv that \`BioReader.open\` opens is
served by one \`bfio serve DIR --symlinks-into <data>\` process (NGFF 0.5, raw chunks); zarr-python 3
(fsspec/aiohttp) reads every level of every series. Peers: tifffile (TIFFs: its series and levels, to t,c,z,y,x by
axis letters, samples as c), zarr-python on the source (Zarr: NGFF image, plate fields, bioformats2raw series, bare
arrays), Bio-Formats through @bfio/bioformats-java (sha256 per level, t,c,z,y,x), which is also the second peer of
the TIFFs, used where tifffile's view differs (listed below). Values are compared exactly; tifffile's 1-bit
\`bool\` as 0/1 and big-endian sources by value (served little-endian). A file is *equal* when every series and
level is and its series/level counts match the peer's. Seconds: opening, Bio-Formats' read, serving and peer reads.
Per-file results: \`bench/out/serve-sweep.json\`. Total ${seconds.toFixed(0)} s.

| kind | files | series | levels read | levels equal | levels different | files equal | files different | errors | refused | skipped (size) | not run | seconds |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${kinds.map((k) => row(k, ofKind(k))).join('\n')}
${row('**all**', samples)}

Equal to Bio-Formats' read where tifffile's view differs (TIFFs):
${viaBioformats}

Different:
${list('different')}

Errors:
${list('error')}

Refused by \`BioReader.open\`:
${list('refused')}

Skipped for size:
${list('skipped-size')}
`;
writeResults('serve-sweep', md);
console.log(md);
// Bio-Formats' JVM keeps the event loop alive.
process.exit(0);
