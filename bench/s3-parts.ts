/**
 * Conversion in parts into object storage: bench/convert.ts's SIZE × SIZE × 3-channel uint16 OME-TIFF to
 * OME-Zarr 0.5 in MinIO (test-support/minio.ts, loopback) with `bfio convert … --pyramid 4 --part i/N`,
 * N = 1, 2, 4, all N part processes started at once (they share the machine's cores), then `bfio finalize`.
 * The CLI talks to MinIO through test-support/throttle-proxy.ts in pass-through mode, which counts the
 * requests; one more 1-part run goes straight to MinIO, to show what the proxy costs. Every task is one
 * process (bench/tasks/cli-task.ts, as runTask runs it: peak RSS is the task's own maxRSS; CPU seconds from
 * /usr/bin/time). The 4-part store must equal the 1-part store object for object (ETag and size of every
 * object: MinIO's ETag of a single PUT is the MD5 of its bytes; multipart ETags are compared byte for byte).
 *
 *   pnpm bench:s3          (BENCH_CONVERT_SIZE=32768 by default; ~6 GiB of pixels per conversion)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsSdkS3, type Minio, startMinio } from '../test-support/minio.js';
import {
  type ProxiedRequest,
  startThrottleProxy,
  type ThrottleProxy,
} from '../test-support/throttle-proxy.js';
import type { TaskResult } from './lib/report.js';
import { ROOT, runTask, writeResults } from './lib/run.js';

const SIZE = Number(process.env.BENCH_CONVERT_SIZE ?? 32768);
const CHANNELS = 3;
const PYRAMID = 4;
const BUCKET = 'bench';
const SOURCE_BYTES = SIZE * SIZE * CHANNELS * 2;
const SOURCE_MIB = SOURCE_BYTES / 2 ** 20;
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const tasks = join(ROOT, 'bench', 'tasks');
const out = join(ROOT, 'bench', 'out');
mkdirSync(out, { recursive: true });
const src = join(out, `large-${SIZE}x3.ome.tif`);
if (!existsSync(src)) {
  console.error(`generating ${src} ...`);
  const g = runTask('node', join(tasks, 'gen-large.ts'), [src, String(SIZE), String(CHANNELS)]);
  console.error(`  ${g.seconds.toFixed(0)} s, peak RSS ${g.peakRssMiB.toFixed(0)} MiB`);
}

// ---------------------------------------------------------------------------------------------------------
// One CLI task in its own process, asynchronously (runTask is synchronous, and the parts run at once).

interface Timed {
  result: TaskResult;
  /** Wall seconds from spawn to exit (process start-up included). */
  wall: number;
  /** User + system CPU seconds of the task's processes (/usr/bin/time). */
  cpu: number;
}

const timeDir = mkdtempSync(join(tmpdir(), 'bfio-bench-s3-'));
let timeFiles = 0;

function runTaskAsync(args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  const timeFile = join(timeDir, `time-${timeFiles++}.txt`);
  const t = performance.now();
  const child = spawn(
    '/usr/bin/time',
    ['-f', '%e %U %S %M', '-o', timeFile, TSX, join(tasks, 'cli-task.ts'), ...args],
    { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => {
      const wall = (performance.now() - t) / 1000;
      if (code !== 0) {
        fail(new Error(`cli-task ${args.join(' ')} failed (${code}):\n${stdout}\n${stderr}`));
        return;
      }
      const line = stdout.trim().split('\n').pop()!;
      const [, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      done({ result: JSON.parse(line) as TaskResult, wall, cpu: (user ?? 0) + (sys ?? 0) });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// The server, the proxy, and what the bucket holds.

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // the SDK's Node 22 notice
const minio: Minio = await startMinio();
await minio.makeBucket(BUCKET);
const proxy: ThrottleProxy = await startThrottleProxy(minio.endpoint);
const s3 = minio.client(); // straight to MinIO: listing, comparing, deleting are not counted
const { ListObjectsV2Command, GetObjectCommand, DeleteObjectsCommand } = awsSdkS3();

/** The MinIO server process we started (found by its unique data dir), for its CPU seconds. */
function minioPid(): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(minio.dataDir) && cmd.split('\0').includes('server')) return Number(name);
    } catch {}
  }
  return undefined;
}
const MINIO_PID = minioPid();
const TICKS = 100; // USER_HZ
/** User + system CPU seconds of the MinIO server so far. */
function minioCpu(): number {
  if (!MINIO_PID) return Number.NaN;
  const stat = readFileSync(`/proc/${MINIO_PID}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

interface StoredObject {
  etag: string;
  size: number;
}

async function listStore(key: string): Promise<Map<string, StoredObject>> {
  const objects = new Map<string, StoredObject>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${key}/`, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      objects.set((o.Key as string).slice(key.length + 1), { etag: String(o.ETag), size: Number(o.Size) });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

async function getBytes(key: string): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await got.Body.transformToByteArray());
}

async function deleteStore(key: string): Promise<void> {
  const keys = [...(await listStore(key)).keys()].map((k) => `${key}/${k}`);
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
}

/** Differences between two stores: keys only in one, and objects whose ETag/size (or bytes) differ. */
async function compareStores(
  aKey: string,
  a: Map<string, StoredObject>,
  bKey: string,
  b: Map<string, StoredObject>,
): Promise<{ equal: boolean; compared: number; byBytes: number; differences: string[] }> {
  const differences: string[] = [];
  for (const k of a.keys()) if (!b.has(k)) differences.push(`only in ${aKey}: ${k}`);
  for (const k of b.keys()) if (!a.has(k)) differences.push(`only in ${bKey}: ${k}`);
  let byBytes = 0;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y) continue;
    if (x.size !== y.size) differences.push(`${k}: ${x.size} vs ${y.size} bytes`);
    else if (x.etag.includes('-') || y.etag.includes('-')) {
      // Multipart ETags depend on the part sizes, not only the bytes: compare the bytes.
      byBytes++;
      if (!(await getBytes(`${aKey}/${k}`)).equals(await getBytes(`${bKey}/${k}`)))
        differences.push(`${k}: bytes differ`);
    } else if (x.etag !== y.etag) differences.push(`${k}: ETag ${x.etag} vs ${y.etag}`);
  }
  return { equal: differences.length === 0, compared: a.size, byBytes, differences };
}

// ---------------------------------------------------------------------------------------------------------
// One configuration: N parts at once, then finalize.

type Kind = 'PUT' | 'GET' | 'HEAD' | 'LIST' | 'POST' | 'DELETE' | 'other';
function kindOf(r: ProxiedRequest): Kind {
  const keyPart = r.path.split('/').slice(2).join('/');
  if (r.method === 'GET') return r.query.has('list-type') || keyPart === '' ? 'LIST' : 'GET';
  if (r.method === 'PUT' || r.method === 'HEAD' || r.method === 'POST' || r.method === 'DELETE')
    return r.method;
  return 'other';
}
function countRequests(requests: ProxiedRequest[]) {
  const counts: Record<Kind, number> = { PUT: 0, GET: 0, HEAD: 0, LIST: 0, POST: 0, DELETE: 0, other: 0 };
  let notFound = 0;
  let failed = 0;
  for (const r of requests) {
    counts[kindOf(r)]++;
    if (r.status === 404) notFound++;
    else if (r.outcome !== 'forwarded' || (r.status ?? 0) >= 400) failed++;
  }
  return { counts, total: requests.length, notFound, failed };
}

interface Measured {
  label: string;
  parts: number;
  viaProxy: boolean;
  key: string;
  partsWall: number;
  finalizeWall: number;
  wall: number;
  mibps: number;
  partRss: number[];
  finalizeRss: number;
  cliCpu: number;
  minioCpu: number;
  requests?: { parts: ReturnType<typeof countRequests>; finalize: ReturnType<typeof countRequests> };
  objects: number;
  storedBytes: number;
  chunkBytes: number;
  leftovers: number;
  load: number;
  listing: Map<string, StoredObject>;
}

async function measure(parts: number, viaProxy: boolean): Promise<Measured> {
  // One folder per run, the same store name in each: the name goes into the metadata (NGFF `name`).
  const key = `${parts}-part${viaProxy ? '' : '-direct'}/out.ome.zarr`;
  const url = `s3://${BUCKET}/${key}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...minio.env,
    AWS_ENDPOINT_URL: viaProxy ? proxy.endpoint : minio.endpoint,
  };
  delete env.AWS_ENDPOINT_URL_S3;
  const label = `${parts} part${parts > 1 ? 's' : ''}${viaProxy ? '' : ', direct (no proxy)'}`;
  const load = loadavg()[0] ?? 0;
  console.error(`converting, ${label} (load average ${load.toFixed(1)}) ...`);
  proxy.requests.length = 0;
  const cpu0 = minioCpu();
  const t0 = performance.now();
  const partRuns = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      runTaskAsync(['convert', src, url, '--pyramid', String(PYRAMID), '--part', `${i}/${parts}`], env),
    ),
  );
  const t1 = performance.now();
  const partRequests = countRequests(proxy.requests);
  proxy.requests.length = 0;
  const fin = await runTaskAsync(['finalize', url], env);
  const t2 = performance.now();
  const finRequests = countRequests(proxy.requests);
  proxy.requests.length = 0;
  const cpu1 = minioCpu();
  const listing = await listStore(key);
  let storedBytes = 0;
  let chunkBytes = 0;
  let leftovers = 0;
  for (const [k, o] of listing) {
    storedBytes += o.size;
    if (/^\d+\/c\//.test(k)) chunkBytes += o.size;
    if (k.startsWith('.bfio/')) leftovers++;
  }
  const wall = (t2 - t0) / 1000;
  const m: Measured = {
    label,
    parts,
    viaProxy,
    key,
    partsWall: (t1 - t0) / 1000,
    finalizeWall: (t2 - t1) / 1000,
    wall,
    mibps: SOURCE_MIB / wall,
    partRss: partRuns.map((r) => r.result.peakRssMiB),
    finalizeRss: fin.result.peakRssMiB,
    cliCpu: partRuns.reduce((a, r) => a + r.cpu, 0) + fin.cpu,
    minioCpu: cpu1 - cpu0,
    requests: viaProxy ? { parts: partRequests, finalize: finRequests } : undefined,
    objects: listing.size,
    storedBytes,
    chunkBytes,
    leftovers,
    load,
    listing,
  };
  console.error(
    `  parts ${m.partsWall.toFixed(1)} s + finalize ${m.finalizeWall.toFixed(1)} s = ${wall.toFixed(1)} s, ` +
      `${m.mibps.toFixed(1)} MiB/s, peak RSS ${Math.max(...m.partRss).toFixed(0)} / ${m.finalizeRss.toFixed(0)} MiB, ` +
      `${m.objects} objects, ${(storedBytes / 2 ** 20).toFixed(1)} MiB stored` +
      (viaProxy ? `, ${partRequests.total + finRequests.total} requests` : ''),
  );
  return m;
}

// ---------------------------------------------------------------------------------------------------------

const results: Measured[] = [];
const checks: string[] = [];
let fourEqualsOne = false;
try {
  const one = await measure(1, true);
  results.push(one);
  for (const n of [2, 4]) {
    const m = await measure(n, true);
    results.push(m);
    const c = await compareStores(one.key, one.listing, m.key, m.listing);
    const line = `${n} parts vs 1 part: ${c.equal ? 'equal' : 'DIFFERENT'} (${c.compared} objects, ETag and size${c.byBytes ? `, ${c.byBytes} multipart objects by bytes` : ''})${c.equal ? '' : `: ${c.differences.slice(0, 5).join('; ')}`}`;
    console.error(`  ${line}`);
    checks.push(line);
    if (n === 4) fourEqualsOne = c.equal;
    await deleteStore(m.key);
  }
  const direct = await measure(1, false);
  results.push(direct);
  const c = await compareStores(one.key, one.listing, direct.key, direct.listing);
  const line = `1 part direct vs 1 part through the proxy: ${c.equal ? 'equal' : 'DIFFERENT'} (${c.compared} objects)`;
  console.error(`  ${line}`);
  checks.push(line);
  await deleteStore(direct.key);
  await deleteStore(one.key);
} finally {
  s3.destroy();
  await proxy.stop();
  await minio.stop();
  rmSync(timeDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------
// The results section.

const f1 = (x: number) => x.toFixed(1);
const f0 = (x: number) => x.toFixed(0);
const mib = (b: number) => b / 2 ** 20;
const req = (m: Measured) => {
  if (!m.requests) return { cells: '— | — | — | — | — | —', total: 0 };
  const { parts: p, finalize: f } = m.requests;
  const c = (k: Kind) => p.counts[k] + f.counts[k];
  const total = p.total + f.total;
  const other = c('POST') + c('DELETE') + c('other');
  return {
    cells: `${c('PUT')} | ${c('GET')} | ${c('HEAD')} | ${c('LIST')} | ${other} | ${f0(total / m.wall)}`,
    total,
  };
};
const rows = results.map((m) => {
  const maxPart = Math.max(...m.partRss);
  const rss = Math.max(maxPart, m.finalizeRss);
  return `| ${m.label} | ${f1(m.partsWall)} | ${f1(m.finalizeWall)} | ${f1(m.wall)} | ${f1(m.mibps)} | ${f0(maxPart)} | ${f0(m.finalizeRss)} | ${rss <= 512 ? 'yes' : 'NO'} | ${req(m).cells} | ${m.objects} | ${f1(mib(m.storedBytes))} |`;
});
const phaseRows = results
  .filter((m) => m.requests)
  .flatMap((m) =>
    (['parts', 'finalize'] as const).map((phase) => {
      const r = m.requests![phase];
      return `| ${m.label}: ${phase} | ${r.counts.PUT} | ${r.counts.GET} | ${r.counts.HEAD} | ${r.counts.LIST} | ${r.counts.POST} | ${r.counts.DELETE} | ${r.notFound} | ${r.failed} | ${r.total} |`;
    }),
  );
const cpuRows = results.map(
  (m) =>
    `| ${m.label} | ${m.partRss.map(f0).join(', ')} | ${f1(m.cliCpu)} | ${f1(SOURCE_MIB / m.cliCpu)} | ${f1(m.minioCpu)} | ${f1(m.load)} |`,
);

// Pixels of every level (the zstd ratio is of these over the chunk objects' bytes).
let pixelBytes = 0;
for (let k = 0, s = SIZE; k <= PYRAMID; k++, s = Math.max(1, Math.floor(s / 2)))
  pixelBytes += s * s * CHANNELS * 2;
const ref = results[0]!;
const zstdRatio = pixelBytes / ref.chunkBytes;
const four = results.find((m) => m.parts === 4 && m.viaProxy)!;
const direct = results.find((m) => !m.viaProxy)!;
const maxRss = Math.max(...results.flatMap((m) => [...m.partRss, m.finalizeRss]));
const data = {
  size: SIZE,
  channels: CHANNELS,
  pyramid: PYRAMID,
  cores: cpus().length,
  sourceMiB: SOURCE_MIB,
  zstdRatio,
  bestMiBps: Math.max(...results.map((m) => m.mibps)),
  fourPartMiBps: four.mibps,
  onePartMiBps: ref.mibps,
  directMiBps: direct.mibps,
  cliMiBPerCpuSecond: SOURCE_MIB / four.cliCpu,
  maxPartRssMiB: Math.max(...results.flatMap((m) => m.partRss)),
  maxFinalizeRssMiB: Math.max(...results.map((m) => m.finalizeRss)),
  fourEqualsOne,
};

const md = `## Conversion in parts into object storage (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''})

Command: \`pnpm bench:s3\` (BENCH_CONVERT_SIZE=${SIZE}). bench/convert.ts's ${SIZE}×${SIZE}×${CHANNELS}-channel uint16
OME-TIFF (${f1(SOURCE_MIB / 1024)} GiB of pixels, 1024 tiles, Deflate) to OME-Zarr 0.5 (zstd-1, 1024² chunks,
default options) with \`--pyramid ${PYRAMID}\` in MinIO on loopback: \`bfio convert IN s3://${BUCKET}/out.ome.zarr --pyramid ${PYRAMID} --part i/N\`
for N = 1, 2, 4, all N processes started at once on the ${cpus().length} cores (MinIO shares them), then \`bfio finalize\`.
The CLI reaches MinIO through test-support/throttle-proxy.ts in pass-through mode (in the bench process), which
counts the requests; the last row goes straight to MinIO. Wall times are from spawning the processes to their
exit (start-up included); MiB/s are source pixels over parts + finalize. Peak RSS is each process's maxRSS.

| configuration | parts s | finalize s | total s | MiB/s | peak RSS MiB, max over parts | finalize RSS MiB | ≤ 512 MiB | PUT | GET | HEAD | LIST | other | requests/s | objects | MiB stored |
|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

Requests by phase (through the proxy; "404" are lookups of objects not there yet, e.g. the plan by the first
task; "failed" are other errors or throttles: none expected):

| run | PUT | GET | HEAD | LIST | POST | DELETE | 404 | failed | total |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${phaseRows.join('\n')}

CPU: the CLI processes' user + system seconds (parts and finalize, /usr/bin/time) and MinIO's over the same run
(/proc); load average (1 min) when the run started (it still holds the previous run's tail).

| configuration | peak RSS MiB per part | CLI CPU s | MiB per CLI CPU-s | MinIO CPU s | load |
|---|---:|---:|---:|---:|---:|
${cpuRows.join('\n')}

Stored (1 part): ${ref.objects} objects (chunks and metadata), ${f1(mib(ref.storedBytes))} MiB; chunk objects ${f1(mib(ref.chunkBytes))} MiB for
${f1(mib(pixelBytes))} MiB of pixels over ${PYRAMID + 1} levels: zstd-1 ratio ${zstdRatio.toFixed(2)} on this synthetic image.
Proxy overhead (1 part, through the proxy / direct): ${(ref.wall / direct.wall).toFixed(2)}× the wall time.
Peak RSS of any task: ${f0(maxRss)} MiB (target ≤ 512 MiB: ${maxRss <= 512 ? 'met' : 'NOT met'}).
Stores checked (every object's ETag, i.e. MD5, and size; \`.bfio/\` bookkeeping left: ${results.reduce((a, m) => a + m.leftovers, 0)}):
${checks.map((c) => `- ${c}`).join('\n')}

**The 4-part store ${fourEqualsOne ? 'equals' : 'does NOT equal'} the 1-part store object for object.**

<!-- s3-data ${JSON.stringify(data)} -->
`;
writeResults('s3', md);
console.log(md);
process.exit(0);
