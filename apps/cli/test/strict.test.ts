/**
 * `--strict`: a chunk missing from the input is an input error (exit 2) naming the chunk, where the default
 * reads it as the fill value exactly as zarr-python does. The store is written by zarr-python.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';

const ok = available('python');

async function bfio(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(argv, { out: () => {}, err: (s) => (err += `${s}\n`) });
  return { code, err };
}

describe.skipIf(!ok)('bfio read/convert --strict', () => {
  let dir: string;
  let store: string;
  let peer: { sum: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-cli-strict-'));
    store = join(dir, 'half.zarr');
    peer = await runPythonJson<{ sum: number }>(
      `
import json, sys, numpy as np, zarr
path = json.load(sys.stdin)
a = zarr.create_array(path, shape=(128, 128), chunks=(64, 64), dtype='uint8', fill_value=0, zarr_format=3)
a[0:64, :] = 9
print(json.dumps({'sum': int(zarr.open_array(path, mode='r')[:].sum())}))
`,
      store,
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without --strict, absent chunks are the fill value (as zarr-python reads them)', async () => {
    const out = join(dir, 'all.npy');
    const r = await bfio('read', store, '--out', out);
    expect(r.code, r.err).toBe(0);
    const bytes = readFileSync(out);
    const header = bytes.readUInt16LE(8);
    let sum = 0;
    for (let i = 10 + header; i < bytes.length; i++) sum += bytes[i] as number;
    expect(sum).toBe(peer.sum);
  });

  it('with --strict, read and convert exit 2 naming the missing chunk', async () => {
    const r = await bfio('read', store, '--out', join(dir, 'strict.npy'), '--strict');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/chunk 'c\/1\/[01]' is missing/);
    expect(r.err).toContain(store);
    const c = await bfio('convert', store, join(dir, 'out.ome.tif'), '--strict');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/chunk 'c\/1\/[01]' is missing/);
    expect(existsSync(join(dir, 'out.ome.tif'))).toBe(false);
  });
});
