/**
 * Sharded Zarr v3 writing (shard.ts) beyond what write-peers.test.ts shows (zarr-python, ome-zarr-py and bfio
 * 2.5 read our sharded stores pixel-identical): the index format against zarr-python's own shards, regions
 * never written (empty index entries, read as the fill value by zarr-python), the file count, the typed
 * errors for options that cannot be honoured, and nothing left behind by abort.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { allocate, isBfioError } from '@bfio/core';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { ZarrReader } from '../src/reader/index.js';
import { crc32c, ShardWriter } from '../src/shard.js';
import { ZarrWriter } from '../src/writer/index.js';

const ok = available('python');
const TMP = join('/tmp', `bfio-zarr-shards-${process.pid}`);

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('sharded Zarr v3 writing', () => {
  beforeAll(() => mkdirSync(TMP, { recursive: true }));
  afterAll(() => rmSync(TMP, { recursive: true, force: true }));

  it('crc32c is CRC-32C (the check value of "123456789" is 0xE3069283)', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it.skipIf(!ok)(
    'partly written: one file per touched shard, unwritten chunks empty in the index and read as zeros by zarr-python; the index equals the one zarr-python writes',
    async () => {
      // 300 × 500 uint16, chunks 64², shards 128 × 256: 3 × 2 shards. Only rows 0-99 and columns 0-299 are
      // written: chunk rows 0 and 1 (rows 64-99 partly, flushed at close), all in shard row 0; shard rows 1
      // and 2 never get a chunk, so they have no file.
      const [Y, X] = [300, 500];
      const path = join(TMP, 'partial.ome.zarr');
      const w = await ZarrWriter.create(path, createOme({ sizeX: X, sizeY: Y, type: 'uint16' }), 'uint16', {
        chunks: [1, 1, 1, 64, 64],
        shards: [1, 1, 1, 128, 256],
      });
      const [h, wd] = [100, 300];
      const data = allocate('uint16', h * wd);
      for (let i = 0; i < data.length; i++) data[i] = 1 + ((i * 31) % 60000);
      await w.writeRegion({ x: [0, wd], y: [0, h], z: [0, 1], c: [0], t: [0] }, data);
      await w.close();
      expect(readdirSync(join(path, '0', 'c', '0', '0', '0')).sort()).toEqual(['0']);
      expect(readdirSync(join(path, '0', 'c', '0', '0', '0', '0')).sort()).toEqual(['0', '1']);

      // Our reader: the written block back, zeros elsewhere.
      const r = await ZarrReader.open(path);
      const all = allocate('uint16', X * Y);
      await r.readRegion({ series: 0, level: 0 }, { x: [0, X], y: [0, Y], z: [0, 1], c: [0], t: [0] }, all);
      let bad = 0;
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++) {
          const want = y < h && x < wd ? data[y * wd + x] : 0;
          if (all[y * X + x] !== want) bad++;
        }
      expect(bad).toBe(0);

      // zarr-python reads the same; it rewrites shard (0,1) from what it read (its own encoder), and its
      // index marks the same chunks empty as ours.
      const raw = join(TMP, 'partial.raw');
      (await import('node:fs')).writeFileSync(raw, new Uint8Array(all.buffer));
      const peer = await runPythonJson<{ equal: boolean; ours: number[][]; theirs: number[][] }>(
        `import json, sys, numpy as np, zarr, shutil
inp = json.load(sys.stdin)
a = zarr.open_array(inp['path'] + '/0', mode='r')
want = np.fromfile(inp['raw'], dtype='<u2').reshape(1, 1, 1, 300, 500)
equal = bool(np.array_equal(a[:], want))
def entries(path):
    b = open(path, 'rb').read()
    n = 2 * 4
    idx = np.frombuffer(b[-(n * 16 + 4):-4], dtype='<u8').reshape(n, 2)
    return [[int(o != 2**64 - 1), int(s != 2**64 - 1)] for o, s in idx]
ours = entries(inp['path'] + '/0/c/0/0/0/0/1')
copy = inp['path'] + '.copy'
shutil.copytree(inp['path'], copy)
b = zarr.open_array(copy + '/0', mode='r+')
b[:, :, :, 0:128, 256:500] = a[:, :, :, 0:128, 256:500]
theirs = entries(copy + '/0/c/0/0/0/0/1')
print(json.dumps({"equal": equal, "ours": ours, "theirs": theirs}))`,
        { path, raw },
      );
      expect(peer.equal).toBe(true);
      // Shard (0,1) holds chunk columns 4-7: only column 4 (x 256-299) was written, in rows 0 and 1.
      const expected = [0, 1].flatMap(() => [0, 1, 2, 3].map((col) => (col === 0 ? [1, 1] : [0, 0])));
      expect(peer.ours).toEqual(expected);
      expect(peer.theirs).toEqual(expected);
    },
  );

  it('refuses shards it cannot write, with typed errors, before touching the disk', async () => {
    const ome = createOme({ sizeX: 100, sizeY: 100, type: 'uint8' });
    const path = join(TMP, 'refused.ome.zarr');
    const cases: Array<[Parameters<typeof ZarrWriter.create>[3], string]> = [
      [{ ngffVersion: '0.4', shards: [1, 1, 1, 128, 128] }, 'unsupported'],
      [{ chunks: [1, 1, 1, 64, 64], shards: [1, 1, 1, 100, 128] }, 'invalid-data'],
      [{ chunks: [1, 1, 1, 64, 64], shards: [1, 1, 1, 128] as never }, 'invalid-data'],
      [{ compression: 'gzip', shards: [1, 1, 1, 1024, 1024] }, 'unsupported'],
    ];
    for (const [options, tag] of cases) {
      const err = await rejection(ZarrWriter.create(path, ome, 'uint8', options));
      expect(isBfioError(err, tag as never), `${JSON.stringify(options)} → ${String(err)}`).toBe(true);
      expect((err as Error).message).toContain(path);
    }
    expect(readdirSync(TMP).filter((n) => n.includes('refused'))).toEqual([]);
  });

  it('append refuses a sharded store; abort of a sharded write leaves nothing', async () => {
    const ome = createOme({ sizeX: 100, sizeY: 100, type: 'uint8' });
    const path = join(TMP, 'sharded.ome.zarr');
    const w = await ZarrWriter.create(path, ome, 'uint8', {
      chunks: [1, 1, 1, 32, 32],
      shards: [1, 1, 1, 64, 64],
    });
    await w.writeRegion(
      { x: [0, 100], y: [0, 100], z: [0, 1], c: [0], t: [0] },
      new Uint8Array(10000).fill(3),
    );
    await w.close();
    const doc = JSON.parse(readFileSync(join(path, '0', 'zarr.json'), 'utf8'));
    expect(doc.codecs[0].name).toBe('sharding_indexed');
    const err = await rejection(ZarrWriter.create(path, ome, 'uint8', { append: true }));
    expect(isBfioError(err, 'unsupported')).toBe(true);
    expect((err as Error).message).toMatch(/sharded/);

    const gone = join(TMP, 'aborted.ome.zarr');
    const a = await ZarrWriter.create(gone, ome, 'uint8', {
      chunks: [1, 1, 1, 32, 32],
      shards: [1, 1, 1, 64, 64],
    });
    // Half of a shard: its file is open, without an index.
    await a.writeRegion({ x: [0, 100], y: [0, 40], z: [0, 1], c: [0], t: [0] }, new Uint8Array(4000).fill(5));
    await a.abort();
    expect(existsSync(gone)).toBe(false);
    expect(readdirSync(TMP).filter((n) => n.includes('aborted'))).toEqual([]);
  });
});

describe('ShardWriter: chunks arriving out of order', () => {
  const dir = join('/tmp', `bfio-zarr-reorder-${process.pid}`);
  beforeAll(() => mkdirSync(dir, { recursive: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * One shard of 8 × 4 chunks at the array's edge (5 × 3 of them inside it; the others are never written),
   * chunks of distinct lengths handed over in a scrambled order; with a window large enough to hold them
   * back and with none, the file must be the same: chunks in index order from offset 0, then the index.
   */
  async function shardFile(window: number, order: number[]): Promise<Uint8Array> {
    const path = join(dir, `w${window}.bin`);
    const w = new ShardWriter(
      [1, 1, 1, 5, 3],
      [1, 1, 1, 1, 1],
      [1, 1, 1, 8, 4],
      () => path,
      undefined,
      window,
    );
    for (const k of order) {
      const y = Math.floor(k / 3);
      const x = k % 3;
      await w.write([0, 0, 0, y, x], new Uint8Array(k + 1).fill(k + 1));
    }
    await w.finishAll();
    return new Uint8Array(readFileSync(path));
  }

  it('holds early chunks back and writes the shard in index order; without a window it is rewritten the same', async () => {
    const order = [2, 0, 1, 5, 4, 3, 14, 6, 7, 8, 13, 12, 9, 10, 11];
    const held = await shardFile(1 << 20, order);
    const rewritten = await shardFile(0, order);
    expect(held).toEqual(rewritten);
    // Body: chunk k (k + 1 bytes of value k + 1) in index order; the index (32 slots × 16 bytes + CRC) after it.
    const body = order
      .slice()
      .sort((a, b) => a - b)
      .flatMap((k) => new Array(k + 1).fill(k + 1));
    expect([...held.subarray(0, body.length)]).toEqual(body);
    const view = new DataView(held.buffer, held.byteOffset + body.length);
    expect(held.byteLength).toBe(body.length + 32 * 16 + 4);
    let offset = 0;
    for (let slot = 0; slot < 32; slot++) {
      const y = Math.floor(slot / 4);
      const x = slot % 4;
      if (y >= 5 || x >= 3) {
        expect(view.getBigUint64(slot * 16, true)).toBe(0xffffffffffffffffn);
        continue;
      }
      const k = y * 3 + x;
      expect(Number(view.getBigUint64(slot * 16, true))).toBe(offset);
      expect(Number(view.getBigUint64(slot * 16 + 8, true))).toBe(k + 1);
      offset += k + 1;
    }
    expect(view.getUint32(32 * 16, true)).toBe(crc32c(held.subarray(body.length, body.length + 32 * 16)));
  });

  it('a chunk never written leaves the rest appended at close, in index order', async () => {
    const order = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]; // chunk 0 never comes
    const held = await shardFile(1 << 20, order);
    const view = new DataView(held.buffer, held.byteOffset + held.byteLength - 32 * 16 - 4);
    expect(view.getBigUint64(0, true)).toBe(0xffffffffffffffffn);
    expect(Number(view.getBigUint64(16, true))).toBe(0); // chunk 1 first in the file
    expect([...held.subarray(0, 2)]).toEqual([2, 2]);
  });
});
