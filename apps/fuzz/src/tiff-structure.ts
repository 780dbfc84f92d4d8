/**
 * Where a TIFF's structural fields sit in the file: the header, each IFD (top-level chain and SubIFD trees)
 * and each entry's count and value/offset fields. Field-aware mutators overwrite exactly these bytes, which
 * reaches far deeper into a reader than random flips do. Tolerant: stops at anything out of bounds.
 */
export interface TiffEntry {
  /** File offset of the 12-byte (20 in BigTIFF) entry. */
  at: number;
  tag: number;
  type: number;
  count: number;
  /** File offset of the value/offset field. */
  valueAt: number;
}

export interface TiffIfd {
  at: number;
  entries: TiffEntry[];
  /** File offset of the next-IFD pointer. */
  nextAt: number;
}

export interface TiffStructure {
  little: boolean;
  big: boolean;
  /** Offset of the first-IFD pointer in the header. */
  firstAt: number;
  ifds: TiffIfd[];
}

const MAX_IFDS = 4096;

export class FieldView {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly little: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fits(at: number, size: number): boolean {
    return at >= 0 && at + size <= this.bytes.length;
  }
  get(at: number, size: 2 | 4 | 8): number {
    if (!this.fits(at, size)) return -1;
    if (size === 2) return this.view.getUint16(at, this.little);
    if (size === 4) return this.view.getUint32(at, this.little);
    return Number(this.view.getBigUint64(at, this.little));
  }
  set(at: number, size: 2 | 4 | 8, value: bigint): void {
    if (!this.fits(at, size)) return;
    const v = BigInt.asUintN(size * 8, value);
    if (size === 2) this.view.setUint16(at, Number(v), this.little);
    else if (size === 4) this.view.setUint32(at, Number(v), this.little);
    else this.view.setBigUint64(at, v, this.little);
  }
}

export function parseTiff(bytes: Uint8Array): TiffStructure | undefined {
  if (bytes.length < 8) return undefined;
  const little = bytes[0] === 0x49;
  const f = new FieldView(bytes, little);
  const magic = f.get(2, 2);
  const big = magic === 43;
  if (magic !== 42 && !big) return undefined;
  const word: 4 | 8 = big ? 8 : 4;
  const firstAt = big ? 8 : 4;
  const ifds: TiffIfd[] = [];
  const seen = new Set<number>();
  const queue = [f.get(firstAt, word)];
  while (queue.length && ifds.length < MAX_IFDS) {
    const at = queue.shift()!;
    if (at <= 0 || seen.has(at) || !f.fits(at, big ? 8 : 2)) continue;
    seen.add(at);
    const n = f.get(at, big ? 8 : 2);
    const entrySize = big ? 20 : 12;
    const first = at + (big ? 8 : 2);
    if (!f.fits(first, n * entrySize + word)) continue;
    const entries: TiffEntry[] = [];
    for (let i = 0; i < n; i++) {
      const e = first + i * entrySize;
      const entry = {
        at: e,
        tag: f.get(e, 2),
        type: f.get(e + 2, 2),
        count: f.get(e + 4, word),
        valueAt: e + 4 + word,
      };
      entries.push(entry);
      if (entry.tag === 330) {
        const size = entry.type === 16 || entry.type === 18 ? 8 : 4;
        const inline = entry.count * size <= word;
        const base = inline ? entry.valueAt : f.get(entry.valueAt, word);
        for (let k = 0; k < Math.min(entry.count, 64); k++) queue.push(f.get(base + k * size, size as 4 | 8));
      }
    }
    const nextAt = first + n * entrySize;
    ifds.push({ at, entries, nextAt });
    queue.push(f.get(nextAt, word));
  }
  return { little, big, firstAt, ifds };
}
