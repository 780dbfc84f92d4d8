/**
 * Coalesced range requests for a remote TIFF. A read knows every block it will fetch before it fetches one:
 * it announces their byte ranges (`expect`), neighbours in the file are merged into one request each (up to
 * MERGE_MAX_BYTES, across gaps up to MERGE_MAX_GAP), and a block's `read` is then served from its merged
 * request, which also starts the next few (`AHEAD`), so requests stay in flight while blocks decode. One
 * request per block cost a round trip per 4 KiB strip (2,558 requests for a 5 MiB OME-TIFF in a browser) and,
 * with per-request latency, left the decoders waiting.
 *
 * A merged request that fails is forgotten: its blocks are then fetched one by one as before, so hostile
 * answers (wrong ranges, short bodies) get the ordinary path's typed errors; only a server that stayed
 * unreachable through the retries fails the merged blocks at once.
 */

/** One merged request: bytes [start, end) of the file, serving the announced ranges not read yet. */
interface Group {
  start: number;
  end: number;
  /** Start offsets of the announced ranges not read yet; the bytes are let go when none is left. */
  members: number[];
  bytes?: Promise<Uint8Array>;
  plan: Group[];
  /** Position in its plan, for starting the next ones. */
  index: number;
}

/** Largest merged request: a few of them in flight keep memory small and latency × bandwidth covered. */
export const MERGE_MAX_BYTES = 8 * 2 ** 20;
/** Bytes between two blocks that are fetched (and thrown away) rather than costing another request. */
export const MERGE_MAX_GAP = 64 * 1024;
/** Merged requests in flight per read: at 20 ms per request, 4 × 8 MiB ≈ 1.6 GB/s of room. */
export const AHEAD = 4;

export class RangePlans {
  /** Announced ranges by their start offset (a block's range is read with exactly its offset). */
  private readonly byOffset = new Map<number, Array<{ length: number; group: Group }>>();

  /**
   * `fetchRange` sends one request; a merged request failing with an error that `final` accepts (the server
   * is unreachable, retries spent) fails its blocks with it, instead of each of them trying again.
   */
  constructor(
    private readonly fetchRange: (offset: number, length: number) => Promise<Uint8Array>,
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
        group = { start: offset, end, members: [], plan, index: plan.length };
        plan.push(group);
      }
      group.members.push(offset);
      const list = this.byOffset.get(offset) ?? [];
      list.push({ length, group });
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
    const group = this.find(offset, length);
    if (!group) return undefined;
    const { plan } = group;
    for (let i = group.index; i < Math.min(plan.length, group.index + AHEAD); i++) this.start(plan[i]!);
    const pending = group.bytes!;
    this.consume(group, offset, length);
    let bytes: Uint8Array;
    try {
      bytes = await pending;
    } catch (err) {
      if (this.final(err)) throw err;
      this.drop(group);
      return undefined;
    }
    const from = offset - group.start;
    return bytes.slice(from, from + length);
  }

  private find(offset: number, length: number): Group | undefined {
    return this.byOffset.get(offset)?.find((r) => r.length === length)?.group;
  }

  /** One range of `group` is read: forget it, and the group's bytes once all its ranges are read. */
  private consume(group: Group, offset: number, length: number): void {
    this.remove(offset, (r) => r.group === group && r.length === length, true);
    group.members.splice(group.members.indexOf(offset), 1);
    // Those awaiting the bytes hold them; the plan no longer needs to.
    if (group.members.length === 0) group.bytes = undefined;
  }

  private start(group: Group): void {
    if (group.bytes || group.members.length === 0) return;
    group.bytes = this.fetchRange(group.start, group.end - group.start);
    // Awaited by take(); a failure nobody awaits yet must not be an unhandled rejection.
    group.bytes.catch(() => undefined);
  }

  /** Forget a group's ranges (not read, or its request failed): they are fetched alone if read. */
  private drop(group: Group): void {
    for (const offset of group.members) this.remove(offset, (r) => r.group === group, false);
    group.members = [];
    group.bytes = undefined;
  }

  /** Remove the first (`one`) or every entry at `offset` that `match`es. */
  private remove(
    offset: number,
    match: (r: { length: number; group: Group }) => boolean,
    one: boolean,
  ): void {
    const list = this.byOffset.get(offset);
    if (!list) return;
    for (let i = list.length - 1; i >= 0; i--) {
      if (!match(list[i]!)) continue;
      list.splice(i, 1);
      if (one) break;
    }
    if (list.length === 0) this.byOffset.delete(offset);
  }
}
