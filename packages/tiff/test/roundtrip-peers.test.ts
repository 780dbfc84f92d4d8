/**
 * Issue acceptance 3 and 5 for @bfio/tiff:
 * - 1,000 random windows (unaligned, tile-crossing, single-pixel, full-plane) of a 5-D file we wrote equal
 *   the source pixels;
 * - files written in this run by tifffile (random sizes, tiles, codecs, predictors, dtypes, OME axes) and
 *   by bfio 2.5's python writer read back equal (sha256 of T,C,Z,Y,X on both sides).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, BioWriter } from '@bfio/core';
import { afterAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import '../src/index.js';
import { rng } from './writer-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'bfio-tiff-roundtrip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('1,000 random windows of a written 5-D file', () => {
  const S = { X: 517, Y: 300, Z: 3, C: 2, T: 2 };
  // Distinct per pixel (mod 2^16), so a misplaced pixel is always seen.
  const value = (x: number, y: number, z: number, c: number, t: number) =>
    (x * 7 + y * 131 + z * 5003 + c * 20011 + t * 40009) & 0xffff;

  it('every window equals the source', async () => {
    const path = join(dir, 'five-d.ome.tif');
    const bw = await BioWriter.create(path, {
      ...S,
      dtype: 'uint16',
      tileSize: [64, 96],
      compression: 'deflate',
    });
    for (let t = 0; t < S.T; t++)
      for (let c = 0; c < S.C; c++)
        for (let z = 0; z < S.Z; z++) {
          const plane = new Uint16Array(S.X * S.Y);
          for (let y = 0; y < S.Y; y++)
            for (let x = 0; x < S.X; x++) plane[y * S.X + x] = value(x, y, z, c, t);
          await bw.write({ data: plane, shape: [S.Y, S.X] }, { Z: z, C: [c], T: [t] });
        }
    await bw.close();
    await using br = await BioReader.open(path);
    const rand = rng(99);
    const pick = (n: number) => Math.floor(rand() * n);
    let bad = 0;
    let checked = 0;
    for (let k = 0; k < 1000; k++) {
      let x0 = pick(S.X - 1);
      let y0 = pick(S.Y - 1);
      let x1 = x0 + 1 + pick(Math.min(200, S.X - x0)); // unaligned, often tile-crossing
      let y1 = y0 + 1 + pick(Math.min(150, S.Y - y0));
      if (k % 10 === 0) {
        x1 = x0 + 1; // single pixel
        y1 = y0 + 1;
      } else if (k % 10 === 1) {
        [x0, x1, y0, y1] = [0, S.X, 0, S.Y]; // full plane
      }
      const z0 = pick(S.Z);
      const z1 = z0 + 1 + pick(S.Z - z0);
      const cs = rand() < 0.5 ? [pick(S.C)] : [1, 0];
      const ts = rand() < 0.5 ? [pick(S.T)] : [0, 1, 1];
      const a = await br.read({ X: [x0, x1], Y: [y0, y1], Z: [z0, z1], C: cs, T: ts }, { squeeze: false });
      for (let ti = 0; ti < ts.length; ti++)
        for (let ci = 0; ci < cs.length; ci++)
          for (let z = z0; z < z1; z++)
            for (let y = y0; y < y1; y += 7)
              for (let x = x0; x < x1; x += 3) {
                checked++;
                if (a.get(y - y0, x - x0, z - z0, ci, ti) !== value(x, y, z, cs[ci]!, ts[ti]!)) bad++;
              }
    }
    expect(bad).toBe(0);
    expect(checked).toBeGreaterThan(100_000);
  });
});

const PEERS = `
import json, sys, os, hashlib, logging, warnings
logging.disable(logging.CRITICAL); warnings.simplefilter('ignore')
import numpy as np, tifffile
from bfio import BioWriter
d = json.load(sys.stdin)
rng = np.random.default_rng(2026)
def image(shape, dtype):
    # Smooth structure + noise in Y, X; other axes shift the pattern.
    grids = np.indices(shape, dtype=np.float64)
    v = 40 * np.sin(grids[-2] / 9.0) + 30 * np.cos(grids[-1] / 13.0) + grids[-1] * 0.3 + 7 * sum(grids[:-2])
    v = v + rng.normal(0, 3, size=shape)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in 'iu' else None
    if info is not None:
        v = np.clip(v * (info.max / 300.0 if info.max < 1e6 else 1000), info.min, info.max)
    return v.astype(dtype)
def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a.astype(a.dtype.newbyteorder('<'))).tobytes()).hexdigest()
out = []
codecs = [None, 'zlib', 'adobe_deflate', 'lzw', 'zstd', 'packbits']
dtypes = ['uint8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64', 'int8']
for i in range(16):
    dtype = dtypes[i % len(dtypes)]
    codec = codecs[i % len(codecs)]
    t, c, z = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    y, x = int(rng.integers(20, 300)), int(rng.integers(20, 300))
    tile = (16 * int(rng.integers(1, 9)), 16 * int(rng.integers(1, 9))) if i % 4 != 3 else None
    a = image((t, c, z, y, x), dtype)
    kw = dict(compression=codec, ome=True, metadata={'axes': 'TCZYX'})
    if tile: kw['tile'] = tile
    if codec in ('zlib', 'adobe_deflate', 'lzw', 'zstd') and i % 3 == 0:
        kw['predictor'] = True
    if i % 5 == 4: kw['byteorder'] = '>'
    p = os.path.join(d, f'tifffile-{i}.ome.tif')
    tifffile.imwrite(p, a, **kw)
    out.append({'path': p, 'by': f'tifffile {codec} tile={tile} {dtype} {kw.get("byteorder", "<")}', 'shape': [t, c, z, y, x], 'sha256': digest(a)})
for i, dtype in enumerate(['uint8', 'uint16', 'float32']):
    z, c = int(rng.integers(1, 3)), 1
    y, x = int(rng.integers(100, 1500)), int(rng.integers(100, 1500))
    a = image((y, x, z, c, 1), dtype)
    p = os.path.join(d, f'bfio-{i}.ome.tif')
    with BioWriter(p, backend='python', X=x, Y=y, Z=z, C=c, T=1, dtype=np.dtype(dtype)) as bw:
        bw[:] = a
    tczyx = np.transpose(a, (4, 3, 2, 0, 1))
    out.append({'path': p, 'by': f'bfio 2.5 {dtype}', 'shape': list(tczyx.shape), 'sha256': digest(tczyx)})
print(json.dumps(out))
`;

const ok = available('python');
describe.skipIf(!ok)('files written by tifffile and bfio 2.5 in this run', () => {
  it('read back equal (shape and sha256 of every pixel)', async () => {
    const files = await runPythonJson<Array<{ path: string; by: string; shape: number[]; sha256: string }>>(
      PEERS,
      dir,
    );
    expect(files.length).toBe(19);
    const mismatches: string[] = [];
    for (const f of files) {
      await using br = await BioReader.open(f.path);
      const shape = [br.T, br.C, br.Z, br.Y, br.X];
      // Our reads are planar T, C, Z, Y, X: hash the buffer as is (little-endian host).
      const a = await br.read({}, { squeeze: false });
      const hash = createHash('sha256')
        .update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength))
        .digest('hex');
      if (JSON.stringify(shape) !== JSON.stringify(f.shape) || hash !== f.sha256)
        mismatches.push(`${f.by}: ${shape} vs ${f.shape}`);
    }
    expect(mismatches).toEqual([]);
  });
});
