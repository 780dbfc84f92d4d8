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
import { crc32c } from '../src/shard.js';
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
