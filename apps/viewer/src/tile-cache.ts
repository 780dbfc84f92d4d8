/**
 * A least-recently-used cache bounded in bytes: decoded tiles stay while the user pans back and forth,
 * and a long session over a large slide never holds more than the bound.
 */
export class TileCache<V> {
  readonly maxBytes: number;
  #entries = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;
  /** Called for each entry pushed out by the bound (not for `delete`/`clear`). */
  onEvict?: (key: string, value: V) => void;

  constructor(maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`TileCache: maxBytes must be positive, got ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** The value without touching its age (for drawing fallbacks that should not keep old tiles alive). */
  peek(key: string): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /**
   * Stores a value of `bytes`, evicting the least recently used entries until the total fits. A value
   * larger than the whole bound is not kept (it would evict everything and still not fit).
   */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [oldKey, old] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldKey);
      this.#bytes -= old.bytes;
      this.onEvict?.(oldKey, old.value);
    }
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
