/**
 * Byte-level TIFF mutations, planned with fast-check and applied to a seed: bit flips in and beyond the
 * header, truncation, structural fields (IFD entry counts, tag types, counts, offsets, byte counts,
 * ImageWidth and friends) set to extreme values, IFD pointer loops, SubIFD trees made deep or looping,
 * very long IFD chains, and garbage in the pixel data.
 */
import fc from 'fast-check';
import { type FieldValue, fieldValue, resolveValue } from './extremes.js';
import { Rng } from './rng.js';
import { FieldView, parseTiff, type TiffStructure } from './tiff-structure.js';

/** Tags a reader sizes or locates things by. */
const KEY_TAGS = [
  256, 257, 258, 259, 262, 270, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 330, 338, 339,
];

export type TiffOp =
  | { op: 'flip'; where: 'header' | 'ifd' | 'any'; flips: number }
  | { op: 'truncate'; at: number }
  | {
      op: 'field';
      ifd: number;
      tag: number | null;
      entry: number;
      part: 'count' | 'value' | 'type';
      value: FieldValue;
    }
  | { op: 'entry-count'; ifd: number; value: FieldValue }
  | { op: 'next-loop'; ifd: number; target: 'self' | 'first' | 'header' }
  | { op: 'subifd-loop'; target: 'parent' | 'first' | 'self' }
  | { op: 'subifd-deep'; depth: number }
  | { op: 'long-chain'; length: number }
  | { op: 'garbage-data'; block: number; length: number };

export const tiffOp: fc.Arbitrary<TiffOp> = fc.oneof(
  fc.record({
    op: fc.constant('flip' as const),
    where: fc.constantFrom('header' as const, 'ifd' as const, 'any' as const),
    flips: fc.integer({ min: 1, max: 16 }),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  {
    arbitrary: fc.record({
      op: fc.constant('field' as const),
      ifd: fc.nat(8),
      tag: fc.option(fc.constantFrom(...KEY_TAGS), { freq: 4 }),
      entry: fc.nat(40),
      part: fc.constantFrom('count' as const, 'value' as const, 'value' as const, 'type' as const),
      value: fieldValue,
    }),
    weight: 6,
  },
  fc.record({ op: fc.constant('entry-count' as const), ifd: fc.nat(4), value: fieldValue }),
  fc.record({
    op: fc.constant('next-loop' as const),
    ifd: fc.nat(8),
    target: fc.constantFrom('self' as const, 'first' as const, 'header' as const),
  }),
  fc.record({
    op: fc.constant('subifd-loop' as const),
    target: fc.constantFrom('parent' as const, 'first' as const, 'self' as const),
  }),
  fc.record({
    op: fc.constant('subifd-deep' as const),
    depth: fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 2, max: 64 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20000 }) },
    ),
  }),
  fc.record({
    op: fc.constant('long-chain' as const),
    length: fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 2, max: 100 }) },
      { weight: 1, arbitrary: fc.integer({ min: 5000, max: 30000 }) },
    ),
  }),
  {
    arbitrary: fc.record({
      op: fc.constant('garbage-data' as const),
      block: fc.nat(64),
      length: fc.integer({ min: 1, max: 4096 }),
    }),
    weight: 2,
  },
);

export const tiffPlan = fc.record({ ops: fc.array(tiffOp, { minLength: 1, maxLength: 3 }), rng: fc.nat() });
export type TiffPlan = { ops: TiffOp[]; rng: number };

/** The entries whose values are offsets of strips/tiles (for garbage-data). */
function blockOffsets(t: TiffStructure, f: FieldView): number[] {
  const out: number[] = [];
  const word = t.big ? 8 : 4;
  for (const ifd of t.ifds)
    for (const e of ifd.entries) {
      if (e.tag !== 273 && e.tag !== 324) continue;
      const size = e.type === 16 ? 8 : e.type === 3 ? 2 : 4;
      const inline = e.count * size <= word;
      const base = inline ? e.valueAt : f.get(e.valueAt, word);
      for (let k = 0; k < Math.min(e.count, 64); k++) out.push(f.get(base + k * size, size as 2 | 4 | 8));
    }
  return out.filter((o) => o > 0);
}

/** Appends `count` IFDs; `link(i)` gives IFD i's single entry (SubIFDs) or next pointer wiring. */
function appendIfds(bytes: Uint8Array, t: TiffStructure, count: number, subifds: boolean): Uint8Array {
  const word = t.big ? 8 : 4;
  const ifd0 = t.ifds[0];
  if (!ifd0) return bytes;
  // Copy IFD0's entries (inline values stay valid; offsets still point into the original file).
  const entrySize = t.big ? 20 : 12;
  const entries = bytes.slice(ifd0.at + (t.big ? 8 : 2), ifd0.nextAt);
  const n = entries.length / entrySize;
  const extra = subifds ? 1 : 0;
  const ifdSize = (t.big ? 8 : 2) + (n + extra) * entrySize + word;
  const start = bytes.length + (bytes.length % 2);
  const out = new Uint8Array(start + count * ifdSize);
  out.set(bytes);
  const f = new FieldView(out, t.little);
  for (let i = 0; i < count; i++) {
    const at = start + i * ifdSize;
    f.set(at, t.big ? 8 : 2, BigInt(n + extra));
    out.set(entries, at + (t.big ? 8 : 2));
    const next = i + 1 < count ? BigInt(at + ifdSize) : 0n;
    if (subifds) {
      // Entries must stay sorted; SubIFDs (330) after most tags is close enough for a hostile file.
      const e = at + (t.big ? 8 : 2) + n * entrySize;
      f.set(e, 2, 330n);
      f.set(e + 2, 2, t.big ? 18n : 13n);
      f.set(e + 4, word, 1n);
      f.set(e + 4 + word, word, next);
      f.set(e + entrySize, word, 0n);
    } else f.set(at + ifdSize - word, word, next);
  }
  // Hook the new structure after the last top-level IFD (chain) or as IFD0's next (SubIFD tree root).
  const last = t.ifds[t.ifds.length - 1]!;
  f.set(subifds ? ifd0.nextAt : last.nextAt, word, BigInt(start));
  return out;
}

export function applyTiffOp(input: Uint8Array, op: TiffOp, rng: Rng): Uint8Array {
  const bytes = input.slice();
  const t = parseTiff(bytes);
  const f = new FieldView(bytes, t?.little ?? true);
  const word: 4 | 8 = t?.big ? 8 : 4;
  const ifd = (i: number) => (t?.ifds.length ? t.ifds[i % t.ifds.length] : undefined);
  switch (op.op) {
    case 'flip': {
      let lo = 0;
      let hi = bytes.length;
      if (op.where === 'header') hi = Math.min(hi, 16);
      else if (op.where === 'ifd' && t?.ifds.length) {
        const d = rng.pick(t.ifds);
        lo = d.at;
        hi = Math.min(bytes.length, d.nextAt + word);
      }
      for (let i = 0; i < op.flips && hi > lo; i++) bytes[lo + rng.int(hi - lo)]! ^= 1 << rng.int(8);
      return bytes;
    }
    case 'truncate':
      return bytes.slice(0, Math.floor(op.at * bytes.length));
    case 'field': {
      const d = ifd(op.ifd);
      if (!d?.entries.length) return bytes;
      const e =
        (op.tag !== null && d.entries.find((x) => x.tag === op.tag)) ||
        d.entries[op.entry % d.entries.length]!;
      const v = resolveValue(op.value, bytes.length);
      if (op.part === 'type') f.set(e.at + 2, 2, v % 20n);
      else if (op.part === 'count') f.set(e.at + 4, word, v);
      else f.set(e.valueAt, e.type === 3 && e.count === 1 ? 2 : word, v);
      return bytes;
    }
    case 'entry-count': {
      const d = ifd(op.ifd);
      if (d) f.set(d.at, t!.big ? 8 : 2, resolveValue(op.value, bytes.length));
      return bytes;
    }
    case 'next-loop': {
      const d = ifd(op.ifd);
      if (!d) return bytes;
      const target = op.target === 'self' ? d.at : op.target === 'first' ? t!.ifds[0]!.at : 0;
      f.set(d.nextAt, word, BigInt(target));
      return bytes;
    }
    case 'subifd-loop': {
      for (const d of t?.ifds ?? [])
        for (const e of d.entries) {
          if (e.tag !== 330) continue;
          const target = op.target === 'parent' ? d.at : op.target === 'first' ? t!.ifds[0]!.at : 0;
          const size = e.type === 16 || e.type === 18 ? 8 : 4;
          const inline = e.count * size <= word;
          const at = inline ? e.valueAt : f.get(e.valueAt, word);
          // 'self': the SubIFD points at itself once reached.
          const self = f.get(at, size as 4 | 8);
          f.set(at, size as 4 | 8, BigInt(op.target === 'self' ? self : target));
          if (op.target === 'self' && self > 0) {
            const sub = t!.ifds.find((x) => x.at === self);
            if (sub) f.set(sub.nextAt, word, BigInt(self));
          }
          return bytes;
        }
      // No SubIFDs in the seed: make IFD0's next point back at itself.
      if (t?.ifds[0]) f.set(t.ifds[0].nextAt, word, BigInt(t.ifds[0].at));
      return bytes;
    }
    case 'subifd-deep':
      return t ? appendIfds(bytes, t, op.depth, true) : bytes;
    case 'long-chain':
      return t ? appendIfds(bytes, t, op.length, false) : bytes;
    case 'garbage-data': {
      const offsets = t ? blockOffsets(t, f) : [];
      const at = Math.min(
        bytes.length,
        offsets.length ? offsets[op.block % offsets.length]! : rng.int(bytes.length),
      );
      const junk = rng.bytes(Math.min(op.length, Math.max(0, bytes.length - at)));
      bytes.set(junk, at);
      return bytes;
    }
  }
}

export function mutateTiff(seed: Uint8Array, plan: TiffPlan): Uint8Array {
  const rng = new Rng(plan.rng);
  let bytes = seed;
  for (const op of plan.ops) bytes = applyTiffOp(bytes, op, rng);
  return bytes;
}
