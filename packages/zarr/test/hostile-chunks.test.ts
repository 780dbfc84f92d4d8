/**
 * A Blosc chunk whose header claims 4 GiB of decoded bytes (one flipped bit, found by the fuzzer) made
 * numcodecs' WASM decoder grow its memory past 2 GiB before failing. The header is now checked against what
 * one chunk can hold (its shape × item size) first: a corrupt-file error naming the store, in little memory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

describe.skipIf(!available('python'))('a Blosc header claiming more than a chunk holds', () => {
  let dir: string;
  let store: string;
  let peer: { chunk: string; raised: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-hostile-chunks-'));
    store = join(dir, 'blosc.zarr');
    // zarr-python writes the store; the test damages chunk 0.0's header; zarr-python then reads it back.
    const written = await runPythonJson<{ chunk: string }>(
      `
import json, sys, numpy as np, zarr, numcodecs
a = json.load(sys.stdin)
z = zarr.open_array(a['store'], mode='w', zarr_format=2, shape=(64, 64), chunks=(32, 32), dtype='uint16',
                    compressor=numcodecs.Blosc(cname='lz4'))
z[...] = (np.arange(64 * 64) % 4000).astype('uint16').reshape(64, 64)
print(json.dumps({'chunk': a['store'] + '/0.0'}))
`,
      { store },
    );
    const bytes = new Uint8Array(readFileSync(written.chunk));
    new DataView(bytes.buffer).setUint32(4, 0xfffffff0, true);
    writeFileSync(written.chunk, bytes);
    const raised = await runPythonJson<{ raised: string }>(
      `
import json, sys, zarr
try:
    zarr.open_array(json.load(sys.stdin)['store'], mode='r')[:32, :32]
    print(json.dumps({'raised': ''}))
except BaseException as e:
    print(json.dumps({'raised': type(e).__name__}))
`,
      { store },
    );
    peer = { chunk: written.chunk, raised: raised.raised };
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is a corrupt-file error, as zarr-python raises, without allocating gigabytes', async () => {
    expect(peer.raised, 'zarr-python read the damaged chunk').not.toBe('');
    const before = process.memoryUsage().rss;
    const err = await (async () => {
      await using br = await BioReader.open(store);
      await br.read({ X: [0, 32], Y: [0, 32] });
    })().catch((e: unknown) => e);
    expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
    expect((err as Error).message).toContain(store);
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20);
    // The other chunks still read.
    await using br = await BioReader.open(store);
    expect((await br.read({ X: [32, 64], Y: [32, 64] })).data.length).toBe(32 * 32);
  });
});

/**
 * A shard index entry of (offset, 2^32-1) with its checksum fixed up (the fuzzer's shard-index mutation):
 * through zarrita (Blosc inside the shard) the store's range read passed the length to fs.read, which aborts
 * the whole process (`Assertion failed: args[3]->IsInt32()`); through bfio's direct path (zstd) the worker
 * was asked for a 4 GiB read. Both are corrupt-file errors now, and zarr-python refuses the same shards.
 */
describe.skipIf(!available('python'))('a shard index entry pointing past its shard', () => {
  let dir: string;
  let peer: Record<string, { store: string; raised: string }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-hostile-shards-'));
    peer = await runPythonJson(
      `
import json, os, struct, sys, numpy as np, zarr
from numcodecs import CRC32C
from zarr.codecs import BloscCodec, ZstdCodec
d = json.load(sys.stdin)['dir']
out = {}
for name, codec in (('blosc', BloscCodec(cname='lz4')), ('zstd', ZstdCodec())):
    store = f'{d}/{name}.zarr'
    z = zarr.create_array(store, shape=(64, 64), chunks=(16, 16), shards=(32, 32), dtype='uint16', compressors=codec)
    z[...] = (np.arange(64 * 64) % 4000).astype('uint16').reshape(64, 64)
    shard = f'{store}/c/0/0'
    b = bytearray(open(shard, 'rb').read())
    n = 4  # chunks per shard
    at = len(b) - (n * 16 + 4)
    struct.pack_into('<QQ', b, at, 1, 2**32 - 1)  # chunk (0, 0): 4 GiB at byte 1
    b[-4:] = bytes(np.asarray(CRC32C().encode(bytes(b[at:at + n * 16]))).tobytes()[-4:])
    open(shard, 'wb').write(bytes(b))
    try:
        zarr.open_array(store, mode='r')[:16, :16]
        raised = ''
    except BaseException as e:
        raised = type(e).__name__
    out[name] = {'store': store, 'raised': raised}
print(json.dumps(out))
`,
      { dir },
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const codec of ['blosc', 'zstd'] as const) {
    it(`${codec}: a corrupt-file error naming the store, as zarr-python raises; other shards still read`, async () => {
      const { store, raised } = peer[codec]!;
      expect(raised, 'zarr-python read the damaged shard').not.toBe('');
      const err = await (async () => {
        await using br = await BioReader.open(store);
        await br.read({ X: [0, 16], Y: [0, 16] });
      })().catch((e: unknown) => e);
      expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
      expect((err as Error).message).toContain(store);
      // The checksum matches: the entry itself is what is refused.
      expect((err as Error).message).not.toMatch(/checksum/);
      expect((err as Error).message).toMatch(/4294967295 bytes|bytes 1\.\.4294967296 are asked for/);
      await using br = await BioReader.open(store);
      expect((await br.read({ X: [32, 64], Y: [32, 64] })).data.length).toBe(32 * 32);
    });
  }
});
