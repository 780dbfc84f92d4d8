/**
 * A one-line progress bar (tiles done, MB/s, ETA) on a TTY; silent when the stream is piped, so scripts
 * and logs see only the final summary.
 */
export class Progress {
  #stream: NodeJS.WriteStream;
  #label: string;
  #start = Date.now();
  #last = 0;
  #shown = false;

  constructor(stream: NodeJS.WriteStream, label: string) {
    this.#stream = stream;
    this.#label = label;
  }

  get enabled(): boolean {
    return Boolean(this.#stream.isTTY);
  }

  update(done: number, total: number, bytes: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.#last < 100 && done < total) return;
    this.#last = now;
    const seconds = Math.max((now - this.#start) / 1000, 1e-3);
    const rate = bytes / 1e6 / seconds;
    const eta = done > 0 ? ((total - done) * seconds) / done : 0;
    const width = 30;
    const filled = Math.round((width * done) / Math.max(total, 1));
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    this.#stream.write(
      `\r${this.#label} [${bar}] ${done}/${total} tiles  ${rate.toFixed(1)} MB/s  ETA ${eta.toFixed(0)} s `,
    );
    this.#shown = true;
  }

  done(): void {
    if (this.#shown) this.#stream.write('\n');
    this.#shown = false;
  }
}
