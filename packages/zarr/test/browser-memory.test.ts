/**
 * OME-Zarr written in a browser: in Chromium, BioWriter writes stores into the page's in-memory file system
 * (a local path in a browser build names a file there), and BioReader reads them back. zarr-python then
 * reads the very files the page wrote (copied out through `memoryFiles`) and must find the same pixels, so
 * the stores are valid Zarr, not merely readable by us. Writing a TIFF in a browser is a typed Node-only
 * error, and so is overwriting a store without `overwrite`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInPage } from '../../../test-support/browser/page.js';
import { type BrowserSession, startBrowserSession } from '../../../test-support/browser/session.js';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import type { MemoryPageGlobals, MemoryWriteSpec } from './browser/memory-page.js';

const ok = available('chromium', 'python');

const CASES: Array<[what: string, spec: MemoryWriteSpec]> = [
  [
    'NGFF 0.5, uncompressed (written by bfio directly)',
    { path: '/a.ome.zarr', compression: 'none', ngffVersion: '0.5' },
  ],
  [
    'NGFF 0.5, zstd, 2 pyramid levels',
    { path: '/b.ome.zarr', compression: 'zstd', ngffVersion: '0.5', pyramidLevels: 2 },
  ],
  [
    'NGFF 0.5, sharded, uncompressed',
    { path: '/c.ome.zarr', compression: 'none', ngffVersion: '0.5', shards: [1, 1, 1, 64, 64] },
  ],
  ['NGFF 0.4 (Zarr v2), zlib', { path: '/d.ome.zarr', compression: 'zlib', ngffVersion: '0.4' }],
];

/** zarr-python's reading of each written store's level 0: mismatches against the formula, and the shape. */
const PEER = `
import json, sys, numpy as np, zarr
out = []
for root in json.load(sys.stdin):
    g = zarr.open_group(root, mode='r')
    a = g['0'][:]
    t, c, z, y, x = np.indices(a.shape)
    want = (x * 7 + y * 13 + z * 101 + c * 1009) % 65536
    out.append({'shape': list(a.shape), 'dtype': str(a.dtype), 'mismatches': int((a != want).sum()),
                'levels': len([k for k in g.array_keys()])})
print(json.dumps(out))
`;

describe.skipIf(!ok)('OME-Zarr written to memory in Chromium', () => {
  let session: BrowserSession;
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bfio-zarr-memory-'));
    session = await startBrowserSession(
      new URL('./browser/memory-page.ts', import.meta.url).pathname,
      join(tmp, 'page'),
    );
  }, 180_000);
  afterAll(async () => {
    await session?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('writes each store, reads it back, and zarr-python reads the same pixels from its files', async () => {
    const roots: string[] = [];
    for (const [what, spec] of CASES) {
      const got = await runInPage(
        session.page.page,
        (s) => (globalThis as unknown as MemoryPageGlobals).bfioMemory.write(s),
        spec,
      );
      expect(got.backend, what).toBe('zarr');
      expect(got.mismatches, what).toBe(0);
      expect(got.shape, what).toEqual([70, 90, 3, 2, 1]);
      expect(got.levels, what).toBe((spec.pyramidLevels ?? 0) + 1);
      const root = join(tmp, 'stores', spec.path);
      for (const [rel, b64] of Object.entries(got.files)) {
        await mkdir(dirname(join(root, rel)), { recursive: true });
        await writeFile(join(root, rel), Buffer.from(b64, 'base64'));
      }
      roots.push(root);
    }
    const peer = await runPythonJson<
      Array<{ shape: number[]; dtype: string; mismatches: number; levels: number }>
    >(PEER, roots);
    for (const [i, [what, spec]] of CASES.entries()) {
      expect(peer[i], what).toEqual({
        shape: [1, 2, 3, 70, 90],
        dtype: 'uint16',
        mismatches: 0,
        levels: (spec.pyramidLevels ?? 0) + 1,
      });
    }
  }, 120_000);

  it('refuses to overwrite a store without overwrite, and TIFF writes, with typed errors', async () => {
    const [exists, tiff] = await runInPage(
      session.page.page,
      (p) => (globalThis as unknown as MemoryPageGlobals).bfioMemory.refusals(p),
      '/a.ome.zarr',
    );
    expect(exists).toMatchObject({ name: 'FileExistsError' });
    expect(tiff?.message).toMatch(/Node-only/);
  });
});
