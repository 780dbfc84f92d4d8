/**
 * OME-XML that claims more planes than its files can hold (SizeZ="1000000000" in a 17 KB file) used to make
 * the reader build a per-plane table until V8 ran out of heap and aborted the process. The claim is now
 * checked against the files' sizes first: the file reads as the plain TIFF it is (2 planes, equal to
 * tifffile's pages), with a warning naming the impossible sizes, quickly and in little memory. A member of a
 * multi-file set read without the file that holds its metadata is a typed error naming that file (it was a
 * raw ENOENT).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath, REPO_ROOT } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

const ready = available('python');

describe.skipIf(!ready)('OME-XML claiming impossible plane counts', () => {
  let dir: string;
  let file: string;
  let peer: { pages: number; sha: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-hostile-'));
    file = join(dir, 'huge-z.ome.tif');
    peer = await runPythonJson(
      `
import json, sys, hashlib, numpy as np, tifffile
a = json.load(sys.stdin)
ok = a['file'] + '.ok.ome.tif'
img = (np.arange(2 * 64 * 64) % 4093).astype('uint16').reshape(2, 64, 64)
tifffile.imwrite(ok, img, ome=True, metadata={'axes': 'ZYX'})
d = tifffile.TiffFile(ok).pages[0].description
bad = d.replace('SizeZ="2"', 'SizeZ="1000000000"')
assert bad != d
tifffile.imwrite(a['file'], img, description=bad, metadata=None)
with tifffile.TiffFile(a['file']) as t:
    pages = np.stack([p.asarray() for p in t.pages])
print(json.dumps({'pages': len(pages), 'sha': hashlib.sha256(pages.astype('<u2').tobytes()).hexdigest()}))
`,
      { file },
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens in a child process capped at 256 MiB of heap, reads the real planes, and says why', () => {
    // A child with a small heap: the old behaviour (an abort on heap exhaustion) fails this test loudly.
    const script = `
      import { createHash } from 'node:crypto';
      import { BioReader } from '@bfio/core';
      import '@bfio/tiff';
      const br = await BioReader.open(${JSON.stringify(file)});
      const px = await br.read({}, { squeeze: false, shared: false });
      const sha = createHash('sha256').update(new Uint8Array(px.data.buffer, px.data.byteOffset, px.data.byteLength)).digest('hex');
      console.log(JSON.stringify({ Z: br.Z, sha, warnings: JSON.stringify(br.details ?? {}) }));
      await br.close();
    `;
    const started = Date.now();
    const r = spawnSync(
      'node',
      ['--max-old-space-size=256', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: join(REPO_ROOT, 'packages', 'tiff'), encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    const got = JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
      Z: number;
      sha: string;
      warnings: string;
    };
    expect(got.Z).toBe(peer.pages);
    expect(got.sha).toBe(peer.sha);
    expect(got.warnings).toMatch(/claims 1000000000 Z .* = 1,000,000,000 planes.*can hold at most/);
  });
});

describe.skipIf(!available('data'))(
  'a member of a multi-file OME-TIFF read without the file holding the metadata',
  () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'bfio-lonely-'));
      const sets = join('exampletiffs', 'ometiff_testdata', 'multiples');
      mkdirSync(join(dir, 'companion'));
      mkdirSync(join(dir, 'master'));
      copyFileSync(
        dataPath(join(sets, 'companion', 'multifile-Z1.ome.tiff')),
        join(dir, 'companion', 'multifile-Z1.ome.tiff'),
      );
      copyFileSync(
        dataPath(join(sets, 'master', 'multifile-Z2.ome.tiff')),
        join(dir, 'master', 'multifile-Z2.ome.tiff'),
      );
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const [member, metadata] of [
      ['companion/multifile-Z1.ome.tiff', 'multifile.companion.ome'],
      ['master/multifile-Z2.ome.tiff', 'multifile-Z1.ome.tiff'],
    ] as const) {
      it(`${member}: a not-found error naming the missing ${metadata}`, async () => {
        const err = await BioReader.open(join(dir, member)).catch((e: unknown) => e);
        expect(isBfioError(err, 'not-found'), String(err)).toBe(true);
        expect((err as Error).message).toContain(join(dir, member));
        expect((err as Error).message).toMatch(
          new RegExp(
            `${metadata.replace(/\./g, '\\.')}, which is missing; keep the files of the set together`,
          ),
        );
      });
    }
  },
);

describe.skipIf(!available('data'))('a read larger than the read budget', () => {
  const sample = dataPath('aicsimageio/s_1_t_1_c_1_z_1.ome.tiff');

  it('is a typed error naming the file, the size and the fix, before anything is allocated', async () => {
    await using br = await BioReader.open(sample);
    const err = await br.read({}, { maxBytes: 100_000 }).catch((e: unknown) => e);
    expect(isBfioError(err, 'invalid-data'), String(err)).toBe(true);
    expect((err as Error).message).toContain(sample);
    expect((err as Error).message).toMatch(
      /needs 0\.3 MiB, more than this read may allocate \(0\.1 MiB.*read it by tiles/,
    );
    // Within the budget the same read works, and a tile of it too.
    expect((await br.read({}, { maxBytes: 475 * 325 * 2 })).data.length).toBe(475 * 325);
  });

  it('BFIO_MAX_READ_BYTES sets the default budget', async () => {
    await using br = await BioReader.open(sample);
    process.env.BFIO_MAX_READ_BYTES = '1000';
    try {
      const err = await br.read().catch((e: unknown) => e);
      expect(isBfioError(err, 'invalid-data'), String(err)).toBe(true);
      const tile = await br.read({ X: [0, 16], Y: [0, 16] });
      expect(tile.data.length).toBe(256);
    } finally {
      delete process.env.BFIO_MAX_READ_BYTES;
    }
  });
});

describe.skipIf(!ready)('an OME-TIFF cut short while being written (2 of 6 pages in its IFD chain)', () => {
  let dir: string;
  let file: string;
  let peer: { pages: number; shape: number[]; first: number[]; raised: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-cut-'));
    file = join(dir, 'two-of-six.ome.tif');
    // tifffile writes 6 planes with OME-XML saying SizeZ=6; the chain is then ended after page 2 (its
    // next-IFD pointer zeroed), as a writer stopped after two pages leaves it. tifffile reports the OME
    // shape and two pages (and warns); planes 3-6 are not in the file, so reading them is an error here.
    peer = await runPythonJson(
      `
import json, sys, struct, numpy as np, tifffile
path = json.load(sys.stdin)
v = (np.arange(6 * 64 * 64) % 4093).astype('uint16').reshape(6, 64, 64)
tifffile.imwrite(path, v, ome=True, metadata={'axes': 'ZYX'})
b = bytearray(open(path, 'rb').read())
with tifffile.TiffFile(path) as t:
    off = t.pages[1].offset
n = struct.unpack_from('<H', b, off)[0]
struct.pack_into('<I', b, off + 2 + 12 * n, 0)
open(path, 'wb').write(bytes(b))
with tifffile.TiffFile(path) as t:
    first = [int(x) for x in t.pages[1].asarray()[0, :4]]
    out = {'pages': len(t.pages), 'shape': list(t.series[0].shape), 'first': first, 'raised': ''}
    try:
        t.series[0].asarray()
    except Exception as e:
        out['raised'] = type(e).__name__
print(json.dumps(out))
`,
      file,
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens with the sizes its metadata gives, reads the planes present, and names the file for the rest', async () => {
    expect(peer.pages).toBe(2);
    await using br = await BioReader.open(file);
    expect([br.Z, br.Y, br.X]).toEqual(peer.shape);
    const plane1 = await br.read({ Z: [1, 2], Y: [0, 1], X: [0, 4] });
    expect(Array.from(plane1.data)).toEqual(peer.first);
    const err = await br.read({ Z: [2, 3] }).catch((e: unknown) => e);
    expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/has only 2 \(cut short/);
  });
});
