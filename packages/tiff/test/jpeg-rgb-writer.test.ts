/**
 * JPEG tiles and interleaved RGB from the TIFF writer, checked by tifffile (imagecodecs' libjpeg-turbo) in
 * one batched Python call:
 * - an H&E brightfield slide (OpenSlide's CMU-1-Small-Region.svs, 2220 × 2967 RGB) written with `rgb`
 *   (Deflate + predictor) reads back identical, SamplesPerPixel 3, contiguous, one OME Channel of
 *   SamplesPerPixel 3;
 * - the same with JPEG at quality 90 decodes in tifffile with the PSNR of tifffile's own JPEG encoding of the
 *   slide at that quality (same library, same 4:2:0 YCbCr) and about its size; quality 50 is smaller than 95;
 *   our reader decodes it to tifffile's pixels;
 * - gray JPEG (one 8-bit channel) and a 5-D RGB image written channel by channel in reverse order in
 *   unaligned pieces (the three samples of a tile meet whatever the order) read back as numpy computes them;
 * - what JPEG and RGB cannot take is refused at create, with the addon missing too.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate, BioReader, BioWriter, type DType, InvalidDataError, UnsupportedError } from '@bfio/core';
import { createOme } from '@bfio/ome-xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath, REPO_ROOT } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import '../src/index.js';

const ok = available('data', 'python', 'native-jpeg');
const dir = mkdtempSync(join(tmpdir(), 'bfio-jpeg-rgb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SLIDE = 'libvips/CMU-1-Small-Region.svs';
const S5 = { X: 150, Y: 70, Z: 2, C: 3, T: 2 };
/** The 5-D sample's value at (x, y, z, c, t) (uint16, distinct per channel so a swapped sample shows). */
const v5 = (x: number, y: number, z: number, c: number, t: number) =>
  (x * 3 + y * 257 + z * 1009 + c * 20011 + t * 4099) & 0xffff;

interface Peer {
  files: Record<
    string,
    {
      photometric: number;
      planar: number;
      spp: number;
      compression: number;
      subsampling: number[] | null;
      shape: number[];
      axes: string;
      levels: number;
      channels: string[];
      equal?: boolean;
      psnr?: number;
      sha?: string;
      bytes0: number;
    }
  >;
  reference: { psnr: number; bytes0: number };
  fiveD: boolean;
}

/** sha256 of our reader's level-0 pixels as YXS (tifffile's layout of a single RGB plane). */
async function interleavedSha(path: string): Promise<string> {
  await using br = await BioReader.open(path, { backend: 'tiff' });
  const a = await br.read({}, { squeeze: false });
  const plane = br.X * br.Y;
  const out = new Uint8Array(plane * br.C);
  for (let c = 0; c < br.C; c++) for (let i = 0; i < plane; i++) out[i * br.C + c] = a.data[c * plane + i]!;
  return createHash('sha256').update(out).digest('hex');
}

describe.skipIf(!ok)('JPEG and interleaved RGB written by the TIFF writer', () => {
  let peer: Peer;
  const path = (name: string) => join(dir, `${name}.ome.tif`);

  beforeAll(async () => {
    await using src = await BioReader.open(dataPath(SLIDE));
    const slide = await src.read({}, { squeeze: false });
    const writeSlide = async (name: string, options: Record<string, unknown>, channels = [0, 1, 2]) => {
      const bw = await BioWriter.create(path(name), {
        X: src.X,
        Y: src.Y,
        C: channels.length,
        dtype: 'uint8',
        tileSize: 256,
        ...options,
      });
      const plane = src.X * src.Y;
      for (const [i, c] of channels.entries()) {
        const data = slide.data.subarray(c * plane, (c + 1) * plane);
        await bw.write({ data, shape: [src.Y, src.X] }, { C: [i] });
      }
      await bw.close();
    };
    await writeSlide('rgb', { rgb: true, predictor: true });
    await writeSlide('q90', { rgb: true, compression: 'jpeg', quality: 90, pyramidLevels: 1 });
    await writeSlide('q50', { rgb: true, compression: 'jpeg', quality: 50 });
    await writeSlide('q95', { rgb: true, compression: 'jpeg', quality: 95 });
    await writeSlide('gray', { compression: 'jpeg' }, [1]);

    // 5-D uint16 RGB, channels in reverse order, each plane in two unaligned halves.
    const bw = await BioWriter.create(path('five-d'), {
      metadata: createOme({
        sizeX: S5.X,
        sizeY: S5.Y,
        sizeZ: S5.Z,
        sizeC: S5.C,
        sizeT: S5.T,
        type: 'uint16',
        dimensionOrder: 'XYCTZ',
      }),
      tileSize: 32,
      rgb: true,
      compression: 'zstd',
      predictor: true,
    });
    for (let t = 0; t < S5.T; t++)
      for (let z = 0; z < S5.Z; z++)
        for (const c of [2, 1, 0])
          for (const [y0, y1] of [
            [37, S5.Y],
            [0, 37],
          ] as const) {
            const data = new Uint16Array((y1 - y0) * S5.X);
            for (let y = y0; y < y1; y++)
              for (let x = 0; x < S5.X; x++) data[(y - y0) * S5.X + x] = v5(x, y, z, c, t);
            await bw.write({ data, shape: [y1 - y0, S5.X] }, { Y: y0, Z: z, C: [c], T: [t] });
          }
    await bw.close();

    peer = await runPythonJson<Peer>(
      `
import json, sys, re, hashlib, os
import numpy as np, tifffile
job = json.load(sys.stdin)
src = tifffile.imread(job['slide'], series=0)
def psnr(a, b):
    mse = ((a.astype(np.float64) - b) ** 2).mean()
    return 999.0 if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))
def level0_bytes(t):
    return int(sum(t.pages[0].databytecounts))
files = {}
for name in job['names']:
    with tifffile.TiffFile(os.path.join(job['dir'], name + '.ome.tif')) as t:
        p = t.pages[0]
        s = t.series[0]
        a = s.asarray()
        ss = p.tags.get('YCbCrSubSampling')
        r = dict(photometric=int(p.photometric), planar=int(p.planarconfig), spp=int(p.samplesperpixel),
                 compression=int(p.compression), subsampling=list(ss.value) if ss else None,
                 shape=list(a.shape), axes=s.axes, levels=len(s.levels),
                 channels=re.findall(r'<Channel [^>]*>', t.ome_metadata), bytes0=level0_bytes(t))
        if name == 'gray':
            r['psnr'] = psnr(a, src[..., 1])
        elif name != 'five-d':
            r['equal'] = bool(np.array_equal(a, src))
            r['psnr'] = psnr(a, src)
            r['sha'] = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
        else:
            t_, z_, y_, x_, c_ = np.meshgrid(*[np.arange(n) for n in (2, 2, 70, 150, 3)], indexing='ij')
            want = ((x_ * 3 + y_ * 257 + z_ * 1009 + c_ * 20011 + t_ * 4099) & 0xFFFF).astype(np.uint16)
            # tifffile orders the 5-D series by the OME DimensionOrder XYCTZ: Z, T, Y, X, S.
            r['equal'] = bool(s.axes == 'ZTYXS' and np.array_equal(a, want.transpose(1, 0, 2, 3, 4)))
        files[name] = r
ref = os.path.join(job['dir'], 'tifffile-q90.tif')
tifffile.imwrite(ref, src, tile=(256, 256), photometric='rgb', compression='jpeg',
                 compressionargs={'level': 90}, subsampling=(2, 2))
with tifffile.TiffFile(ref) as t:
    reference = dict(psnr=psnr(t.asarray(), src), bytes0=level0_bytes(t))
print(json.dumps(dict(files=files, reference=reference, fiveD=files['five-d']['equal'])))
`,
      {
        slide: dataPath(SLIDE),
        dir,
        names: ['rgb', 'q90', 'q50', 'q95', 'gray', 'five-d'],
      },
    );
  }, 120_000);

  it('--rgb Deflate: identical pixels, SamplesPerPixel 3, contiguous, one Channel of 3 samples', () => {
    const f = peer.files.rgb!;
    expect(f.equal).toBe(true);
    expect([f.photometric, f.planar, f.spp, f.compression]).toEqual([2, 1, 3, 8]);
    expect(f.shape).toEqual([2967, 2220, 3]);
    expect(f.axes).toBe('YXS');
    expect(f.channels).toHaveLength(1);
    expect(f.channels[0]).toMatch(/SamplesPerPixel="3"/);
  });

  it('JPEG q90: YCbCr 4:2:0 like tifffile, its PSNR and about its size; a pyramid level', () => {
    const f = peer.files.q90!;
    expect([f.photometric, f.planar, f.spp, f.compression]).toEqual([6, 1, 3, 7]);
    expect(f.subsampling).toEqual([2, 2]);
    expect(f.levels).toBe(2);
    // 4:2:0 chroma caps an H&E slide near 33 dB whatever the quality; tifffile's own encoding is the bound.
    expect(f.psnr).toBeGreaterThan(32);
    expect(Math.abs(f.psnr! - peer.reference.psnr)).toBeLessThan(0.1);
    expect(Math.abs(f.bytes0 / peer.reference.bytes0 - 1)).toBeLessThan(0.05);
    expect(f.bytes0).toBeLessThan(peer.files.rgb!.bytes0 / 3);
  });

  it('quality 50 is smaller and worse than 95', () => {
    const [q50, q95] = [peer.files.q50!, peer.files.q95!];
    expect(q50.bytes0).toBeLessThan(q95.bytes0);
    expect(q50.psnr).toBeLessThan(q95.psnr!);
    expect(statSync(path('q50')).size).toBeLessThan(statSync(path('q95')).size);
  });

  it("our reader decodes the JPEG file to tifffile's pixels", async () => {
    expect(await interleavedSha(path('q90'))).toBe(peer.files.q90!.sha);
  });

  it('gray JPEG: MinIsBlack, one sample, PSNR ≥ 40 dB', () => {
    const f = peer.files.gray!;
    expect([f.photometric, f.spp, f.compression]).toEqual([1, 1, 7]);
    expect(f.psnr).toBeGreaterThan(40);
  });

  it('5-D uint16 RGB written channel by channel in pieces reads back as numpy computes it', () => {
    expect(peer.files['five-d']!.spp).toBe(3);
    expect(peer.fiveD).toBe(true);
  });
});

describe.skipIf(!available('native-jpeg'))('what JPEG and RGB refuse at create', () => {
  const create = (options: Record<string, unknown>) =>
    BioWriter.create(join(dir, 'refused.ome.tif'), { X: 64, Y: 64, C: 3, dtype: 'uint8', ...options });

  it.each([
    ['JPEG of uint16', { compression: 'jpeg', dtype: 'uint16' }, UnsupportedError, /JPEG stores 8-bit/],
    ['quality 0', { compression: 'jpeg', quality: 0 }, InvalidDataError, /quality must be 1\.\.100/],
    ['quality 101', { compression: 'jpeg', quality: 101 }, InvalidDataError, /quality must be 1\.\.100/],
    ['quality without JPEG', { quality: 80 }, InvalidDataError, /JPEG compression only/],
    ['JPEG with a predictor', { compression: 'jpeg', predictor: true }, InvalidDataError, /no predictor/],
    ['JPEG with a level', { compression: 'jpeg', compressionLevel: 5 }, InvalidDataError, /use quality/],
    ['RGB of 2 channels', { rgb: true, C: 2 }, InvalidDataError, /exactly 3 channels/],
    ['RGB of float32', { rgb: true, dtype: 'float32' }, UnsupportedError, /uint8 or uint16/],
  ] as const)('%s', async (_name, options, type, message) => {
    const attempt = (async () => {
      const bw = await create(options);
      // Some checks need the image's sizes and dtype: they run at the first write at the latest.
      const data = allocate((options as { dtype?: DType }).dtype ?? 'uint8', 64 * 64);
      await bw.write({ data, shape: [64, 64] }, { C: [0] });
      await bw.close();
    })();
    await expect(attempt).rejects.toThrow(type);
    await expect(attempt).rejects.toThrow(message);
  });

  it('without the native encoder, JPEG is an UnsupportedError naming the fix', () => {
    const script = `
      import { BioWriter } from '@bfio/core';
      import './src/index.ts';
      try {
        await BioWriter.create(${JSON.stringify(join(dir, 'no-addon.ome.tif'))}, { X: 16, Y: 16, dtype: 'uint8', compression: 'jpeg' });
        console.log('created');
      } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(REPO_ROOT, 'packages/tiff'),
      env: { ...process.env, BFIO_TIFF_NATIVE_JPEG: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stdout).toMatch(/UnsupportedError: .*libjpeg-turbo addon.*libjpeg62-turbo-dev/);
  });
});
