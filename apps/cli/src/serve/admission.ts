/**
 * Back-pressure for `bfio serve`: at most `max` requests are served at once, up to `maxQueued` more wait
 * their turn in arrival order, and any beyond that are turned away (the server answers 503 + Retry-After).
 */
export class Admission {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxQueued: number,
  ) {}

  /** Waits for a turn; false when the queue is full (the caller answers 503). */
  async enter(): Promise<boolean> {
    if (this.active < this.max) {
      this.active++;
      return true;
    }
    if (this.waiting.length >= this.maxQueued) return false;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return true;
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
