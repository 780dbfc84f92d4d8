/**
 * Coalesced range requests for a remote TIFF. A read knows every block it will fetch before it fetches one:
 * it announces their byte ranges (`expect`), neighbours in the file are merged into one request each (up to
 * MERGE_MAX_BYTES, across gaps up to MERGE_MAX_GAP), and a block's `read` is then served from its merged
 * request, which also starts the next few (`AHEAD`), so requests stay in flight while blocks decode. One
 * request per block cost a round trip per 4 KiB strip (2,558 requests for a 5 MiB OME-TIFF in a browser) and,
 * with per-request latency, left the decoders waiting. A merged answer is streamed straight into each
 * block's own buffer, and a block is handed out as soon as its bytes are in: its decoding overlaps the rest of
 * the response, and no buffer of the whole request is made and copied from (on Node that concatenation and
 * the slices cost ~0.3–0.5 CPU-s of the main thread per 250 MB).
 *
 * A merged request that fails is forgotten: its blocks are then fetched one by one as before, so hostile
 * answers (wrong ranges, short bodies) get the ordinary path's typed errors; only a server that stayed
 * unreachable through the retries fails the merged blocks at once.
 */

import { allocBytes } from '#platform';

/** One announced range: its own buffer, filled while its merged request streams in. */
interface Member {
  offset: number;
  length: number;
  group: Group;
  bytes?: Uint8Array;
  filled: number;
  /** Settles when its bytes are in (or its request failed); set when the group's request starts. */
  result?: Promise<Uint8Array>;
  resolve?: (bytes: Uint8Array) => void;
  reject?: (err: unknown) => void;
}

/** One merged request: bytes [start, end) of the file, serving the announced ranges not read yet. */
interface Group {
  start: number;
  end: number;
  /** Announced ranges not read yet; their buffers are let go when they are read or forgotten. */
  members: Member[];
  started: boolean;
  plan: Group[];
  /** Position in its plan, for starting the next ones. */
  index: number;
}

/**
 * Sends one request for `length` bytes at `offset` and passes the body on as it comes (`sink(chunk, at)`,
 * `at` counted from `offset`); resolves once all of them came, rejects on any failure or a short body.
 */
export type StreamRange = (
  offset: number,
  length: number,
  sink: (chunk: Uint8Array, at: number) => void,
) => Promise<void>;

/** Largest merged request: a few of them in flight keep memory small and latency × bandwidth covered. */
export const MERGE_MAX_BYTES = 8 * 2 ** 20;
/** Bytes between two blocks that are fetched (and thrown away) rather than costing another request. */
export const MERGE_MAX_GAP = 64 * 1024;
/** Merged requests in flight per read: at 20 ms per request, 4 × 8 MiB ≈ 1.6 GB/s of room. */
export const AHEAD = 4;

export class RangePlans {
  /** Announced ranges by their start offset (a block's range is read with exactly its offset). */
  private readonly byOffset = new Map<number, Member[]>();

  /**
   * `streamRange` sends one request; a merged request failing with an error that `final` accepts (the
   * server is unreachable, retries spent) fails its blocks with it, instead of each of them trying again.
   */
  constructor(
    private readonly streamRange: StreamRange,
    private readonly final: (err: unknown) => boolean = () => false,
  ) {}

  /**
   * Announce the ranges a read is about to fetch, in the order it will read them. Returns a function that
   * forgets whatever of them was not read (call it when the read ends, however it ends).
   */
  expect(ranges: ReadonlyArray<{ offset: number; length: number }>): () => void {
    const plan: Group[] = [];
    let group: Group | undefined;
    for (const { offset, length } of ranges) {
      if (length <= 0) continue;
      const end = offset + length;
      if (
        group &&
        offset >= group.start &&
        offset <= group.end + MERGE_MAX_GAP &&
        Math.max(end, group.end) - group.start <= MERGE_MAX_BYTES
      ) {
        group.end = Math.max(group.end, end);
      } else {
        group = { start: offset, end, members: [], started: false, plan, index: plan.length };
        plan.push(group);
      }
      const member: Member = { offset, length, group, filled: 0 };
      group.members.push(member);
      const list = this.byOffset.get(offset) ?? [];
      list.push(member);
      this.byOffset.set(offset, list);
    }
    // A group of one range gains nothing: its block is fetched on its own, as before (so a browser's codec
    // worker may still fetch it itself).
    for (const g of plan) if (g.members.length === 1) this.drop(g);
    return () => {
      for (const g of plan) this.drop(g);
    };
  }

  /** Whether `offset, length` will be served from a merged request (so it should not be fetched alone). */
  merged(offset: number, length: number): boolean {
    return this.find(offset, length) !== undefined;
  }

  /**
   * The bytes of an announced range (its own buffer, so it can be moved to a worker), or undefined when the
   * range was not announced, was read already, or its merged request failed: the caller fetches it alone.
   */
  async take(offset: number, length: number): Promise<Uint8Array | undefined> {
    const member = this.find(offset, length);
    if (!member) return undefined;
    const { group } = member;
    const { plan } = group;
    for (let i = group.index; i < Math.min(plan.length, group.index + AHEAD); i++) this.start(plan[i]!);
    this.consume(member);
    try {
      return await member.result!;
    } catch (err) {
      if (this.final(err)) throw err;
      this.drop(group);
      return undefined;
    }
  }

  private find(offset: number, length: number): Member | undefined {
    return this.byOffset.get(offset)?.find((m) => m.length === length);
  }

  /** A range is read: forget it (its buffer goes with the caller). */
  private consume(member: Member): void {
    this.remove(member);
    const { members } = member.group;
    members.splice(members.indexOf(member), 1);
  }

  private start(group: Group): void {
    if (group.started || group.members.length === 0) return;
    group.started = true;
    // By offset, so a chunk of the answer finds the ranges it fills from the first one not complete yet.
    const order = [...group.members].sort((a, b) => a.offset - b.offset);
    for (const m of order) {
      // Not zero-filled (~0.1 s per 250 MB): a range is handed out only once every byte of it came.
      m.bytes = allocBytes(m.length);
      m.result = new Promise<Uint8Array>((resolve, reject) => {
        m.resolve = resolve;
        m.reject = reject;
      });
      // Awaited by take(); a failure nobody awaits (a range never read) must not be an unhandled rejection.
      m.result.catch(() => undefined);
    }
    let first = 0;
    const sink = (chunk: Uint8Array, at: number) => {
      const from = group.start + at;
      const to = from + chunk.length;
      for (let i = first; i < order.length && order[i]!.offset < to; i++) {
        const m = order[i]!;
        if (!m.bytes) continue; // forgotten meanwhile
        const a = Math.max(from, m.offset);
        const b = Math.min(to, m.offset + m.length);
        if (b <= a) continue;
        m.bytes!.set(chunk.subarray(a - from, b - from), a - m.offset);
        m.filled += b - a;
        if (m.filled === m.length) m.resolve!(m.bytes!);
      }
      while (first < order.length && (!order[first]!.bytes || order[first]!.filled === order[first]!.length))
        first++;
    };
    this.streamRange(group.start, group.end - group.start, sink).then(
      () => {
        for (const m of order)
          if (m.filled < m.length) m.reject!(new Error(`the merged request ended before byte ${m.offset}`));
      },
      (err: unknown) => {
        for (const m of order) if (m.filled < m.length) m.reject!(err);
      },
    );
  }

  /** Forget a group's ranges (not read, or its request failed): they are fetched alone if read. */
  private drop(group: Group): void {
    for (const m of group.members) {
      this.remove(m);
      m.bytes = undefined;
    }
    group.members = [];
  }

  private remove(member: Member): void {
    const list = this.byOffset.get(member.offset);
    if (!list) return;
    const i = list.indexOf(member);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byOffset.delete(member.offset);
  }
}
