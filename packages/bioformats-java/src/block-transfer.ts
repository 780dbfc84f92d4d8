/**
 * The contract every Java → Node transfer route meets (byte[], /dev/shm, JNI). Its own module so the routes
 * (transfer.ts, transfer-jni.ts) depend on it and not on each other.
 */

/** One rectangle (x, y, w, h) of a plane: `length` bytes. */
export interface Block {
  x: number;
  y: number;
  w: number;
  h: number;
  length: number;
  /** Where the bytes go (exactly `length`, or `nos.length × length` for a list), else a scratch buffer. */
  into?: Uint8Array;
  /**
   * Call Java synchronously on the main thread. node-java's async calls run on a libuv thread and come back
   * through the event loop; for a read of a few ms those two hand-offs cost as much as the copy itself (CZI,
   * DV: 0.75 → ≥ 0.8 of plain Java). The price is an event loop blocked for the whole call, so the caller only
   * asks for it on small requests (reader.ts, runSmall). A pipelined list is always asynchronous.
   */
  sync?: boolean;
}

export interface BlockTransfer {
  readonly kind: 'jni' | 'shm' | 'bytes';
  /**
   * Reads `block` of plane `no`. Fills `block.into` when given and returns it, or returns a buffer holding the
   * bytes (valid until the next call on this transfer).
   */
  read(no: number, block: Block): Promise<Uint8Array>;
  /**
   * The same block of several planes in one bridge call (small planes: the call overhead dominates). Returns
   * the blocks one after another (`nos.length × length` bytes), in `block.into` when given.
   */
  readMany(nos: number[], block: Block): Promise<Uint8Array>;
  close(): void;
}
