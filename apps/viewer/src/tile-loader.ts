/**
 * Loads the tiles a view wants, a few at a time, most important first, and cancels the ones the view no
 * longer wants (panned or zoomed away) so a fast pan never waits behind tiles that left the screen.
 * It knows nothing of images: `load` reads a job, `isReady` says whether its result is already cached.
 */

export interface LoaderProgress {
  /** Tiles the current view wants. */
  wanted: number;
  /** Of those, how many are ready (cached). */
  ready: number;
  /** Reads under way. */
  loading: number;
  /** Wanted tiles whose read failed (not retried until `retryFailed`). */
  failed: number;
}

export interface TileLoaderOptions<J extends { key: string }, V> {
  load: (job: J, signal: AbortSignal) => Promise<V>;
  isReady: (key: string) => boolean;
  /** A read finished: cache the value (called even for a job cancelled after its read completed). */
  onLoaded: (job: J, value: V) => void;
  onError?: (job: J, error: unknown) => void;
  onProgress?: (progress: LoaderProgress) => void;
  /** Reads at once (default 6, the per-host connection limit of HTTP/1.1 browsers). */
  concurrency?: number;
}

export class TileLoader<J extends { key: string }, V> {
  readonly #options: TileLoaderOptions<J, V>;
  readonly #concurrency: number;
  #wanted: J[] = [];
  #inFlight = new Map<string, AbortController>();
  #failed = new Set<string>();
  #idleWaiters: Array<() => void> = [];

  constructor(options: TileLoaderOptions<J, V>) {
    this.#options = options;
    this.#concurrency = Math.max(1, options.concurrency ?? 6);
  }

  /**
   * Replaces what the view wants, in priority order. Reads of tiles no longer wanted are aborted; new
   * ones start while there is room.
   */
  want(jobs: readonly J[]): void {
    const seen = new Set<string>();
    this.#wanted = jobs.filter((j) => !seen.has(j.key) && seen.add(j.key));
    for (const [key, controller] of this.#inFlight) {
      if (!seen.has(key)) {
        controller.abort();
        this.#inFlight.delete(key);
      }
    }
    this.#pump();
  }

  /** Aborts everything (a new image, or the page closing). */
  cancelAll(): void {
    this.#wanted = [];
    for (const controller of this.#inFlight.values()) controller.abort();
    this.#inFlight.clear();
    this.#pump();
  }

  /** Tries the failed tiles again (the user asked to, or a new image). */
  retryFailed(): void {
    this.#failed.clear();
    this.#pump();
  }

  get progress(): LoaderProgress {
    let ready = 0;
    let failed = 0;
    for (const job of this.#wanted) {
      if (this.#options.isReady(job.key)) ready++;
      else if (this.#failed.has(job.key)) failed++;
    }
    return { wanted: this.#wanted.length, ready, loading: this.#inFlight.size, failed };
  }

  /** Resolves once nothing is loading or waiting to load. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #pending(job: J): boolean {
    return !this.#inFlight.has(job.key) && !this.#failed.has(job.key) && !this.#options.isReady(job.key);
  }

  #isIdle(): boolean {
    return this.#inFlight.size === 0 && !this.#wanted.some((j) => this.#pending(j));
  }

  #pump(): void {
    for (const job of this.#wanted) {
      if (this.#inFlight.size >= this.#concurrency) break;
      if (this.#pending(job)) this.#start(job);
    }
    this.#options.onProgress?.(this.progress);
    if (this.#isIdle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #start(job: J): void {
    const controller = new AbortController();
    this.#inFlight.set(job.key, controller);
    const mine = () => this.#inFlight.get(job.key) === controller;
    this.#options.load(job, controller.signal).then(
      (value) => {
        if (mine()) this.#inFlight.delete(job.key);
        this.#options.onLoaded(job, value);
        this.#pump();
      },
      (error: unknown) => {
        if (!mine()) return; // cancelled: its abort error is expected, and the slot is already free
        this.#inFlight.delete(job.key);
        this.#failed.add(job.key);
        this.#options.onError?.(job, error);
        this.#pump();
      },
    );
  }
}
