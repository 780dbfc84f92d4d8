/**
 * Zarr store mutations (v2 and v3): metadata JSON broken or with keys re-typed / set to extreme values
 * (shape, chunks, dtype, codecs, fill_value, OME multiscales), keys deleted; chunks garbage, truncated,
 * deleted, extended or moved; shard indexes rewritten with garbage offsets and lengths (checksum fixed up
 * so the reader has to believe them).
 */
import fc from 'fast-check';
// The writer's own CRC-32C: a fixed-up index checksum must be the one the reader verifies.
import { crc32c } from '../../../packages/zarr/src/shard.js';
import type { FileSet } from './input.js';
import { Rng } from './rng.js';

const METADATA = /(^|\/)(\.zarray|\.zattrs|\.zgroup|\.zmetadata|zarr\.json)$/;

/** Values a metadata key is set to: wrong types, extremes, and anything JSON. */
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      0,
      -1,
      1,
      1e9,
      2 ** 31 - 1,
      2 ** 32,
      2 ** 53,
      1e308,
      -1e308,
      0.5,
      null,
      '',
      'x',
      '<u2',
      '|b1',
      'float128',
      'uint64',
      'complex64',
      'r8',
      true,
      [],
      {},
      [0],
      [-1],
      [0, 0],
      [1e9, 1e9],
      [2 ** 31, 2 ** 31, 2 ** 31],
      [null],
      ['a'],
      [1.5, 2],
      [[1]],
      { name: 'nope' },
      [{ name: 'nope' }],
      [{ name: 'bytes' }],
      [{ name: 'zstd', configuration: { level: 'x' } }],
      { id: 'blosc', cname: 'nope' },
      { id: 'nope' },
      'NaN',
      'Infinity',
      'AAAA',
      1e15,
      [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: -2, max: 2 ** 31 }), { maxLength: 6 }) },
);

export type ZarrOp =
  | { op: 'json-set'; file: number; path: number; value: unknown }
  | { op: 'json-delete'; file: number; path: number }
  | { op: 'json-broken'; file: number; how: 'truncate' | 'flip' | 'empty' | 'garbage' | 'deep'; at: number }
  | {
      op: 'chunk';
      chunk: number;
      how: 'garbage' | 'truncate' | 'delete' | 'extend' | 'flip' | 'empty';
      length: number;
    }
  | { op: 'move-chunk'; chunk: number; to: string }
  | { op: 'shard-index'; chunk: number; entry: number; offset: bigint; length: bigint; fixCrc: boolean };

const u64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 2n),
  fc.bigInt({ min: 0n, max: 70000n }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

export const zarrOp: fc.Arbitrary<ZarrOp> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('json-set' as const),
      file: fc.nat(),
      path: fc.nat(),
      value: jsonValue,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('json-delete' as const), file: fc.nat(), path: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('json-broken' as const),
      file: fc.nat(),
      how: fc.constantFrom(
        'truncate' as const,
        'flip' as const,
        'empty' as const,
        'garbage' as const,
        'deep' as const,
      ),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('chunk' as const),
      chunk: fc.nat(),
      how: fc.constantFrom(
        'garbage' as const,
        'truncate' as const,
        'delete' as const,
        'extend' as const,
        'flip' as const,
        'empty' as const,
      ),
      length: fc.integer({ min: 1, max: 5000 }),
    }),
  },
  fc.record({
    op: fc.constant('move-chunk' as const),
    chunk: fc.nat(),
    to: fc.constantFrom('99', '0.99.99', 'c/99/99/99', '-1', 'c/0/0/0/0/0/0/0', '0/0/0/0/0/0/0'),
  }),
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('shard-index' as const),
      chunk: fc.nat(),
      entry: fc.nat(),
      offset: u64,
      length: u64,
      fixCrc: fc.constantFrom(true, true, true, false),
    }),
  },
);

export const zarrPlan = fc.record({ ops: fc.array(zarrOp, { minLength: 1, maxLength: 3 }), rng: fc.nat() });
export type ZarrPlan = { ops: ZarrOp[]; rng: number };

/** Every path to a value in a JSON document (objects and arrays, to depth 8). */
function paths(doc: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  if (prefix.length >= 8 || doc === null || typeof doc !== 'object') return out;
  for (const [k, v] of Object.entries(doc)) {
    const p = [...prefix, Array.isArray(doc) ? Number(k) : k];
    out.push(p);
    paths(v, p, out);
  }
  return out;
}

function setPath(doc: unknown, path: Array<string | number>, value: unknown, remove: boolean): void {
  let node = doc as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (!remove) node[last] = value;
  else if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
}

/** The sharding layout of a v3 array's zarr.json, if it has one: chunks per shard and the index place. */
function shardingOf(meta: unknown): { perShard: number; atStart: boolean; crc: boolean } | undefined {
  const m = meta as {
    chunk_grid?: { configuration?: { chunk_shape?: number[] } };
    codecs?: Array<{ name: string; configuration?: Record<string, unknown> }>;
  };
  const codec = m.codecs?.find((c) => c.name === 'sharding_indexed');
  const outer = m.chunk_grid?.configuration?.chunk_shape;
  const inner = codec?.configuration?.chunk_shape as number[] | undefined;
  if (!codec || !outer || !inner) return undefined;
  const perShard = outer.reduce((n, s, i) => n * Math.ceil(s / (inner[i] ?? 1)), 1);
  const indexCodecs = (codec.configuration?.index_codecs as Array<{ name: string }> | undefined) ?? [];
  return {
    perShard,
    atStart: codec.configuration?.index_location === 'start',
    crc: indexCodecs.some((c) => c.name === 'crc32c'),
  };
}

function applyZarrOp(set: FileSet, op: ZarrOp, rng: Rng): void {
  const keys = [...set.files.keys()].sort();
  const meta = keys.filter((k) => METADATA.test(k));
  const chunks = keys.filter((k) => !METADATA.test(k));
  const text = (k: string) => new TextDecoder().decode(set.files.get(k));
  const put = (k: string, s: string) => set.files.set(k, new TextEncoder().encode(s));
  switch (op.op) {
    case 'json-set':
    case 'json-delete': {
      if (!meta.length) return;
      const key = meta[op.file % meta.length]!;
      let doc: unknown;
      try {
        doc = JSON.parse(text(key));
      } catch {
        return;
      }
      const all = paths(doc);
      if (!all.length) return;
      setPath(
        doc,
        all[op.path % all.length]!,
        op.op === 'json-set' ? op.value : undefined,
        op.op === 'json-delete',
      );
      put(key, JSON.stringify(doc));
      return;
    }
    case 'json-broken': {
      if (!meta.length) return;
      const key = meta[op.file % meta.length]!;
      const s = text(key);
      if (op.how === 'truncate') put(key, s.slice(0, Math.floor(op.at * s.length)));
      else if (op.how === 'empty') put(key, '');
      else if (op.how === 'garbage') set.files.set(key, rng.bytes(1 + rng.int(200)));
      else if (op.how === 'deep') put(key, `${'['.repeat(200_000)}${']'.repeat(200_000)}`);
      else {
        const b = set.files.get(key)!.slice();
        for (let i = 0; i < 4 && b.length; i++) b[rng.int(b.length)]! ^= 1 << rng.int(8);
        set.files.set(key, b);
      }
      return;
    }
    case 'chunk': {
      if (!chunks.length) return;
      const key = chunks[op.chunk % chunks.length]!;
      const b = set.files.get(key)!;
      if (op.how === 'delete') set.files.delete(key);
      else if (op.how === 'empty') set.files.set(key, new Uint8Array(0));
      else if (op.how === 'garbage') set.files.set(key, rng.bytes(op.length));
      else if (op.how === 'truncate') set.files.set(key, b.slice(0, rng.int(b.length)));
      else if (op.how === 'extend') {
        const out = new Uint8Array(b.length + op.length);
        out.set(b);
        out.set(rng.bytes(op.length), b.length);
        set.files.set(key, out);
      } else {
        const out = b.slice();
        for (let i = 0; i < 1 + (op.length % 16) && out.length; i++)
          out[rng.int(out.length)]! ^= 1 << rng.int(8);
        set.files.set(key, out);
      }
      return;
    }
    case 'move-chunk': {
      if (!chunks.length) return;
      const key = chunks[op.chunk % chunks.length]!;
      const b = set.files.get(key)!;
      set.files.delete(key);
      const dir = key.includes('/c/')
        ? key.slice(0, key.indexOf('/c/') + 1)
        : key.slice(0, key.lastIndexOf('/') + 1);
      set.files.set(`${dir}${op.to}`, b);
      return;
    }
    case 'shard-index': {
      // The chunks of arrays whose zarr.json declares sharding.
      const sharded: Array<{ key: string; layout: NonNullable<ReturnType<typeof shardingOf>> }> = [];
      for (const m of meta.filter((k) => k.endsWith('zarr.json'))) {
        let layout: ReturnType<typeof shardingOf>;
        try {
          layout = shardingOf(JSON.parse(text(m)));
        } catch {
          continue;
        }
        if (!layout) continue;
        const dir = m.slice(0, -'zarr.json'.length);
        for (const k of chunks)
          if (k.startsWith(dir) && !k.slice(dir.length).includes('zarr.json'))
            sharded.push({ key: k, layout });
      }
      if (!sharded.length) return;
      const { key, layout } = sharded[op.chunk % sharded.length]!;
      const b = set.files.get(key)!.slice();
      const indexSize = layout.perShard * 16 + (layout.crc ? 4 : 0);
      if (b.length < indexSize) return;
      const start = layout.atStart ? 0 : b.length - indexSize;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const at = start + (op.entry % layout.perShard) * 16;
      view.setBigUint64(at, op.offset, true);
      view.setBigUint64(at + 8, op.length, true);
      if (layout.crc && op.fixCrc)
        view.setUint32(
          start + layout.perShard * 16,
          crc32c(b.subarray(start, start + layout.perShard * 16)),
          true,
        );
      set.files.set(key, b);
      return;
    }
  }
}

export function mutateZarr(seed: FileSet, plan: ZarrPlan): FileSet {
  const set: FileSet = { files: new Map(seed.files), entry: seed.entry };
  const rng = new Rng(plan.rng);
  for (const op of plan.ops) applyZarrOp(set, op, rng);
  return set;
}
