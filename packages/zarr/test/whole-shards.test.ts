/**
 * A write that covers a whole shard hands it to one codec worker, which cuts it into the inner chunks,
 * encodes them and writes the shard file (@bfio/codecs' shard-task.mjs): stores written that way — whole
 * shards, edge shards, shards also written partly (the chunk-by-chunk path), uint8 and uint16, zstd and raw,
 * a pyramid — must read back in zarr-python equal to the source; the task on its own writes shards that
 * zarr-python reads under metadata written here by hand (zstd with and without its content checksum, the
 * crc32c index); and a task that fails leaves no shard file behind and surfaces as a typed error.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedWorkerPool } from '@bfio/codecs';
import { isBfioError } from '@bfio/core';
import { type Region, regionLength } from '@bfio/core/backend';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { CodecPool, type ShardTask } from '../src/codec-pool.js';
import { ZarrWriter } from '../src/writer/index.js';

const PEER = `
import json, sys, base64, warnings
warnings.filterwarnings('ignore')
import numpy as np, zarr
out = {}
for name, path in json.load(sys.stdin).items():
    node = zarr.open(path, mode='r')
    arrays = [node] if isinstance(node, zarr.Array) else [node[k] for k in sorted(node.array_keys())]
    out[name] = [base64.b64encode(np.ascontiguousarray(a[...]).tobytes()).decode() for a in arrays]
print(json.dumps(out))
`;

const ok = available('python');
const TMP = join('/tmp', `bfio-zarr-whole-shards-${process.pid}`);

type Vec5 = [number, number, number, number, number];

/** A deterministic image of `shape` (t,c,z,y,x) in `Type`'s range. */
function image<T extends Uint8Array | Uint16Array>(Type: new (n: number) => T, shape: Vec5, mod: number): T {
  const out = new Type(shape.reduce((a, b) => a * b, 1));
  // Smooth enough to compress, varied enough that a misplaced chunk shows.
  for (let i = 0; i < out.length; i++) out[i] = ((i * 7 + Math.floor(i / 97) * 13) % mod) as number;
  return out;
}

/** The pixels of `r` from a full image of `shape`, planar t,c,z,y,x. */
function cut<T extends Uint8Array | Uint16Array>(src: T, shape: Vec5, r: Region): T {
  const [, C, Z, Y, X] = shape;
  const out = new (src.constructor as new (n: number) => T)(regionLength(r));
  let k = 0;
  for (const t of r.t)
    for (const c of r.c)
      for (let z = r.z[0]; z < r.z[1]; z++)
        for (let y = r.y[0]; y < r.y[1]; y++) {
          const row = (((t * C + c) * Z + z) * Y + y) * X;
          out.set(src.subarray(row + r.x[0], row + r.x[1]), k);
          k += r.x[1] - r.x[0];
        }
  return out;
}

/** Blocks of `edge` (z,y,x) over a shape, as regions of every t and c. */
function blocks(shape: Vec5, edge: [number, number, number]): Region[] {
  const [T, C, Z, Y, X] = shape;
  const out: Region[] = [];
  for (let z = 0; z < Z; z += edge[0])
    for (let y = 0; y < Y; y += edge[1])
      for (let x = 0; x < X; x += edge[2])
        out.push({
          t: [...Array(T).keys()],
          c: [...Array(C).keys()],
          z: [z, Math.min(Z, z + edge[0])],
          y: [y, Math.min(Y, y + edge[1])],
          x: [x, Math.min(X, x + edge[2])],
        });
  return out;
}

// uint16, zstd: 40 × 72 × 100 in 16 × 32 × 32 shards of 8 × 16 × 16 chunks — 3 × 3 × 4 shards, the last of
// each axis cut by the array's edge (their edge chunks padded, some of their chunks wholly outside).
const U16: Vec5 = [1, 1, 40, 72, 100];
const u16 = image(Uint16Array, U16, 65521);
// uint8, raw, two channels: 24 × 48 × 40 in 8 × 32 × 32 shards of 8 × 16 × 16 chunks.
const U8: Vec5 = [1, 2, 24, 48, 40];
const u8 = image(Uint8Array, U8, 251);
// A pyramid (one level more), written once by whole shards and once in strips (chunk by chunk).
const PYR: Vec5 = [1, 1, 8, 128, 96];
const pyr = image(Uint16Array, PYR, 4000);

const tasks: string[] = [];
const shardKind = (shard: unknown) => ((shard as ShardTask).source ? 'shard-shared' : 'zarr-shard-write');
let peer: Record<string, string[]>;
let failure: unknown;
const taskCases: Array<{ name: string; data: Uint16Array }> = [];
let renameBlocked: { error: unknown; left: string[] } | undefined;
/** Tasks before the removed-folder case (whose count depends on when the failure surfaces). */
let tasksBeforeGone = 0;

async function write(
  name: string,
  shape: Vec5,
  dtype: 'uint8' | 'uint16',
  data: Uint8Array | Uint16Array,
  options: Record<string, unknown>,
  regions: Region[],
): Promise<string> {
  const store = join(TMP, `${name}.ome.zarr`);
  const w = await ZarrWriter.create(
    store,
    createOme({ sizeX: shape[4], sizeY: shape[3], sizeZ: shape[2], sizeC: shape[1], type: dtype }),
    dtype,
    options,
  );
  // Several blocks in flight at once, as a read-write loop does.
  await Promise.all(regions.map((r) => w.writeRegion(r, cut(data, shape, r))));
  await w.close();
  return store;
}

/** Zarr v3 metadata of a 3-D sharded array, written by hand from the spec (the task's oracle is zarr-python). */
function handMadeArray(dir: string, shape: number[], shard: number[], chunk: number[], checksum: boolean) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'zarr.json'),
    JSON.stringify({
      zarr_format: 3,
      node_type: 'array',
      shape,
      data_type: 'uint16',
      chunk_grid: { name: 'regular', configuration: { chunk_shape: shard } },
      chunk_key_encoding: { name: 'default', configuration: { separator: '/' } },
      fill_value: 0,
      codecs: [
        {
          name: 'sharding_indexed',
          configuration: {
            chunk_shape: chunk,
            codecs: [
              { name: 'bytes', configuration: { endian: 'little' } },
              { name: 'zstd', configuration: { level: 3, checksum } },
            ],
            index_codecs: [{ name: 'bytes', configuration: { endian: 'little' } }, { name: 'crc32c' }],
            index_location: 'end',
          },
        },
      ],
      attributes: {},
    }),
  );
}

beforeAll(async () => {
  if (!ok) return;
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const pool = sharedWorkerPool();
  const run = pool.run.bind(pool);
  pool.run = (codec, ...rest) => {
    // A whole shard read where it lies in the caller's shared buffer (no copy) is told apart.
    tasks.push(codec === 'zarr-shard-write' && rest[1]?.shard ? shardKind(rest[1].shard) : codec);
    return run(codec, ...rest);
  };
  const stores: Record<string, string> = {};
  try {
    // Whole shards (edge shards too), except the first shard of each z row, written in two halves.
    const u16Regions = blocks(U16, [16, 32, 32]).flatMap((r) =>
      r.y[0] === 0 && r.x[0] === 0
        ? [
            { ...r, y: [0, 16] as [number, number] },
            { ...r, y: [16, 32] as [number, number] },
          ]
        : [r],
    );
    stores.u16 = await write(
      'u16',
      U16,
      'uint16',
      u16,
      { chunks: [1, 1, 8, 16, 16], shards: [1, 1, 16, 32, 32], compression: 'zstd', compressionLevel: 1 },
      u16Regions,
    );
    stores.u8 = await write(
      'u8',
      U8,
      'uint8',
      u8,
      { chunks: [1, 1, 8, 16, 16], shards: [1, 1, 8, 32, 32], compression: 'none' },
      blocks(U8, [8, 32, 32]),
    );
    // The same image from blocks in shared memory, 4 writes in flight (as a read-write loop): the workers cut
    // the shards straight out of the caller's buffers, which are overwritten as soon as each write returns.
    const sharedStore = join(TMP, 'shared.ome.zarr');
    const ws = await ZarrWriter.create(
      sharedStore,
      createOme({ sizeX: U16[4], sizeY: U16[3], sizeZ: U16[2], type: 'uint16' }),
      'uint16',
      { chunks: [1, 1, 8, 16, 16], shards: [1, 1, 16, 32, 32], compression: 'zstd', compressionLevel: 1 },
    );
    const queue = blocks(U16, [16, 32, 32]);
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const buffer = new Uint16Array(new SharedArrayBuffer(16 * 32 * 32 * 2));
        for (let r = queue.shift(); r; r = queue.shift()) {
          const block = buffer.subarray(0, regionLength(r));
          block.set(cut(u16, U16, r));
          await ws.writeRegion(r, block);
          buffer.fill(0xdead);
        }
      }),
    );
    await ws.close();
    stores.shared = sharedStore;
    const pyramid = {
      chunks: [1, 1, 4, 32, 32],
      shards: [1, 1, 8, 64, 64],
      compression: 'zstd',
      pyramidLevels: 1,
    };
    stores.pyrWhole = await write('pyr-whole', PYR, 'uint16', pyr, pyramid, blocks(PYR, [8, 64, 64]));
    const beforeStrips = tasks.length;
    stores.pyrStrips = await write('pyr-strips', PYR, 'uint16', pyr, pyramid, blocks(PYR, [8, 16, 96]));
    if (tasks.slice(beforeStrips).includes('zarr-shard-write'))
      throw new Error('strips were written as whole shards');

    // The task alone, under hand-made metadata: zstd with and without its checksum.
    const codecs = CodecPool.get(2);
    if (!codecs) throw new Error('no codec pool');
    for (const checksum of [false, true]) {
      const name = checksum ? 'task-checksum' : 'task-plain';
      const dir = join(TMP, name);
      const shape = [20, 40, 36];
      handMadeArray(dir, shape, [16, 32, 32], [8, 16, 16], checksum);
      const data = image(Uint16Array, [1, 1, 20, 40, 36], 60000);
      taskCases.push({ name, data });
      const writes: Promise<void>[] = [];
      for (const r of blocks([1, 1, 20, 40, 36], [16, 32, 32])) {
        const extent = [1, 1, r.z[1] - r.z[0], r.y[1] - r.y[0], r.x[1] - r.x[0]];
        const block = cut(data, [1, 1, 20, 40, 36], r);
        const folder = join(dir, 'c', String(r.z[0] / 16), String(r.y[0] / 32));
        mkdirSync(folder, { recursive: true });
        const task: ShardTask = {
          path: join(folder, String(r.x[0] / 32)),
          bytes: 2,
          extent,
          chunks: [1, 1, 8, 16, 16],
          per: [1, 1, 2, 2, 2],
          codec: 'zstd',
          level: 3,
          checksum,
        };
        writes.push(codecs.writeShard(new Uint8Array(block.buffer), task));
      }
      await Promise.all(writes);
      stores[name] = dir;
    }

    // A shard whose file cannot be put in place (a folder holds its name): the task fails, its partial gone.
    const blockedDir = join(TMP, 'blocked');
    mkdirSync(join(blockedDir, '0', 'inside'), { recursive: true });
    try {
      await codecs.writeShard(new Uint8Array(new Uint16Array(8 * 16 * 16).fill(5).buffer), {
        path: join(blockedDir, '0'),
        bytes: 2,
        extent: [1, 1, 8, 16, 16],
        chunks: [1, 1, 8, 16, 16],
        per: [1, 1, 1, 1, 1],
        codec: 'zstd',
        level: 1,
        checksum: false,
      });
    } catch (error) {
      renameBlocked = { error, left: readdirSync(blockedDir) };
    }
    tasksBeforeGone = tasks.length;

    // The store's folder removed while shards are written: the writer fails with a typed error.
    const gone = join(TMP, 'gone.ome.zarr');
    const w = await ZarrWriter.create(
      gone,
      createOme({ sizeX: 64, sizeY: 64, sizeZ: 16, type: 'uint16' }),
      'uint16',
      { chunks: [1, 1, 8, 16, 16], shards: [1, 1, 16, 32, 32], compression: 'zstd' },
    );
    const full = image(Uint16Array, [1, 1, 16, 64, 64], 1000);
    const first: Region = { t: [0], c: [0], z: [0, 16], y: [0, 32], x: [0, 32] };
    await w.writeRegion(first, cut(full, [1, 1, 16, 64, 64], first));
    // Its first shard's write is behind the call: wait until the temporary store has its file.
    const temp = readdirSync(TMP).find((f) => f.startsWith('.gone.ome.zarr.bfio-tmp'));
    if (!temp) throw new Error('no temporary store');
    const shard0 = join(TMP, temp, '0', 'c', '0', '0', '0', '0', '0');
    for (let i = 0; i < 200 && !existsSync(shard0); i++) await new Promise((r) => setTimeout(r, 10));
    rmSync(join(TMP, temp), { recursive: true, force: true });
    try {
      for (const r of blocks([1, 1, 16, 64, 64], [16, 32, 32]).slice(1))
        await w.writeRegion(r, cut(full, [1, 1, 16, 64, 64], r));
      await w.close();
    } catch (error) {
      failure = error;
    }
  } finally {
    pool.run = run;
  }
  peer = await runPythonJson(PEER, stores);
}, 120_000);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const decoded = (b64: string | undefined) => new Uint8Array(Buffer.from(b64 ?? '', 'base64'));
const bytesOf = (a: Uint8Array | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe.skipIf(!ok)('whole shards built and written by one codec worker each', () => {
  it('went to the workers as whole shards where a write covered one', () => {
    // u16: 36 shards, 3 written in halves; u8: 3 × 2 × 2 shards of 2 channels; u16 from shared blocks: 36;
    // the pyramid's level 0 in whole shards: 1 × 2 × 2 (its level 1 is built chunk by chunk from the
    // downsamples); the task alone: 2 × 8 shards, and the blocked one.
    const shardTasks = tasks
      .slice(0, tasksBeforeGone)
      .filter((t) => t === 'zarr-shard-write' || t === 'shard-shared');
    expect(shardTasks.length).toBe(33 + 24 + 36 + 4 + 2 * 8 + 1);
    // The shared blocks, 4 writes in flight: read in place (a write with no other in flight copies its block).
    const shared = tasks.filter((t) => t === 'shard-shared').length;
    expect(shared).toBeGreaterThanOrEqual(30);
    expect(shared).toBeLessThanOrEqual(36);
  });

  it('uint16 zstd, edge shards and shards written in halves: zarr-python reads the source', () => {
    expect(Buffer.from(decoded(peer.u16?.[0])).equals(Buffer.from(bytesOf(u16)))).toBe(true);
  });

  it('blocks in shared memory, cut by the workers where they lie: zarr-python reads the source', () => {
    expect(Buffer.from(decoded(peer.shared?.[0])).equals(Buffer.from(bytesOf(u16)))).toBe(true);
  });

  it('uint8 raw, two channels: zarr-python reads the source', () => {
    expect(Buffer.from(decoded(peer.u8?.[0])).equals(Buffer.from(bytesOf(u8)))).toBe(true);
  });

  it('a pyramid written by whole shards equals one written in strips: both levels, and the same shard bytes', () => {
    expect(Buffer.from(decoded(peer.pyrWhole?.[0])).equals(Buffer.from(bytesOf(pyr)))).toBe(true);
    expect(peer.pyrWhole?.length).toBe(2);
    expect(peer.pyrWhole?.[1]).toBe(peer.pyrStrips?.[1]);
    expect(decoded(peer.pyrWhole?.[1]).length).toBe(8 * 64 * 48 * 2);
    // The same bytes as the chunk-by-chunk path's shards (chunks in index order, the same index).
    const files = (store: string) =>
      (readdirSync(join(store, '0', 'c'), { recursive: true }) as string[])
        .filter((f) => f.split('/').length === 5)
        .sort()
        .map((f) => [f, readFileSync(join(store, '0', 'c', f)).toString('base64')]);
    const whole = files(join(TMP, 'pyr-whole.ome.zarr'));
    expect(whole.length).toBe(4);
    expect(whole).toEqual(files(join(TMP, 'pyr-strips.ome.zarr')));
  });

  it('the task alone: shards zarr-python reads with zstd with and without its checksum', () => {
    for (const { name, data } of taskCases)
      expect(Buffer.from(decoded(peer[name]?.[0])).equals(Buffer.from(bytesOf(data))), name).toBe(true);
  });

  it('a shard that cannot be put in place fails and leaves no partial file', () => {
    expect((renameBlocked?.error as { code?: string } | undefined)?.code).toMatch(
      /^(EISDIR|ENOTEMPTY|EEXIST)$/,
    );
    // Only the folder in the way: the shard's temporary file was removed.
    expect(renameBlocked?.left).toEqual(['0']);
    expect(existsSync(join(TMP, 'blocked', '0', 'inside'))).toBe(true);
  });

  it("the store's folder removed mid-write: a typed error naming the shard, and no store left", () => {
    expect(isBfioError(failure, 'io-error')).toBe(true);
    expect((failure as Error).message).toMatch(
      /gone\.ome\.zarr\.bfio-tmp.*\/0\/c\/0\/0\/0\/\d\/\d: .*\(ENOENT\)/,
    );
    expect(existsSync(join(TMP, 'gone.ome.zarr'))).toBe(false);
    expect(readdirSync(TMP).filter((f) => f.startsWith('.gone'))).toEqual([]);
  });
});
