/**
 * A chunk that is present but garbage is corruption, never the fill value: for every codec zarr-python writes
 * here (blosc, gzip, zlib, lz4, zstd, none; Zarr v2 and v3), a store whose first chunk is replaced by garbage
 * makes zarr-python raise, and must make bfio raise a typed `corrupt-file` error. (numcodecs' Blosc decodes
 * some garbage to nothing, which used to read as zeros.) The same stores, intact, read equal to the peer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

const ready = available('python');

const CODECS = [
  'v3-blosc',
  'v3-gzip',
  'v3-zstd',
  'v3-none',
  'v2-blosc',
  'v2-zlib',
  'v2-lz4',
  'v2-zstd',
  'v2-none',
];

describe.skipIf(!ready)('garbage in a present chunk is an error, never the fill value', () => {
  let dir: string;
  let peer: Record<string, { first: string; raised: string }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-corrupt-chunks-'));
    // zarr-python writes each store, then reports its first chunk's file, and (after we corrupt it) whether
    // it raises: written first, checked in the second call.
    peer = await runPythonJson(
      `
import json, sys, os, numpy as np, zarr, numcodecs
from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec
a = json.load(sys.stdin)
v = (np.arange(256 * 256, dtype='uint32') * 7 % 60000).astype('uint16').reshape(256, 256)
kinds = {
  'v3-blosc': (3, BloscCodec()), 'v3-gzip': (3, GzipCodec()), 'v3-zstd': (3, ZstdCodec()), 'v3-none': (3, None),
  'v2-blosc': (2, numcodecs.Blosc()), 'v2-zlib': (2, numcodecs.Zlib()), 'v2-lz4': (2, numcodecs.LZ4()),
  'v2-zstd': (2, numcodecs.Zstd()), 'v2-none': (2, None),
}
out = {}
for name in a['codecs']:
    fmt, comp = kinds[name]
    path = os.path.join(a['dir'], name + '.zarr')
    arr = zarr.create_array(path, shape=(256, 256), chunks=(128, 128), dtype='uint16', zarr_format=fmt, compressors=comp)
    arr[:] = v
    first = os.path.join(path, 'c', '0', '0') if fmt == 3 else os.path.join(path, '0.0')
    out[name] = {'first': first, 'raised': ''}
print(json.dumps(out))
`,
      { dir, codecs: CODECS },
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each intact store reads (the chunk layout is what we corrupt next)', async () => {
    for (const name of CODECS) {
      await using br = await BioReader.open(join(dir, `${name}.zarr`));
      const px = await br.read();
      expect(px.data[1], name).toBe(7);
      expect(px.data[300], name).toBe((300 * 7) % 60000);
    }
  });

  it('after garbage replaces the first chunk, zarr-python raises and so does bfio (corrupt-file)', async () => {
    // Deterministic garbage of a plausible size (a little PRNG: the same bytes every run).
    let s = 12345;
    const garbage = new Uint8Array(300).map(() => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s >>> 24;
    });
    for (const name of CODECS) writeFileSync(peer[name]?.first as string, garbage);
    const raised = await runPythonJson<Record<string, string>>(
      `
import json, sys, os, zarr
a = json.load(sys.stdin)
out = {}
for name in a['codecs']:
    try:
        zarr.open_array(os.path.join(a['dir'], name + '.zarr'), mode='r')[:]
        out[name] = ''
    except Exception as e:
        out[name] = type(e).__name__
print(json.dumps(out))
`,
      { dir, codecs: CODECS },
    );
    for (const name of CODECS) {
      expect(raised[name], `zarr-python on ${name}`).not.toBe('');
      const err = await BioReader.open(join(dir, `${name}.zarr`))
        .then(async (br) => {
          try {
            await br.read();
            return undefined;
          } finally {
            await br.close();
          }
        })
        .catch((e: unknown) => e);
      expect(isBfioError(err, 'corrupt-file'), `${name}: ${String(err)}`).toBe(true);
      expect((err as Error).message, name).toContain(join(dir, `${name}.zarr`));
      // The message names the chunk's key, as the store holds it (v3 default encoding, v2 '.' separator).
      expect((err as Error).message, name).toContain(name.startsWith('v3') ? "chunk 'c/0/0'" : "chunk '0.0'");
    }
  });
});

describe.skipIf(!ready)(
  'array metadata that breaks the spec is refused at open, naming the array and the fix',
  () => {
    let dir: string;
    const cases: Array<{ name: string; edit: string; message: RegExp }> = [
      { name: 'v3-zero-chunks', edit: 'chunks=[0,0]', message: /invalid chunks \[0,0\].*fix its metadata/ },
      { name: 'v2-zero-chunks', edit: 'chunks=[0,0]', message: /invalid chunks \[0,0\].*fix its metadata/ },
      { name: 'v2-rank', edit: 'chunks=[128]', message: /2 dimensions but 1 chunk sizes/ },
      { name: 'v3-negative-shape', edit: 'shape=[-5,256]', message: /invalid shape \[-5,256\]/ },
    ];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'bfio-bad-meta-'));
      await runPythonJson(
        `
import json, sys, os, zarr
a = json.load(sys.stdin)
for c in a['cases']:
    fmt = 3 if c['name'].startswith('v3') else 2
    path = os.path.join(a['dir'], c['name'] + '.zarr')
    arr = zarr.create_array(path, shape=(256, 256), chunks=(128, 128), dtype='uint16', zarr_format=fmt)
    arr[:] = 5
    key, value = c['edit'].split('=')
    value = json.loads(value)
    meta_path = os.path.join(path, 'zarr.json' if fmt == 3 else '.zarray')
    m = json.load(open(meta_path))
    if key == 'chunks':
        if fmt == 3: m['chunk_grid']['configuration']['chunk_shape'] = value
        else: m['chunks'] = value
    else:
        m['shape'] = value
    json.dump(m, open(meta_path, 'w'))
print('null')
`,
        { dir, cases: cases.map(({ name, edit }) => ({ name, edit })) },
      );
    });

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const c of cases) {
      it(c.name, async () => {
        const path = join(dir, `${c.name}.zarr`);
        const err = await BioReader.open(path)
          .then(async (br) => {
            await br.close();
            return undefined;
          })
          .catch((e: unknown) => e);
        expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
        expect((err as Error).message).toContain(path);
        expect((err as Error).message).toMatch(c.message);
      });
    }
  },
);
