/**
 * Absent chunks read as the fill value (the spec's rule) unless reading is strict, where each is an error
 * naming its key; and a chunk that is present but broken is named in the error by its key (inside a shard:
 * the shard's key, the inner chunk and its byte offset, which zarr-python's own index parsing gives here).
 * Stores are written by zarr-python with chunks left out, so nothing here depends on our writer.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

const ready = available('python');

/** Store name → what zarr-python reports: sum of its full read, the key of one absent chunk, etc. */
interface PeerStore {
  sum: number;
  /** The chunk (or inner chunk) strict reading must name. */
  absent: string;
}

interface Peer {
  stores: Record<string, PeerStore>;
  /** The sharded store whose inner chunk [0,1] we corrupt: the shard file, that chunk's offset and length. */
  corrupt: { shard: string; offset: number; length: number };
}

const read = async (path: string, strict: boolean) => {
  const br = await BioReader.open(path, { strict });
  try {
    return await br.read();
  } finally {
    await br.close();
  }
};

const failure = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e);

describe.skipIf(!ready)('strict reading and chunk names in errors (stores written by zarr-python)', () => {
  let dir: string;
  let peer: Peer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-strict-'));
    peer = await runPythonJson<Peer>(
      `
import json, sys, os, numpy as np, zarr
from zarr.codecs import BloscCodec, ZstdCodec
a = json.load(sys.stdin)
d = a['dir']
v = (np.arange(256 * 256, dtype='uint32') % 50000 + 1).astype('uint16').reshape(256, 256)
stores = {}
def make(name, **kw):
    path = os.path.join(d, name + '.zarr')
    arr = zarr.create_array(path, shape=(256, 256), dtype='uint16', fill_value=0, **kw)
    return path, arr
# v2, '.' keys: the top half only; chunk (1, 0) is never written.
path, arr = make('v2', chunks=(128, 128), zarr_format=2, compressors=None)
arr[0:128, :] = v[0:128, :]
stores['v2'] = {'sum': int(zarr.open_array(path, mode='r')[:].sum()), 'absent': "chunk '1.0'"}
# v3 blosc (read through zarrita): same.
path, arr = make('v3-blosc', chunks=(128, 128), zarr_format=3, compressors=BloscCodec())
arr[0:128, :] = v[0:128, :]
stores['v3-blosc'] = {'sum': int(zarr.open_array(path, mode='r')[:].sum()), 'absent': "chunk 'c/1/0'"}
# v3 sharded zstd (read directly): one inner chunk of shard (0,0) written, the rest absent.
path, arr = make('v3-sharded', chunks=(64, 64), shards=(128, 128), zarr_format=3, compressors=ZstdCodec())
arr[0:64, 0:64] = v[0:64, 0:64]
arr[128:256, 128:256] = v[128:256, 128:256]
stores['v3-sharded'] = {'sum': int(zarr.open_array(path, mode='r')[:].sum()),
                        'absent': "inner chunk [0,1] of shard 'c/0/0'"}
# For corruption: a fully written sharded store; the index (at the end, 4 inner chunks, + crc32c) says
# where inner chunk [0,1] (slot 1) is.
path, arr = make('v3-sharded-full', chunks=(64, 64), shards=(128, 128), zarr_format=3, compressors=ZstdCodec())
arr[:] = v
shard = os.path.join(path, 'c', '0', '0')
raw = open(shard, 'rb').read()
index = np.frombuffer(raw[-(4 * 16 + 4):-4], dtype='<u8').reshape(4, 2)
# Checksummed chunks (crc32c after the bytes), and a blosc-sharded store (read through zarrita) whose index
# has a crc32c: one byte of chunk c/0/0's data, and one byte of the shard index, flipped below.
path, arr = make('v3-crc', chunks=(128, 128), zarr_format=3, compressors=[zarr.codecs.Crc32cCodec()])
arr[:] = v
path, arr = make('v3-blosc-sharded', chunks=(64, 64), shards=(128, 128), zarr_format=3, compressors=BloscCodec())
arr[:] = v
# Chunks that decode fine but to the wrong size (another chunk's stream): gzip (v2) and blosc (v3).
import gzip as gz, numcodecs
path, arr = make('v2-gzip-short', chunks=(128, 128), zarr_format=2, compressors=numcodecs.GZip())
arr[:] = v
open(os.path.join(path, '0.0'), 'wb').write(gz.compress(v[0:64, 0:128].tobytes()))
path, arr = make('v2-gzip-long', chunks=(128, 128), zarr_format=2, compressors=numcodecs.GZip())
arr[:] = v
open(os.path.join(path, '0.1'), 'wb').write(gz.compress(v.tobytes()))
path, arr = make('v3-blosc-short', chunks=(128, 128), zarr_format=3, compressors=BloscCodec())
arr[:] = v
open(os.path.join(path, 'c', '1', '1'), 'wb').write(numcodecs.Blosc().encode(v[0:100, 0:128].copy()))
print(json.dumps({'stores': stores, 'corrupt': {'shard': shard, 'offset': int(index[1][0]), 'length': int(index[1][1])}}))
`,
      { dir },
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['v2', 'v3-blosc', 'v3-sharded']) {
    it(`${name}: absent chunks read as the fill value, as zarr-python reads them`, async () => {
      const px = await read(join(dir, `${name}.zarr`), false);
      let sum = 0;
      for (const v of px.data as Uint16Array) sum += v;
      expect(sum).toBe(peer.stores[name]?.sum);
    });

    it(`${name}: strict reading names the absent chunk`, async () => {
      const path = join(dir, `${name}.zarr`);
      const err = await failure(read(path, true));
      expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
      const message = (err as Error).message;
      expect(message).toContain(path);
      expect(message).toContain('strict');
      // Which absent chunk is met first depends on read order: any chunk file not on disk will do.
      const named = /chunk '([^']+)'|shard '([^']+)'/.exec(message);
      expect(named, message).not.toBeNull();
      const key = (named?.[1] ?? named?.[2]) as string;
      if (name === 'v3-sharded' && named?.[2]) {
        // An inner chunk of a shard that exists, or the chunks of a shard that does not.
        expect(message).toMatch(/inner chunk \[\d,\d\] of shard 'c\/[01]\/[01]'/);
      } else {
        expect(existsSync(join(path, key)), `${key} is named missing but exists`).toBe(false);
        expect(key).toMatch(name === 'v2' ? /^1\.[01]$/ : /^c\/1\/[01]$/);
      }
    });
  }

  it('v3-sharded: strict reading of the written shard names its absent inner chunk', async () => {
    const path = join(dir, 'v3-sharded.zarr');
    const br = await BioReader.open(path, { strict: true });
    try {
      // Shard (0,0) exists with only inner chunk [0,0]; [0,1] is absent inside it.
      await expect(br.read({ X: [64, 128], Y: [0, 64] })).rejects.toThrow(peer.stores['v3-sharded']?.absent);
      // The written inner chunk itself reads.
      const px = await br.read({ X: [0, 64], Y: [0, 64] });
      expect(px.data[1]).toBe(2);
    } finally {
      await br.close();
    }
  });

  it('a broken inner chunk of a shard is named with its shard and byte offset; zarr-python fails too', async () => {
    const { shard, offset, length } = peer.corrupt;
    const bytes = readFileSync(shard);
    // Keep zstd's magic, break the frame header and contents: the decoder must reject it.
    for (let i = offset + 4; i < offset + length; i++) bytes[i] = (i * 31) & 0xff;
    writeFileSync(shard, bytes);
    const raised = await runPythonJson<string>(
      `
import json, sys, zarr
try:
    zarr.open_array(json.load(sys.stdin), mode='r')[0:64, 64:128]
    print(json.dumps(''))
except Exception as e:
    print(json.dumps(type(e).__name__))
`,
      join(dir, 'v3-sharded-full.zarr'),
    );
    expect(raised).not.toBe('');
    const path = join(dir, 'v3-sharded-full.zarr');
    const br = await BioReader.open(path);
    try {
      const err = await failure(br.read({ X: [64, 128], Y: [0, 64] }));
      expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
      const message = (err as Error).message;
      expect(message).toContain("inner chunk [0,1] of shard 'c/0/0'");
      expect(message).toContain(`at byte ${offset}`);
      expect(message).toContain(path);
    } finally {
      await br.close();
    }
  });
  it('a checksum mismatch (chunk crc32c, shard index crc32c) is corrupt-file naming the chunk; zarr-python fails too', async () => {
    const flip = (file: string, at: (n: number) => number) => {
      const bytes = readFileSync(file);
      const i = at(bytes.length);
      bytes[i] = (bytes[i] as number) ^ 0x40;
      writeFileSync(file, bytes);
    };
    // A data byte of the checksummed chunk, and a byte of the 4×16-byte index before its own crc32c.
    flip(join(dir, 'v3-crc.zarr', 'c', '0', '0'), () => 100);
    flip(join(dir, 'v3-blosc-sharded.zarr', 'c', '0', '0'), (n) => n - 4 - 20);
    const raised = await runPythonJson<Record<string, string>>(
      `
import json, sys, os, zarr
d = json.load(sys.stdin)
out = {}
for name in ['v3-crc', 'v3-blosc-sharded']:
    try:
        zarr.open_array(os.path.join(d, name + '.zarr'), mode='r')[0:64, 0:128]
        out[name] = ''
    except Exception as e:
        out[name] = type(e).__name__
print(json.dumps(out))
`,
      dir,
    );
    for (const [name, key] of [
      ['v3-crc', "chunk 'c/0/0'"],
      ['v3-blosc-sharded', "of shard 'c/0/0'"],
    ] as const) {
      expect(raised[name], `zarr-python on ${name}`).not.toBe('');
      const path = join(dir, `${name}.zarr`);
      const err = await failure(read(path, false));
      expect(isBfioError(err, 'corrupt-file'), `${name}: ${String(err)}`).toBe(true);
      expect((err as Error).message).toContain(key);
      expect((err as Error).message).toMatch(/crc32c|checksum/);
    }
  });
  it('a chunk that decodes to the wrong size is corrupt-file naming it, never cut or zero-padded pixels', async () => {
    const cases = [
      ['v2-gzip-short', "chunk '0.0'"],
      ['v2-gzip-long', "chunk '0.1'"],
      ['v3-blosc-short', "chunk 'c/1/1'"],
    ] as const;
    const raised = await runPythonJson<Record<string, string>>(
      `
import json, sys, os, zarr
a = json.load(sys.stdin)
out = {}
for name in a['names']:
    try:
        zarr.open_array(os.path.join(a['dir'], name + '.zarr'), mode='r')[:]
        out[name] = ''
    except Exception as e:
        out[name] = type(e).__name__
print(json.dumps(out))
`,
      { dir, names: cases.map(([n]) => n) },
    );
    for (const [name, key] of cases) {
      expect(raised[name], `zarr-python on ${name}`).not.toBe('');
      const err = await failure(read(join(dir, `${name}.zarr`), false));
      expect(isBfioError(err, 'corrupt-file'), `${name}: ${String(err)}`).toBe(true);
      expect((err as Error).message).toContain(key);
      expect((err as Error).message).toMatch(/decodes to \d+ (elements|bytes)/);
    }
  });
});
