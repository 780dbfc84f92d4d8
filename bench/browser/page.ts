/**
 * The browser bench's page (bundled by Vite, driven by run.ts): full reads of one image over HTTP by bfio
 * (BioReader with @bfio/tiff / @bfio/zarr) and by its browser peers — geotiff.js with its worker `Pool`, and
 * zarrita.js with its default codec registry (numcodecs' WASM zstd) — each timed, with the main thread's
 * long tasks and event-loop gaps recorded while it runs, and the pixels reduced to checksums outside the
 * timed part.
 */
import { setSharedWorkerPool, WorkerPool } from '@bfio/codecs';
import { BioReader } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import { fromUrl, Pool } from 'geotiff';
import * as zarr from 'zarrita';

export type ReaderName = 'ours-tiff' | 'geotiff' | 'ours-zarr' | 'zarrita';

/** What one full read reports back to run.ts. */
export interface ReadResult {
  reader: ReaderName;
  /** Wall time of open + full read, ms. */
  ms: number;
  /** Of which opening (headers, IFDs / metadata), ms. */
  openMs: number;
  /** Decoded pixel bytes. */
  bytes: number;
  /** Whether the result array lives on a SharedArrayBuffer. */
  sharedOutput: boolean;
  /** Sum of a[::97, ::89] (bench/lib/peers.py's read checksum), computed after the timed part. */
  sampleSum: number;
  /** SHA-256 of the 16 SHA-256s of 1024-row bands (when asked; see bandedSha256). */
  sha256?: string;
  /** PerformanceObserver 'longtask' entries (> 50 ms) that started during the read. */
  longTasks: { count: number; maxMs: number; totalMs: number; top: number[] };
  /** Longest gaps between setTimeout(0) turns and between animation frames during the read, ms. */
  gapMs: { timeout: number; frame: number };
}

/** Records long tasks and event-loop gaps from `start()` until `stop()` resolves. */
function mainThreadProbe() {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  let running = true;
  let timeoutGap = 0;
  let frameGap = 0;
  let t0 = 0;
  // setTimeout(0) turns: each waits for whatever task holds the thread (4 ms clamp after nesting).
  let lastTick = 0;
  const tick = () => {
    const now = performance.now();
    timeoutGap = Math.max(timeoutGap, now - lastTick);
    lastTick = now;
    if (running) setTimeout(tick, 0);
  };
  let lastFrame = 0;
  const frame = (now: number) => {
    if (lastFrame > 0) frameGap = Math.max(frameGap, now - lastFrame);
    lastFrame = now;
    if (running) requestAnimationFrame(frame);
  };
  return {
    start() {
      observer.observe({ type: 'longtask', buffered: false });
      t0 = performance.now();
      lastTick = t0;
      setTimeout(tick, 0);
      requestAnimationFrame(frame);
    },
    async stop(): Promise<ReadResult['longTasks'] & { gapMs: ReadResult['gapMs'] }> {
      const t1 = performance.now();
      // Long-task entries are delivered after the task ends: give the observer a frame and a turn.
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
      running = false;
      entries.push(...observer.takeRecords());
      observer.disconnect();
      const mine = entries.filter((e) => e.startTime >= t0 - 1 && e.startTime <= t1);
      const durations = mine.map((e) => e.duration).sort((a, b) => b - a);
      return {
        count: durations.length,
        maxMs: durations[0] ?? 0,
        totalMs: durations.reduce((a, b) => a + b, 0),
        top: durations.slice(0, 5).map((d) => Math.round(d)),
        gapMs: { timeout: timeoutGap, frame: frameGap },
      };
    },
  };
}

/** Sum of a[::97, ::89] of a width-wide uint16 image: peers.py's checksum, for a cheap check of every read. */
function sampleSum(data: Uint16Array, width: number): number {
  const height = data.length / width;
  let sum = 0;
  for (let y = 0; y < height; y += 97) for (let x = 0; x < width; x += 89) sum += data[y * width + x]!;
  return sum;
}

/**
 * SHA-256 over the SHA-256s of consecutive `bandRows`-row bands (WebCrypto hashes one buffer at a time, and
 * not views of shared memory: each band is copied first). checksum.py computes the same from the peers.
 */
async function bandedSha256(data: Uint16Array, width: number, bandRows = 1024): Promise<string> {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const band = width * bandRows * 2;
  const digests: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += band) {
    const piece = bytes.slice(at, Math.min(at + band, bytes.length));
    digests.push(new Uint8Array(await crypto.subtle.digest('SHA-256', piece)));
  }
  const all = new Uint8Array(digests.length * 32);
  for (const [i, d] of digests.entries()) all.set(d, i * 32);
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', all))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

/**
 * zarrita's codec registry as zarrita ships it. @bfio/zarr points the registry (module-global, and the page
 * bundles one zarrita for both) at its own codecs when it first opens a store — zstd then runs on our worker
 * pool — so the peer's reads put the defaults back, and ours put ours back. Taken at load, before any open.
 */
const zarritaDefaults = new Map(zarr.registry);
let oursRegistry: Map<string, unknown> | undefined;

function useRegistry(entries: Map<string, unknown> | undefined): void {
  if (!entries) return;
  for (const [name, factory] of entries) zarr.registry.set(name, factory as never);
}

let geotiffPool: Pool | undefined;
/** Our readers' worker count (profile.ts's --workers); undefined: the defaults (one per core). */
let ourWorkers: number | undefined;

/** One full read by `reader` of `url`: open, read everything, close; the pixels as uint16 and their width. */
async function fullRead(reader: ReaderName, url: string, opened: () => void) {
  switch (reader) {
    case 'ours-tiff':
    case 'ours-zarr': {
      useRegistry(oursRegistry);
      const r = await BioReader.open(url, ourWorkers ? { maxWorkers: ourWorkers } : {});
      if (reader === 'ours-zarr') oursRegistry ??= new Map(zarr.registry);
      opened();
      try {
        const { data } = await r.read();
        return { data: data as Uint16Array, width: r.shape[1] };
      } finally {
        await r.close();
      }
    }
    case 'geotiff': {
      // As geotiff.js documents it: one Pool (a worker per core) passed to readRasters.
      geotiffPool ??= new Pool(navigator.hardwareConcurrency);
      const tiff = await fromUrl(url);
      const image = await tiff.getImage();
      opened();
      const rasters = await image.readRasters({ pool: geotiffPool });
      tiff.close();
      return { data: rasters[0] as Uint16Array, width: image.getWidth() };
    }
    case 'zarrita': {
      useRegistry(zarritaDefaults);
      const array = await zarr.open(new zarr.FetchStore(url), { kind: 'array' });
      opened();
      const chunk = await zarr.get(array);
      return { data: chunk.data as Uint16Array, width: chunk.shape[chunk.shape.length - 1]! };
    }
  }
}

const bench = {
  facts: () => ({
    crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    cores: navigator.hardwareConcurrency,
    agent: navigator.userAgent,
  }),

  /** For looking into the figures (profile.ts): our codec pool and readers with `n` workers. */
  async useWorkers(n: number) {
    ourWorkers = n;
    await setSharedWorkerPool(new WorkerPool({ maxWorkers: n }));
  },

  /** One timed full read; `hash`: also the full-array checksum (after the timing). */
  async read(reader: ReaderName, url: string, hash: boolean): Promise<ReadResult> {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 100));
    const probe = mainThreadProbe();
    probe.start();
    const t0 = performance.now();
    let tOpen = t0;
    const { data, width } = await fullRead(reader, url, () => {
      tOpen = performance.now();
    });
    const ms = performance.now() - t0;
    const { gapMs, ...longTasks } = await probe.stop();
    return {
      reader,
      ms,
      openMs: tOpen - t0,
      bytes: data.byteLength,
      sharedOutput: typeof SharedArrayBuffer === 'function' && data.buffer instanceof SharedArrayBuffer,
      sampleSum: sampleSum(data, width),
      sha256: hash ? await bandedSha256(data, width) : undefined,
      longTasks,
      gapMs,
    };
  },
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
