import { describe, expect, it } from 'vitest';
import { type LoaderProgress, TileLoader } from '../src/tile-loader.js';

interface Job {
  key: string;
}

/** A load whose result the test decides, with the signal it was given. */
interface Pending {
  key: string;
  signal: AbortSignal;
  resolve: (v: string) => void;
  reject: (e: unknown) => void;
}

function harness(concurrency: number) {
  const started: Pending[] = [];
  const cache = new Map<string, string>();
  const errors: string[] = [];
  const progress: LoaderProgress[] = [];
  const loader = new TileLoader<Job, string>({
    concurrency,
    load: (job, signal) =>
      new Promise<string>((resolve, reject) => started.push({ key: job.key, signal, resolve, reject })),
    isReady: (key) => cache.has(key),
    onLoaded: (job, value) => cache.set(job.key, value),
    onError: (job) => errors.push(job.key),
    onProgress: (p) => progress.push(p),
  });
  const jobs = (...keys: string[]) => keys.map((key) => ({ key }));
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { loader, started, cache, errors, progress, jobs, settle };
}

describe('tile loader', () => {
  it('reads at most `concurrency` tiles at once, in the order wanted', async () => {
    const h = harness(2);
    h.loader.want(h.jobs('a', 'b', 'c', 'd'));
    expect(h.started.map((p) => p.key)).toEqual(['a', 'b']);
    h.started[1]!.resolve('B');
    await h.settle();
    expect(h.started.map((p) => p.key)).toEqual(['a', 'b', 'c']);
    expect(h.loader.progress).toEqual({ wanted: 4, ready: 1, loading: 2, failed: 0 });
  });

  it('cancels tiles that left the view and reads the new ones in their place', async () => {
    const h = harness(2);
    h.loader.want(h.jobs('a', 'b', 'c'));
    const [a, b] = h.started;
    h.loader.want(h.jobs('b', 'x', 'y')); // panned: a is gone, b still wanted
    expect(a!.signal.aborted).toBe(true);
    expect(b!.signal.aborted).toBe(false);
    expect(h.started.map((p) => p.key)).toEqual(['a', 'b', 'x']);
    a!.reject(new DOMException('aborted', 'AbortError'));
    await h.settle();
    expect(h.errors).toEqual([]); // a cancelled read is not a failure
    expect(h.loader.progress.loading).toBe(2);
  });

  it('does not read what is cached, and keeps a result that arrives after its cancellation', async () => {
    const h = harness(4);
    h.cache.set('a', 'A');
    h.loader.want(h.jobs('a', 'b'));
    expect(h.started.map((p) => p.key)).toEqual(['b']);
    h.loader.want(h.jobs('a'));
    h.started[0]!.resolve('B'); // the reader ignored the abort and finished anyway
    await h.settle();
    expect(h.cache.get('b')).toBe('B');
    expect(h.loader.progress).toEqual({ wanted: 1, ready: 1, loading: 0, failed: 0 });
  });

  it('reports a failed read once and does not retry it until asked', async () => {
    const h = harness(1);
    h.loader.want(h.jobs('a', 'b'));
    h.started[0]!.reject(new Error('404'));
    await h.settle();
    expect(h.errors).toEqual(['a']);
    expect(h.started.map((p) => p.key)).toEqual(['a', 'b']);
    h.loader.want(h.jobs('a', 'b'));
    expect(h.started).toHaveLength(2);
    expect(h.loader.progress).toEqual({ wanted: 2, ready: 0, loading: 1, failed: 1 });
    h.started[1]!.resolve('B');
    await h.settle();
    h.loader.retryFailed();
    expect(h.started.map((p) => p.key)).toEqual(['a', 'b', 'a']);
  });

  it('is idle once everything wanted is loaded, failed or cancelled', async () => {
    const h = harness(2);
    h.loader.want(h.jobs('a', 'b'));
    let idle = false;
    const done = h.loader.idle().then(() => {
      idle = true;
    });
    h.started[0]!.resolve('A');
    await h.settle();
    expect(idle).toBe(false);
    h.started[1]!.reject(new Error('broken'));
    await done;
    expect(idle).toBe(true);
    h.loader.want(h.jobs('c'));
    h.loader.cancelAll();
    expect(h.started.at(-1)!.signal.aborted).toBe(true);
    await h.loader.idle();
    // Every progress report counted only wanted tiles.
    for (const p of h.progress) expect(p.ready + p.failed).toBeLessThanOrEqual(p.wanted);
  });
});
