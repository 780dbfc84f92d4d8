/**
 * `bfio refs`: fsspec's ReferenceFileSystem + zarr-python read every level of the references pixel-identical
 * to tifffile reading the TIFF (test/refs-peer.py, one Python process for all cases). Samples from
 * ../shared/data (tiled, stripped, SubIFD pyramid with edge tiles cut short, multi-file OME-TIFF, big-endian,
 * Deflate/LZW/PackBits/none) and files tifffile writes here for what the samples lack (zstd, both
 * predictors, short last strips that must be padded inline, big-endian uint16). Layouts Zarr cannot describe
 * are refused with their reason, exit code 2. A TIFF given by URL gets references to that URL, read by fsspec
 * over HTTP.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, DATA_DIR, dataPath } from '../../../test-support/env.js';
import { serveLikeObjectStore } from '../../../test-support/http-server.js';
import { runPythonJson } from '../../../test-support/python.js';
import { main } from '../src/cli.js';

const SAMPLES = [
  'exampletiffs/shapes_lzw_planar.tif', // LZW strips, planar RGB
  'exampletiffs/shapes_lzw_tiled_planar.tif', // LZW tiles 32x32, planar RGB
  'exampletiffs/shapes_uncompressed_tiled_planar.tif',
  'exampletiffs/coffee.tif', // PackBits, one strip
  'exampletiffs/mri.tif', // 27 pages, PackBits
  'exampletiffs/ometiff_testdata/singles/multi-channel.ome.tif', // big-endian int8 strips
  'exampletiffs/ometiff_testdata/singles/4D-series.ome.tif', // T x Z, big-endian
  'exampletiffs/ometiff_testdata/multiples/master/multifile-Z1.ome.tiff', // 5 files
  'aicsimageio/s_1_t_1_c_1_z_1.ome.tiff', // LZW strips, 325 rows
  'bioformats2raw-testres/mini-flim-moduloC.ome.tiff', // Deflate tiles, big-endian, modulo C
  // BigTIFF SubIFD pyramids, 8 levels, Deflate: 512² tiles cut at the image edge / tiles the image's size.
  'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
  'hubmap-portal-containers/ome-tiff-tiler_v1_multi-channel.pyramid-8lvl-tile167x439.ome.tif',
];

/** Read by URL from a loopback object-store-like server: the references point at the URL. */
const REMOTE = [
  'hubmap-portal-containers/ome-tiff-tiler_v1_multi-channel.pyramid-8lvl-tile167x439.ome.tif',
  'bioformats2raw-testres/mini-flim-moduloC.ome.tiff',
];

/** Written by tifffile in the temp dir: name → tifffile.imwrite keyword arguments (as Python source). */
const MADE: Record<string, string> = {
  'deflate-pred-be-u16.tif':
    "data=u16(75, 90), byteorder='>', compression='zlib', predictor=True, rowsperstrip=10",
  'lzw-pred-u16.tif': "data=u16(70, 64), compression='lzw', predictor=True, rowsperstrip=16",
  'zstd-floatpred-f32.tif': "data=f32(64, 96), compression='zstd', predictor=True, tile=(32, 32)",
  'zstd-strips-u8.tif': "data=u8(3, 50, 40), compression='zstd', rowsperstrip=7, photometric='minisblack'",
  'packbits-short-strip-u8.tif': "data=u8(50, 33), compression='packbits', rowsperstrip=7",
  'none-short-strip-i16.tif': "data=u16(41, 30).astype('int16'), rowsperstrip=13",
  'pyramid-zlib.ome.tif': 'pyramid=True',
};

const MAKE = `
import json, sys
import numpy as np, tifffile
rng = np.random.default_rng(12)
def u16(*s): return rng.integers(0, 65535, s, dtype='uint16')
def u8(*s): return rng.integers(0, 255, s, dtype='uint8')
def f32(*s): return rng.random(s, dtype='float32') * 1000
args = json.load(sys.stdin)
for name, kw in args['made'].items():
    path = args['dir'] + '/' + name
    if name.startswith('pyramid'):
        base = u16(2, 300, 260)
        with tifffile.TiffWriter(path, bigtiff=False) as tif:
            opts = dict(tile=(64, 64), compression='zlib', photometric='minisblack')
            tif.write(base, subifds=2, metadata={'axes': 'CYX'}, **opts)
            tif.write(base[:, ::2, ::2], subfiletype=1, **opts)
            tif.write(base[:, ::4, ::4], subfiletype=1, **opts)
        continue
    kwargs = eval('dict(' + kw + ')')
    tifffile.imwrite(path, kwargs.pop('data'), **kwargs)
# JPEG tiles sharing a JPEGTables tag (tifffile writes whole JPEG streams; the tag is added here).
jpeg = args['dir'] + '/jpeg-tables.tif'
tifffile.imwrite(jpeg, u8(64, 64), tile=(32, 32), compression='jpeg')
with tifffile.TiffFile(jpeg) as t:
    p = t.pages[0]
    t.filehandle.seek(p.dataoffsets[0])
    stream = t.filehandle.read(p.databytecounts[0])
tables = stream[: stream.index(b'\\xff\\xc0')] + b'\\xff\\xd9'
tifffile.imwrite(jpeg, u8(64, 64), tile=(32, 32), compression='jpeg', extratags=[(347, 7, len(tables), tables, True)])
print(json.dumps(True))
`;

/** Refused layouts and the words their message must hold. */
const REFUSED: Array<{ file: string; made?: boolean; words: RegExp }> = [
  { file: 'jpeg-tables.tif', made: true, words: /JPEGTables/ },
  { file: 'exampletiffs/shapes_deflate.tif', words: /3 samples per pixel are interleaved/ },
  { file: 'exampletiffs/capitol.tif', words: /1-bit samples are packed/ },
  { file: 'exampletiffs/shapes_lzw_planar_10bps.tif', words: /10-bit samples are packed/ },
];

async function bfio(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

interface PeerLevel {
  equal: boolean;
  zarr: [number[], string];
  tiff: [number[], string, string];
}
type PeerResult = { levels: PeerLevel[]; tiffLevels: number } | { error: string };

describe.skipIf(!available('data', 'python'))(
  'bfio refs: zarr-python over fsspec reads the TIFF in place',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'bfio-refs-'));
    const cases: Array<{ tiff: string; refs: string; chunks: number }> = [];
    let results: PeerResult[] = [];
    let remoteServer: Server | undefined;

    beforeAll(async () => {
      await runPythonJson(MAKE, { dir, made: MADE });
      const tiffs = [...SAMPLES.map(dataPath), ...Object.keys(MADE).map((n) => join(dir, n))];
      for (const [i, tiff] of tiffs.entries()) {
        const refs = join(dir, `${i}.json`);
        // The multi-file set is named by --url (its directory): every member's reference must follow it.
        const url = tiff.includes('multifile') ? ['--url', dirname(tiff)] : [];
        const res = await bfio('refs', tiff, '-o', refs, ...url);
        expect(res.code, `bfio refs ${tiff}\n${res.err}`).toBe(0);
        cases.push({ tiff, refs, chunks: Number(/(\d+) chunk references/.exec(res.out)?.[1]) });
      }
      const { server, base } = await serveLikeObjectStore({ data: DATA_DIR });
      remoteServer = server;
      for (const sample of REMOTE) {
        const refs = join(dir, `remote-${cases.length}.json`);
        const res = await bfio('refs', `${base}/data/${sample}`, '-o', refs);
        expect(res.code, `bfio refs ${base}/data/${sample}\n${res.err}`).toBe(0);
        const urls = Object.values(JSON.parse(readFileSync(refs, 'utf8')).refs).filter(Array.isArray);
        expect(urls.length).toBeGreaterThan(0);
        expect(urls.every((u) => (u as string[])[0] === `${base}/data/${sample}`)).toBe(true);
        cases.push({ tiff: dataPath(sample), refs, chunks: urls.length });
      }
      results = await runPythonJson<PeerResult[]>(
        ['./tczyx.py', './refs-peer.py']
          .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8'))
          .join('\n'),
        cases.map((c) => ({ refs: c.refs, tiff: c.tiff, series: 0 })),
        300_000,
      );
    }, 180_000);

    afterAll(() => {
      remoteServer?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reads every level of every TIFF equal to tifffile', () => {
      expect(results).toHaveLength(cases.length);
      for (const [i, r] of results.entries()) {
        const name = cases[i]!.tiff;
        if ('error' in r) throw new Error(`${name}: ${r.error}`);
        expect(r.levels.length, `${name}: levels`).toBe(r.tiffLevels);
        for (const [k, level] of r.levels.entries()) {
          expect(
            level.equal,
            `${name} level ${k}: zarr ${JSON.stringify(level.zarr)} tiff ${JSON.stringify(level.tiff)}`,
          ).toBe(true);
        }
      }
    });

    it('references the file’s own blocks, inlining only padded short ones', () => {
      const refsOf = (i: number) =>
        JSON.parse(readFileSync(cases[i]!.refs, 'utf8')) as {
          version: number;
          refs: Record<string, unknown>;
        };
      const multi = SAMPLES.findIndex((s) => s.includes('multifile'));
      const m = refsOf(multi);
      expect(m.version).toBe(1);
      const targets = new Set(
        Object.values(m.refs)
          .filter(Array.isArray)
          .map((v) => (v as string[])[0]),
      );
      // Five member files, each named under --url.
      expect(targets.size).toBe(5);
      for (const t of targets) expect(t!.startsWith(`${dirname(cases[multi]!.tiff)}/`)).toBe(true);
      // 75 rows in strips of 10: 7 references and the padded last strip inline.
      const made = Object.keys(MADE).indexOf('deflate-pred-be-u16.tif') + SAMPLES.length;
      const chunks = Object.entries(refsOf(made).refs).filter(([k]) => /^0\/\d/.test(k));
      expect(chunks.filter(([, v]) => Array.isArray(v))).toHaveLength(7);
      expect(chunks.filter(([, v]) => typeof v === 'string' && v.startsWith('base64:'))).toHaveLength(1);
    });

    it('refuses layouts Zarr cannot describe, naming the file and why', async () => {
      for (const r of REFUSED) {
        const file = r.made ? join(dir, r.file) : dataPath(r.file);
        const res = await bfio('refs', file, '-o', join(dir, 'refused.json'));
        expect(res.code, `${r.file}: ${res.err}`).toBe(2);
        expect(res.err).toContain(file);
        expect(res.err).toMatch(r.words);
        expect(res.err).toContain('bfio serve');
      }
      const series = await bfio('refs', dataPath(SAMPLES[0]!), '--series', '3');
      expect(series.code).toBe(2);
      expect(series.err).toMatch(/series 3 is out of range/);
    });
  },
);
