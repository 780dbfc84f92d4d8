/**
 * `bfio convert --rgb` and `--compression jpeg --quality Q`, one row each, on an H&E brightfield slide
 * (a corner of OpenSlide's CMU-1-Small-Region.svs): tifffile reads the outputs (one batched Python call: tags, the
 * pixels against the slide, PSNR) and writes its decode of each for Bio-Formats (@bfio/bioformats-java) to
 * be compared with, ±1 as JPEG decoders may differ. Rows that must be refused check exit code and message.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader } from '@bfio/core';
import '@bfio/bioformats-java';
import '@bfio/tiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';

const ok = available('data', 'python', 'native-jpeg');
const dir = mkdtempSync(join(tmpdir(), 'bfio-jpeg-rgb-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bfio(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

const SLIDE = 'libvips/CMU-1-Small-Region.svs';
/** A 1200 × 1000 corner of the slide (edge tiles partly outside the image at 256² tiles). */
const [W, H] = [1200, 1000];
const CROP = `0,0,${W},${H}`;
// 16-bit: JPEG must refuse it.
const UINT16 = 'exampletiffs/ometiff_testdata/singles/181003_multi_pos_time_course_1_MMStack.ome.tif';

interface Row {
  id: string;
  flags: string[];
  /** Expected: Photometric, PlanarConfiguration, SamplesPerPixel, Compression. */
  tags: [number, number, number, number];
  /** Lower PSNR bound against the slide (999: identical). */
  psnr: number;
}

const ROWS: Row[] = [
  { id: 'rgb', flags: ['--rgb'], tags: [2, 1, 3, 8], psnr: 999 },
  {
    id: 'jpeg-q90',
    flags: ['--rgb', '--compression', 'jpeg', '--quality', '90', '--resolutions', '2'],
    tags: [6, 1, 3, 7],
    // 4:2:0 chroma caps this slide near 33 dB at any quality (tifffile's own encoding: 33.09 dB at 90).
    psnr: 32.5,
  },
  {
    id: 'jpeg-q50',
    flags: ['--rgb', '--compression', 'jpeg', '--quality', '50'],
    tags: [6, 1, 3, 7],
    psnr: 30,
  },
  {
    id: 'jpeg-q95',
    flags: ['--rgb', '--compression', 'jpeg', '--quality', '95'],
    tags: [6, 1, 3, 7],
    psnr: 33,
  },
  // Without --rgb: each channel its own gray JPEG plane (4:4:4 in effect), close to lossless at 90.
  { id: 'jpeg-gray', flags: ['--compression', 'jpeg'], tags: [1, 1, 1, 7], psnr: 45 },
];

interface PeerFile {
  tags: number[];
  shape: number[];
  psnr: number;
  levels: number;
  bytes: number;
  channels: string[];
}

describe.skipIf(!ok)('bfio convert --rgb / --compression jpeg --quality', () => {
  let peer: Record<string, PeerFile>;
  const out = (id: string) => join(dir, `${id}.ome.tif`);

  beforeAll(async () => {
    for (const row of ROWS) {
      const r = await bfio(
        'convert',
        dataPath(SLIDE),
        out(row.id),
        '--tile-size',
        '256',
        '--crop',
        CROP,
        ...row.flags,
      );
      if (r.code !== 0) throw new Error(`${row.id}: ${r.err}`);
    }
    peer = await runPythonJson<Record<string, PeerFile>>(
      `
import json, sys, re, os
import numpy as np, tifffile
job = json.load(sys.stdin)
W, H = job['size']
src = tifffile.imread(job['slide'], series=0)[:H, :W]
res = {}
for id in job['ids']:
    path = os.path.join(job['dir'], id + '.ome.tif')
    with tifffile.TiffFile(path) as t:
        p = t.pages[0]
        s = t.series[0]
        a = s.asarray()
        # Our order for the comparison with Bio-Formats: C, Y, X (planar).
        planar = np.moveaxis(a, -1, 0) if s.axes == 'YXS' else a
        planar.astype(np.uint8).tofile(path + '.tifffile.raw')
        rgb = a if s.axes == 'YXS' else np.moveaxis(a, 0, -1)
        mse = ((rgb.astype(np.float64) - src) ** 2).mean()
        res[id] = dict(tags=[int(p.photometric), int(p.planarconfig), int(p.samplesperpixel), int(p.compression)],
                       shape=list(a.shape), psnr=999.0 if mse == 0 else float(10 * np.log10(255 ** 2 / mse)),
                       levels=len(s.levels), bytes=int(sum(p.databytecounts)),
                       channels=re.findall(r'<Channel [^>]*>', t.ome_metadata))
print(json.dumps(res))
`,
      { slide: dataPath(SLIDE), dir, ids: ROWS.map((r) => r.id), size: [W, H] },
    );
  }, 180_000);

  it.each(ROWS.map((r) => [r.id, r]))('%s: tifffile reads it (tags, PSNR vs the slide)', (_id, row) => {
    const f = peer[row.id]!;
    expect(f.tags).toEqual(row.tags);
    expect(f.psnr).toBeGreaterThanOrEqual(row.psnr);
    if (row.tags[2] === 3) {
      expect(f.shape).toEqual([H, W, 3]);
      expect(f.channels).toEqual([expect.stringMatching(/SamplesPerPixel="3"/)]);
    } else {
      expect(f.shape).toEqual([3, H, W]);
      expect(f.channels).toHaveLength(3);
    }
  });

  it('two resolutions with --resolutions 2; quality 50 is smaller than 95', () => {
    expect(peer['jpeg-q90']!.levels).toBe(2);
    expect(peer['jpeg-q50']!.bytes).toBeLessThan(peer['jpeg-q95']!.bytes);
  });

  describe.skipIf(!available('java', 'bioformats-jar'))('Bio-Formats', () => {
    it.each(['rgb', 'jpeg-q90', 'jpeg-gray'])("%s: Bio-Formats' pixels equal tifffile's (±1)", async (id) => {
      await using br = await BioReader.open(out(id), { backend: 'bioformats' });
      expect([br.X, br.Y, br.C, br.dtype]).toEqual([W, H, 3, 'uint8']);
      const a = await br.read({}, { squeeze: false });
      const want = readFileSync(`${out(id)}.tifffile.raw`);
      expect(a.data.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - want[i]!));
      expect(worst).toBeLessThanOrEqual(id === 'rgb' ? 0 : 1);
    });
  });

  it.each([
    ['--quality without jpeg', ['--quality', '80'], /--quality is the JPEG quality/],
    ['--quality 0', ['--compression', 'jpeg', '--quality', '0'], /--quality takes 1\.\.100/],
    ['--rgb to OME-Zarr', ['--rgb'], /OME-TIFF outputs only/, 'out.ome.zarr'],
    ['--rgb of a 1-channel image', ['--rgb'], /exactly 3 channels/, 'one.ome.tif', UINT16],
    ['jpeg of uint16', ['--compression', 'jpeg'], /JPEG stores 8-bit samples/, 'u16.ome.tif', UINT16],
  ])('refuses %s', async (_name, flags, message, target = 'refused.ome.tif', src = SLIDE) => {
    const r = await bfio('convert', dataPath(src), join(dir, target), ...flags);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(message);
  });
});
