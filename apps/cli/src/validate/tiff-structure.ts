/**
 * A deliberately independent, distrustful walk of a TIFF's structure for `bfio validate`: the header, the IFD
 * chain and SubIFD trees (stopping at loops and at offsets outside the file) and the tags the structural rules
 * need. It never allocates more than the file holds and records what it could not follow instead of throwing,
 * so the rules can say what is wrong and where.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CorruptFileError } from '@bfio/core';

export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  PlanarConfiguration: 284,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SubIFDs: 330,
} as const;

/** Bytes per value of each TIFF field type (0: unknown type). */
const TYPE_SIZE = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8];

export interface Entry {
  type: number;
  count: number;
  /** Absolute position of the value bytes (inside the entry when they fit). */
  pos: number;
  /** Byte length of the values (count × type size). */
  bytes: number;
}

export interface Ifd {
  /** "IFD 3" or "IFD 0 SubIFD 1". */
  name: string;
  offset: number;
  entries: Map<number, Entry>;
  /** Offset of the next IFD in its chain (0: end). */
  next: number;
}

/** An offset the walk could not follow. */
export interface BadLink {
  from: string;
  offset: number;
  reason: 'outside' | 'loop' | 'entries-outside';
}

export interface TiffStructure {
  size: number;
  bigTiff: boolean;
  /** The main chain, in order. */
  ifds: Ifd[];
  /** SubIFDs of each main IFD (by its index), in order. */
  subIfds: Map<number, Ifd[]>;
  badLinks: BadLink[];
  /** Tags whose out-of-line values lie (partly) outside the file. */
  badValues: Array<{ ifd: string; tag: number; pos: number; bytes: number }>;
  read(pos: number, len: number): Buffer;
  /** Numeric values of a tag (undefined: absent, unreadable or not numeric). */
  values(ifd: Ifd, tag: number): number[] | undefined;
  /** ASCII value of a tag, without trailing NULs. */
  text(ifd: Ifd, tag: number): string | undefined;
}

const MAX_IFDS = 1_000_000;

/**
 * Walks `path` and hands the structure to `use` (its reads need the file open); throws CorruptFileError only
 * when it is not a TIFF at all.
 */
export function withTiffStructure<T>(path: string, use: (s: TiffStructure) => T): T {
  const fd = openSync(path, 'r');
  try {
    return use(walk(path, fd));
  } finally {
    closeSync(fd);
  }
}

/** Whether the first bytes are a TIFF or BigTIFF header. */
export function isTiffHeader(head: Buffer): boolean {
  if (head.length < 4) return false;
  const order = head.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return false;
  const magic = order === 'II' ? head.readUInt16LE(2) : head.readUInt16BE(2);
  return magic === 42 || magic === 43;
}

function walk(path: string, fd: number): TiffStructure {
  const size = fstatSync(fd).size;
  const read = (pos: number, len: number): Buffer => {
    const b = Buffer.alloc(Math.max(0, Math.min(len, size - pos)));
    if (b.length) readSync(fd, b, 0, b.length, pos);
    return b;
  };
  const head = read(0, 16);
  if (!isTiffHeader(head)) throw new CorruptFileError(path, 'not a TIFF (no II*/MM* header)', 0);
  const le = head.toString('latin1', 0, 2) === 'II';
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const bigTiff = u16(head, 2) === 43;
  if (head.length < (bigTiff ? 16 : 8)) throw new CorruptFileError(path, 'the TIFF header is cut short', 0);
  const entrySize = bigTiff ? 20 : 12;
  const countSize = bigTiff ? 8 : 2;
  const offSize = bigTiff ? 8 : 4;
  const inline = bigTiff ? 8 : 4;
  const seen = new Set<number>();
  const badLinks: BadLink[] = [];

  const parse = (offset: number, name: string, from: string): Ifd | undefined => {
    if (offset < 8 || offset + countSize > size) {
      badLinks.push({ from, offset, reason: 'outside' });
      return undefined;
    }
    if (seen.has(offset)) {
      badLinks.push({ from, offset, reason: 'loop' });
      return undefined;
    }
    seen.add(offset);
    const cb = read(offset, countSize);
    const n = bigTiff ? u64(cb, 0) : u16(cb, 0);
    const end = offset + countSize + n * entrySize + offSize;
    if (end > size) {
      badLinks.push({ from, offset, reason: 'entries-outside' });
      return undefined;
    }
    const buf = read(offset + countSize, n * entrySize + offSize);
    const entries = new Map<number, Entry>();
    for (let i = 0; i < n; i++) {
      const e = i * entrySize;
      const type = u16(buf, e + 2);
      const count = bigTiff ? u64(buf, e + 4) : u32(buf, e + 4);
      const bytes = count * (TYPE_SIZE[type] ?? 0);
      const valueAt = offset + countSize + e + (bigTiff ? 12 : 8);
      const pos = bytes <= inline ? valueAt : bigTiff ? u64(buf, e + 12) : u32(buf, e + 8);
      entries.set(u16(buf, e), { type, count, pos, bytes });
    }
    const next = bigTiff ? u64(buf, n * entrySize) : u32(buf, n * entrySize);
    return { name, offset, entries, next };
  };

  const badValues: TiffStructure['badValues'] = [];
  const values = (ifd: Ifd, tag: number): number[] | undefined => {
    const e = ifd.entries.get(tag);
    if (!e || !TYPE_SIZE[e.type] || e.pos + e.bytes > size) return undefined;
    const b = read(e.pos, e.bytes);
    const out = new Array<number>(e.count);
    for (let i = 0; i < e.count; i++) {
      switch (e.type) {
        case 1:
        case 7:
          out[i] = b[i] as number;
          break;
        case 3:
          out[i] = u16(b, i * 2);
          break;
        case 4:
        case 13:
          out[i] = u32(b, i * 4);
          break;
        case 16:
        case 18:
          out[i] = u64(b, i * 8);
          break;
        default:
          return undefined;
      }
    }
    return out;
  };
  const text = (ifd: Ifd, tag: number): string | undefined => {
    const e = ifd.entries.get(tag);
    if (!e || e.pos + e.bytes > size) return undefined;
    return read(e.pos, e.bytes).toString('utf8').replace(/\0+$/, '');
  };
  const noteValues = (ifd: Ifd) => {
    for (const [tag, e] of ifd.entries) {
      if (e.pos + e.bytes > size) badValues.push({ ifd: ifd.name, tag, pos: e.pos, bytes: e.bytes });
    }
  };

  const ifds: Ifd[] = [];
  const subIfds = new Map<number, Ifd[]>();
  let offset = bigTiff ? u64(head, 8) : u32(head, 4);
  let from = 'the header';
  while (offset && ifds.length < MAX_IFDS) {
    const ifd = parse(offset, `IFD ${ifds.length}`, from);
    if (!ifd) break;
    noteValues(ifd);
    ifds.push(ifd);
    from = ifd.name;
    offset = ifd.next;
  }
  ifds.forEach((ifd, i) => {
    const subs = values(ifd, TAG.SubIFDs);
    if (!subs) return;
    const list: Ifd[] = [];
    for (const [j, off] of subs.entries()) {
      // A SubIFD may chain further SubIFDs through its next pointer (Bio-Formats writes them as one list).
      let o = off;
      let f = `${ifd.name} SubIFDs[${j}]`;
      let guard = 0;
      while (o && guard++ < MAX_IFDS) {
        const sub = parse(o, `${ifd.name} SubIFD ${list.length}`, f);
        if (!sub) break;
        noteValues(sub);
        list.push(sub);
        f = sub.name;
        o = sub.next;
        // When SubIFDs lists every SubIFD, their next pointers are the list again: stop here (a loop only if
        // that one was read already).
        if (subs.includes(o)) {
          if (seen.has(o)) badLinks.push({ from: sub.name, offset: o, reason: 'loop' });
          break;
        }
      }
    }
    subIfds.set(i, list);
  });
  return { size, bigTiff, ifds, subIfds, badLinks, badValues, read, values, text };
}
