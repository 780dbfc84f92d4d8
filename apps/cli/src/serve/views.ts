/**
 * Store views of the served images, opened on first request and kept for the next ones: at most `maxOpen`
 * at a time (the least recently used idle view is closed to make room), each with a bounded chunk cache, so
 * the server's memory does not grow with the number of files it serves. Requests hold a view while they use
 * it; a view is never closed under a request.
 */
import { openStoreView, type StoreView, type StoreViewOptions } from '@bfio/zarr';

interface Slot {
  view: Promise<StoreView>;
  users: number;
  lastUsed: number;
}

export class ViewCache {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly options: StoreViewOptions,
    private readonly maxOpen: number,
  ) {}

  /** Runs `use` with the view of `path` (opened now if needed), released when `use` settles. */
  async with<T>(path: string, use: (view: StoreView) => Promise<T>): Promise<T> {
    let slot = this.slots.get(path);
    if (!slot) {
      const view = openStoreView(path, this.options);
      slot = { view, users: 0, lastUsed: Date.now() };
      this.slots.set(path, slot);
      // A file that fails to open is not kept: the next request tries again (and reports the error again).
      view.catch(() => {
        if (this.slots.get(path) === slot) this.slots.delete(path);
      });
    }
    slot.users++;
    slot.lastUsed = Date.now();
    try {
      return await use(await slot.view);
    } finally {
      slot.users--;
      slot.lastUsed = Date.now();
      await this.evict();
    }
  }

  get open(): number {
    return this.slots.size;
  }

  /** Closes idle views, least recently used first, until at most `maxOpen` remain. */
  private async evict(): Promise<void> {
    if (this.slots.size <= this.maxOpen) return;
    const idle = [...this.slots.entries()]
      .filter(([, s]) => s.users === 0)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    const closing: Array<Promise<void>> = [];
    for (const [path, slot] of idle) {
      if (this.slots.size <= this.maxOpen) break;
      this.slots.delete(path);
      closing.push(slot.view.then((v) => v.close()).catch(() => undefined));
    }
    await Promise.all(closing);
  }

  /** Closes every view (the server has finished its requests). */
  async close(): Promise<void> {
    const all = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(all.map((s) => s.view.then((v) => v.close()).catch(() => undefined)));
  }
}
