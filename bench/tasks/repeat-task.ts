/**
 * Repeated full reads in one process (issue 14): the same image read whole N times by one BioReader, each
 * read's seconds, MiB/s, garbage-collection time (PerformanceObserver 'gc' entries during the read), minor
 * page faults and RSS after it. The previous result is dropped before the next read (`hold` keeps them all,
 * as a program collecting reads would).
 *   tsx repeat-task.ts PATH [TIMES=2] [C=0] [hold]
 * One JSON line: { task, seconds (first read), bytes, peakRssMiB, reads: [...] }.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { BioReader, type NDArray } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import { now, report } from '../lib/report.js';

const [path, timesText = '2', cText = '0', mode = 'drop'] = process.argv.slice(2);
const times = Number(timesText);
const c = Number(cText);

let gcMs = 0;
let gcCount = 0;
const gcKinds: Record<string, number> = {};
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcCount++;
    const kind = String((e as unknown as { detail?: { kind?: number } }).detail?.kind ?? '?');
    gcKinds[kind] = (gcKinds[kind] ?? 0) + e.duration;
  }
});
observer.observe({ entryTypes: ['gc'] });
// GC entries are delivered asynchronously: let the observer catch up before reading the totals.
const settle = () => new Promise((done) => setTimeout(done, 50));

const reads: Array<Record<string, number | Record<string, number>>> = [];
const held: NDArray[] = [];
let bytes = 0;
await using br = await BioReader.open(path!);
for (let i = 0; i < times; i++) {
  await settle();
  const gc0 = gcMs;
  const n0 = gcCount;
  const kinds0 = { ...gcKinds };
  const use0 = process.resourceUsage();
  const elu0 = performance.eventLoopUtilization();
  const t = now();
  let a: NDArray | undefined = await br.read({ C: c, Z: 0, T: 0 });
  const seconds = now() - t;
  const use = process.resourceUsage();
  // How busy the main thread was (dispatch, placement, GC): 1 means it was the bottleneck.
  const elu = performance.eventLoopUtilization(elu0).utilization;
  bytes = a.data.byteLength;
  let checksum = 0;
  for (let y = 0; y < br.Y; y += 97) for (let x = 0; x < br.X; x += 89) checksum += a.get(y, x);
  if (mode === 'hold') held.push(a);
  a = undefined;
  if (process.env.REPEAT_GC) (globalThis as { gc?: () => void }).gc?.();
  await settle();
  const kinds: Record<string, number> = {};
  for (const [k, v] of Object.entries(gcKinds)) {
    const d = v - (kinds0[k] ?? 0);
    if (d > 0) kinds[k] = Math.round(d);
  }
  reads.push({
    seconds,
    mibps: bytes / 2 ** 20 / seconds,
    gcMs: gcMs - gc0,
    gcCount: gcCount - n0,
    gcByKind: kinds,
    // CPU of every thread (main and codec workers): on a shared machine, steadier than wall time.
    userS: (use.userCPUTime - use0.userCPUTime) / 1e6,
    systemS: (use.systemCPUTime - use0.systemCPUTime) / 1e6,
    minorFaults: use.minorPageFault - use0.minorPageFault,
    // Blocks read from disk: non-zero when the file fell out of the page cache.
    fsRead: use.fsRead - use0.fsRead,
    mainThreadBusy: elu,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    checksum,
  });
  console.error(JSON.stringify(reads.at(-1)));
}
observer.disconnect();
report('ours-repeat', reads[0]!.seconds as number, bytes, { reads });
process.exit(0);
