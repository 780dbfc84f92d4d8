/**
 * A tile the TIFF lacks (offset 0) reads as zeros, as libtiff and tifffile read it, unless reading is strict;
 * a tile that is present but broken is a corrupt-file error naming the tile, its IFD and its byte offset.
 * The files are written by tifffile and damaged by editing their tile tables, with offsets read by tifffile.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

const ready = available('python');

interface Peer {
  /** IFD offset of page 0, and each tile's offset and byte count, as tifffile reads them. */
  ifd: number;
  offsets: number[];
  counts: number[];
  /** tifffile's sum of the sparse file (tile 1 absent), and whether it raised on the broken one. */
  sparseSum: number;
  brokenRaised: string;
}

const failure = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e);

describe.skipIf(!ready)('strict reading and tile names in errors (TIFFs written by tifffile)', () => {
  let dir: string;
  let peer: Peer;
  const intact = () => join(dir, 'intact.tif');
  const sparse = () => join(dir, 'sparse.tif');
  const broken = () => join(dir, 'broken.tif');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-strict-tiff-'));
    const first = await runPythonJson<Omit<Peer, 'sparseSum' | 'brokenRaised'>>(
      `
import json, sys, os, numpy as np, tifffile
d = json.load(sys.stdin)
v = (np.arange(256 * 256, dtype='uint32') % 50000 + 1).astype('uint16').reshape(256, 256)
path = os.path.join(d, 'intact.tif')
tifffile.imwrite(path, v, tile=(64, 64), compression='zlib')
with tifffile.TiffFile(path) as t:
    p = t.pages[0]
    print(json.dumps({'ifd': p.offset, 'offsets': [int(o) for o in p.dataoffsets],
                      'counts': [int(c) for c in p.databytecounts]}))
`,
      dir,
    );
    // Sparse: tile 1's TileOffsets entry set to 0 (the classic TIFF's LONG array, found by its value).
    copyFileSync(intact(), sparse());
    const bytes = readFileSync(sparse());
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let patched = 0;
    for (let i = 0; i + 8 <= bytes.length; i += 2) {
      // The offsets array holds tile 0's offset then tile 1's, consecutive LONGs.
      if (view.getUint32(i, true) === first.offsets[0] && view.getUint32(i + 4, true) === first.offsets[1]) {
        view.setUint32(i + 4, 0, true);
        patched++;
      }
    }
    expect(patched).toBe(1);
    writeFileSync(sparse(), bytes);
    // Broken: tile 2's Deflate stream overwritten with garbage (its offset and length unchanged).
    const b = readFileSync(intact());
    const at = first.offsets[2] as number;
    for (let i = at; i < at + (first.counts[2] as number); i++) b[i] = (i * 7919) & 0xff;
    writeFileSync(broken(), b);
    const second = await runPythonJson<Pick<Peer, 'sparseSum' | 'brokenRaised'>>(
      `
import json, sys, os, tifffile
d = json.load(sys.stdin)
out = {'sparseSum': int(tifffile.imread(os.path.join(d, 'sparse.tif')).sum())}
try:
    tifffile.imread(os.path.join(d, 'broken.tif'))
    out['brokenRaised'] = ''
except Exception as e:
    out['brokenRaised'] = type(e).__name__
print(json.dumps(out))
`,
      dir,
    );
    peer = { ...first, ...second };
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a tile with offset 0 reads as zeros, as tifffile reads it', async () => {
    await using br = await BioReader.open(sparse());
    const px = await br.read();
    let sum = 0;
    for (const v of px.data as Uint16Array) sum += v;
    expect(sum).toBe(peer.sparseSum);
    // Tile 1 is x 64..128 of the first 64 rows: all zeros.
    const tile = await br.read({ X: [64, 128], Y: [0, 64] });
    expect((tile.data as Uint16Array).every((v) => v === 0)).toBe(true);
  });

  it('strict reading names the missing tile and its IFD', async () => {
    await using br = await BioReader.open(sparse(), { strict: true });
    const err = await failure(br.read());
    expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
    expect((err as Error).message).toContain(sparse());
    expect((err as Error).message).toContain(`tile 1 of the IFD at byte ${peer.ifd}`);
    expect((err as Error).message).toContain('strict');
    // Tiles the file has still read under strict reading.
    const px = await br.read({ X: [0, 64], Y: [0, 64] });
    expect(px.data[0]).toBe(1);
  });

  it('a broken tile is named with its IFD and byte offset; tifffile fails on it too', async () => {
    expect(peer.brokenRaised).not.toBe('');
    for (const decodeOn of ['workers', 'libuv'] as const) {
      await using br = await BioReader.open(broken(), { decodeOn });
      const err = await failure(br.read());
      expect(isBfioError(err, 'corrupt-file'), `${decodeOn}: ${String(err)}`).toBe(true);
      const message = (err as Error).message;
      expect(message).toContain(broken());
      expect(message).toContain(`tile 2 of the IFD at byte ${peer.ifd}`);
      expect(message).toContain(`at byte ${peer.offsets[2]}`);
    }
  });
});

const CODECS = ['zlib', 'lzw', 'zstd', 'jpeg', 'packbits'] as const;

describe.skipIf(!ready)(
  'a present but broken tile is an error for every codec, never zeros (as tifffile)',
  () => {
    let dir: string;
    let peer: Record<string, { raised: string; offset: number }>;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'bfio-corrupt-codecs-'));
      // tifffile writes each codec, then tile 1's bytes are replaced by deterministic garbage (same length),
      // and tifffile reads the result: it must raise, and so must we. 'none' is cut short inside tile 1.
      peer = await runPythonJson(
        `
import json, sys, os, numpy as np, tifffile
a = json.load(sys.stdin)
v = (np.arange(128 * 128, dtype='uint32') * 37 % 251).astype('uint8').reshape(128, 128)
out = {}
for name in a['codecs'] + ['none']:
    p = os.path.join(a['dir'], name + '.tif')
    tifffile.imwrite(p, v, tile=(64, 64), compression=None if name == 'none' else name)
    with tifffile.TiffFile(p) as t:
        off, cnt = int(t.pages[0].dataoffsets[1]), int(t.pages[0].databytecounts[1])
    b = bytearray(open(p, 'rb').read())
    if name == 'none':
        b = b[:off + cnt // 2]
    else:
        s = 12345
        for i in range(off, off + cnt):
            s = (s * 1103515245 + 12345) & 0xffffffff
            b[i] = s >> 24
    open(p, 'wb').write(bytes(b))
    try:
        tifffile.imread(p)
        out[name] = {'raised': '', 'offset': off}
    except Exception as e:
        out[name] = {'raised': type(e).__name__, 'offset': off}
print(json.dumps(out))
`,
        { dir, codecs: CODECS },
      );
    });

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const name of [...CODECS, 'none'] as const) {
      it(name, async () => {
        const path = join(dir, `${name}.tif`);
        if (name !== 'none') expect(peer[name]?.raised, `tifffile on ${name}`).not.toBe('');
        for (const decodeOn of ['workers', 'libuv'] as const) {
          await using br = await BioReader.open(path, { decodeOn });
          const err = await failure(br.read());
          expect(isBfioError(err, 'corrupt-file'), `${name}/${decodeOn}: ${String(err)}`).toBe(true);
          const message = (err as Error).message;
          expect(message).toContain(path);
          expect(message).toMatch(/tile 1\b/);
          expect(message).toContain(`${peer[name]?.offset}`);
        }
      });
    }
  },
);
