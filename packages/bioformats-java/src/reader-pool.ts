/**
 * A small pool of Bio-Formats readers on one file. A Java reader is not thread-safe, so each is lent to one
 * call at a time; several readers on one file let region reads decode on several cores (node-java runs each
 * `...Promise` call on a libuv thread). The first reader is opened eagerly (it yields the metadata); the
 * others are opened on demand, when a call waits for a reader or asks for more than are idle (`takeIdle`),
 * by the caller's `openAnother` (reader.ts: through Bio-Formats' Memoizer for files slow to initialise).
 */
import type { JavaObject } from './jvm.js';

export interface Lease {
  reader: JavaObject;
  /** Makes the reader point at a series/resolution (skipping the JNI calls when it already does). */
  select(series: number, level: number): void;
}

class Slot implements Lease {
  private series = -1;
  private level = -1;
  constructor(readonly reader: JavaObject) {}
  select(series: number, level: number): void {
    if (series !== this.series) {
      this.reader.setSeriesSync(series);
      this.series = series;
      this.level = 0;
    }
    if (level !== this.level) {
      this.reader.setResolutionSync(level);
      this.level = level;
    }
  }
}

export class ReaderPool {
  private readonly all: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly waiting: Array<(slot: Slot) => void> = [];
  private opening = 0;
  private closed = false;

  constructor(
    first: JavaObject,
    private max: number,
    private readonly openAnother: () => Promise<JavaObject>,
  ) {
    const slot = new Slot(first);
    this.all.push(slot);
    this.idle.push(slot);
  }

  /** Readers opened so far. */
  get size(): number {
    return this.all.length;
  }

  /** Most readers this pool will open. */
  get capacity(): number {
    return this.max;
  }

  async acquire(): Promise<Lease> {
    const slot = this.idle.pop();
    if (slot) return slot;
    if (this.all.length + this.opening < this.max) this.grow();
    return new Promise<Slot>((resolve) => this.waiting.push(resolve));
  }

  /**
   * Up to `n` readers that are idle right now (none waited for). Asks for another reader to be opened when
   * fewer are idle and the pool may grow: a later call gets it.
   */
  takeIdle(n: number): Lease[] {
    const taken = this.idle.splice(Math.max(0, this.idle.length - n));
    if (taken.length < n && this.all.length + this.opening < this.max) this.grow();
    return taken;
  }

  release(lease: Lease): void {
    const slot = lease as Slot;
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  private grow(): void {
    this.opening++;
    this.openAnother().then(
      (reader) => {
        this.opening--;
        if (this.closed) {
          reader.closePromise().catch(() => {});
          return;
        }
        const slot = new Slot(reader);
        this.all.push(slot);
        this.release(slot);
      },
      () => {
        // An extra reader is an optimisation: if it cannot open, the existing readers serve the queue.
        this.opening--;
        this.max = this.all.length;
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.all.map((s) => s.reader.closePromise().catch(() => {})));
  }
}
