/** What the pool needs from a platform's workers (worker_threads on Node, Web Workers in a browser). */
export interface PlatformWorker {
  post(message: unknown, transfer: ArrayBuffer[]): void;
  /** The message shape is the pool's business; each platform passes it through. */
  onMessage(fn: (message: any) => void): void;
  onError(fn: (err: Error) => void): void;
  onExit(fn: (code: number) => void): void;
  /** Keep the process alive (a pending task); no-op in a browser. */
  ref(): void;
  /** Let the process exit (idle); no-op in a browser. */
  unref(): void;
  terminate(): Promise<void>;
}

/** A codec: input bytes and params → output bytes; `into` is memory the caller would like the result in. */
export type CodecFn = (
  input: Uint8Array,
  params: Record<string, unknown>,
  into?: Uint8Array,
) => Uint8Array | Promise<Uint8Array>;

export type CodecTable = Record<string, CodecFn>;
