/**
 * Serialization of image file directories (classic TIFF and BigTIFF, little-endian). All IFDs are written
 * together after the pixel data, so their layout is computed in two passes: sizes first, then offsets
 * (IFD chains and SubIFD pointers refer to other IFDs by index and are resolved here).
 */
import { FIELD_TYPE_SIZE, FieldType, Tag } from '../tiff-tags.js';

export interface IfdEntry {
  tag: number;
  type: number;
  /** Numbers (RATIONAL: numerator, denominator pairs flattened) or raw bytes (ASCII, UNDEFINED). */
  values: ArrayLike<number>;
}

export interface IfdSpec {
  entries: IfdEntry[];
  /** Index of the next IFD in the main chain, or -1 for the last one. */
  next: number;
  /** Indexes of this IFD's SubIFDs (pyramid levels), written as tag 330. */
  subIfds?: number[];
}

export interface SerializedIfds {
  bytes: Uint8Array;
  /** File offset of each IFD. */
  offsets: number[];
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The IFD's entries including SubIFDs (pointing at `offsets`, zeros while laying out), sorted by tag. */
function fullEntries(ifd: IfdSpec, bigTiff: boolean, offsets?: number[]): IfdEntry[] {
  const entries = [...ifd.entries];
  if (ifd.subIfds?.length) {
    entries.push({
      tag: Tag.SubIFDs,
      type: bigTiff ? FieldType.IFD8 : FieldType.IFD,
      values: ifd.subIfds.map((i) => (offsets ? offsets[i]! : 0)),
    });
  }
  // TIFF requires entries sorted by tag.
  return entries.sort((a, b) => a.tag - b.tag);
}

/** The bytes the IFDs take when written at `start` (a multiple of 8). */
export function ifdsByteLength(ifds: IfdSpec[], bigTiff: boolean): number {
  return layout(ifds, 0, bigTiff).end;
}

/** Bytes of an entry's values (a RATIONAL's two numbers are 4 bytes each). */
function entryBytes(e: IfdEntry): number {
  return e.type === FieldType.RATIONAL ? 4 * e.values.length : FIELD_TYPE_SIZE[e.type]! * e.values.length;
}

function layout(ifds: IfdSpec[], start: number, bigTiff: boolean): { offsets: number[]; end: number } {
  const inline = bigTiff ? 8 : 4;
  const entrySize = bigTiff ? 20 : 12;
  const headSize = bigTiff ? 8 : 2;
  const nextSize = bigTiff ? 8 : 4;
  const offsets: number[] = [];
  let pos = start;
  for (const ifd of ifds) {
    const entries = fullEntries(ifd, bigTiff);
    pos = align(pos, 8);
    offsets.push(pos);
    pos += headSize + entrySize * entries.length + nextSize;
    for (const e of entries) {
      const n = entryBytes(e);
      if (n > inline) pos = align(pos, 8) + n;
    }
  }
  return { offsets, end: align(pos, 8) };
}

/** Serialize `ifds` for placement at file offset `start` (a multiple of 8). */
export function serializeIfds(ifds: IfdSpec[], start: number, bigTiff: boolean): SerializedIfds {
  const { offsets, end } = layout(ifds, start, bigTiff);
  const bytes = new Uint8Array(end - start);
  const view = new DataView(bytes.buffer);
  const inline = bigTiff ? 8 : 4;
  const at = (fileOffset: number) => fileOffset - start;

  const writeValue = (pos: number, type: number, value: number): void => {
    switch (FIELD_TYPE_SIZE[type]) {
      case 1:
        view.setUint8(pos, value);
        break;
      case 2:
        view.setUint16(pos, value, true);
        break;
      case 4:
        if (type === FieldType.FLOAT) view.setFloat32(pos, value, true);
        else view.setUint32(pos, value, true);
        break;
      case 8:
        if (type === FieldType.DOUBLE) view.setFloat64(pos, value, true);
        else {
          // LONG8/IFD8: split into 32-bit halves (values stay below 2^53).
          view.setUint32(pos, value % 0x100000000, true);
          view.setUint32(pos + 4, Math.floor(value / 0x100000000), true);
        }
        break;
    }
  };
  const writeValues = (pos: number, type: number, values: ArrayLike<number>): void => {
    if (type === FieldType.RATIONAL) {
      for (let i = 0; i < values.length; i++) view.setUint32(pos + 4 * i, values[i]!, true);
      return;
    }
    const size = FIELD_TYPE_SIZE[type]!;
    for (let i = 0; i < values.length; i++) writeValue(pos + i * size, type, values[i]!);
  };
  const writeCountOrOffset = (pos: number, value: number): void => {
    if (bigTiff) writeValue(pos, FieldType.LONG8, value);
    else view.setUint32(pos, value, true);
  };

  let pos = start;
  ifds.forEach((ifd, index) => {
    const entries = fullEntries(ifd, bigTiff, offsets);
    pos = align(pos, 8);
    if (pos !== offsets[index]) throw new Error('internal: IFD layout mismatch');
    let cursor = at(pos);
    if (bigTiff) writeValue(cursor, FieldType.LONG8, entries.length);
    else view.setUint16(cursor, entries.length, true);
    cursor += bigTiff ? 8 : 2;
    const entrySize = bigTiff ? 20 : 12;
    let extra = pos + (bigTiff ? 8 : 2) + entrySize * entries.length + (bigTiff ? 8 : 4);
    for (const e of entries) {
      view.setUint16(cursor, e.tag, true);
      view.setUint16(cursor + 2, e.type, true);
      const count = e.type === FieldType.RATIONAL ? e.values.length / 2 : e.values.length;
      writeCountOrOffset(cursor + 4, count);
      const valuePos = cursor + (bigTiff ? 12 : 8);
      const n = entryBytes(e);
      if (n <= inline) {
        writeValues(valuePos, e.type, e.values);
      } else {
        extra = align(extra, 8);
        writeCountOrOffset(valuePos, extra);
        writeValues(at(extra), e.type, e.values);
        extra += n;
      }
      cursor += entrySize;
    }
    writeCountOrOffset(cursor, ifd.next >= 0 ? offsets[ifd.next]! : 0);
    pos = extra;
  });
  return { bytes, offsets };
}
