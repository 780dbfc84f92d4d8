/**
 * Acceptance 1: every TIFF in the shared MANIFEST that tifffile decodes reads with the same series
 * shapes, dtype, channel count, pyramid level shapes and pixels (sha256 of the canonical T,C,Z,Y,X
 * little-endian layout, computed on both sides) as tifffile.
 *
 * Axis mapping from tifffile to ours: T→T; C and S (samples) → C; Z, I, Q (pages) → Z; any other letter
 * (OME Modulo sub-axes, e.g. lifetime 'H', angle 'A', tile 'R') joins the nearest preceding T/C/Z axis,
 * which is how the OME model counts them. Micro-Manager series ('mmstack' kind) have a position axis R
 * that OME stores as separate Images: it is split into series. Files whose OME-XML is `BinaryOnly` are
 * compared with tifffile's reading of their metadata file (the whole set), as Bio-Formats reads them.
 */
import { createHash } from 'node:crypto';
import { allocate } from '@bfio/core';
import { describe, expect, it } from 'vitest';
import { available, dataPath, manifest } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { TiffReader } from '../src/index.js';

/**
 * Files tifffile decodes that we do not (yet). The test fails when one of these starts to pass. (8-bit JPEG
 * is not here: libjpeg-turbo decodes it, the native addon or its WASM build alike, to tifffile's pixels.)
 */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  'image-tiff/images/seq/seq-1c-1b-fax3-71f6a21a.tiff': 'CCITT Group 3 fax compression',
  'image-tiff/images/seq/seq-1c-1b-fax3-fillbits-71f6a21a.tiff': 'CCITT Group 3 fax compression',
  'image-tiff/images/seq/seq-1c-1b-fax3-lsb-71f6a21a.tiff': 'CCITT Group 3 fax compression',
  'tiledb-bioimaging/rand_uint16.ome.tiff': '12-bit JPEG',
};

interface PySeries {
  shape: [number, number, number, number, number]; // T C Z Y X
  dtype: string;
  sha256: string;
  levels: Array<[number, number]>; // Y X per level
}
type PyResult = { series: PySeries[] } | { error: string } | { companion: true };

const PYTHON = String.raw`
import sys, json, hashlib, re, os, logging, warnings
logging.disable(logging.CRITICAL)
warnings.simplefilter('ignore')
import numpy as np, tifffile
GROUP = {'T': 'T', 'C': 'C', 'S': 'C', 'Z': 'Z', 'I': 'Z', 'Q': 'Z', 'Y': 'Y', 'X': 'X'}
def canon(axes, arr):
    groups = {'T': [], 'C': [], 'Z': [], 'Y': [], 'X': []}
    last = None
    pending = []
    for i, a in enumerate(axes):
        g = GROUP.get(a)
        if g is None:
            if last is None: pending.append(i)
            else: groups[last].append(i)
            continue
        groups[g].append(i)
        if g in 'TCZ':
            last = g
            if pending:
                groups[g][0:0] = pending; pending = []
    if pending: groups['Z'][0:0] = pending
    order = groups['T'] + groups['C'] + groups['Z'] + groups['Y'] + groups['X']
    a = np.transpose(arr, order)
    sh = [int(np.prod([arr.shape[i] for i in groups[k]], dtype=np.int64)) for k in 'TCZYX']
    a = a.reshape(sh)
    if a.dtype == np.bool_: a = a.astype(np.uint8)
    if a.dtype == np.float16: a = a.astype(np.float32)
    a = np.ascontiguousarray(a.astype(a.dtype.newbyteorder('<')))
    return sh, a
def yx(axes, shape):
    return [int(shape[axes.index('Y')]), int(shape[axes.index('X')])]
def describe(path):
    with tifffile.TiffFile(path) as t:
        d = t.pages.first.description or ''
        m = re.search(r'<(?:[\w.-]+:)?BinaryOnly\b[^>]*?MetadataFile\s*=\s*"([^"]*)"', d) if t.is_ome else None
        if m:
            target = os.path.join(os.path.dirname(path), m.group(1))
            if target.lower().endswith(('.ome', '.xml')):
                return {'companion': True}
            if os.path.abspath(target) != os.path.abspath(path):
                return describe(target)
        out = []
        for s in t.series:
            arr = s.asarray()
            axes = s.axes
            parts = [(axes, arr)]
            if getattr(s, 'kind', '') == 'mmstack' and 'R' in axes:
                r = axes.index('R')
                parts = [(axes.replace('R', ''), np.take(arr, i, axis=r)) for i in range(arr.shape[r])]
            for ax, a in parts:
                sh, c = canon(ax, a)
                out.append({'shape': sh, 'dtype': str(c.dtype.newbyteorder('=')),
                            'sha256': hashlib.sha256(c.tobytes()).hexdigest(),
                            'levels': [yx(l.axes, l.shape) for l in s.levels]})
        return {'series': out}
res = {}
for p in json.load(sys.stdin):
    try:
        res[p] = describe(p)
    except Exception as e:
        res[p] = {'error': type(e).__name__ + ': ' + str(e)[:200]}
print(json.dumps(res))
`;

const TIFF_EXT = /\.(tif|tiff|btf|tf2|tf8)$/i;
const ok = available('data', 'python');
const files = ok
  ? manifest()
      .map((m) => m.path)
      .filter((p) => TIFF_EXT.test(p))
  : [];
const expected: Record<string, PyResult> = ok
  ? await runPythonJson<Record<string, PyResult>>(
      PYTHON,
      files.map((f) => dataPath(f)),
    )
  : {};

async function ours(path: string): Promise<PySeries[]> {
  const reader = await TiffReader.open(path);
  try {
    const out: PySeries[] = [];
    for (let s = 0; s < reader.series.length; s++) {
      const info = reader.series[s]!;
      const l = info.levels[0]!;
      const data = allocate(info.dtype, l.sizeX * l.sizeY * l.sizeZ * l.sizeC * l.sizeT);
      await reader.readRegion(
        { series: s, level: 0 },
        {
          x: [0, l.sizeX],
          y: [0, l.sizeY],
          z: [0, l.sizeZ],
          c: [...Array(l.sizeC).keys()],
          t: [...Array(l.sizeT).keys()],
        },
        data,
      );
      out.push({
        shape: [l.sizeT, l.sizeC, l.sizeZ, l.sizeY, l.sizeX],
        dtype: info.dtype,
        sha256: createHash('sha256')
          .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
          .digest('hex'),
        levels: info.levels.map((lv) => [lv.sizeY, lv.sizeX]),
      });
    }
    return out;
  } finally {
    await reader.close();
  }
}

describe.skipIf(!ok)('every MANIFEST TIFF reads as tifffile reads it', () => {
  it('covers the manifest', () => {
    expect(files.length).toBeGreaterThan(200);
    for (const f of Object.keys(KNOWN_UNSUPPORTED))
      expect(files, `${f} is listed but not in MANIFEST`).toContain(f);
  });

  for (const file of files) {
    const want = expected[dataPath(file)];
    if (!want || 'error' in want || 'companion' in want) continue; // tifffile cannot decode it / companion set
    it(file, async () => {
      const known = KNOWN_UNSUPPORTED[file];
      let got: PySeries[] | undefined;
      let failure: unknown;
      try {
        got = await ours(dataPath(file));
      } catch (err) {
        failure = err;
      }
      const same = got !== undefined && JSON.stringify(got) === JSON.stringify(want.series);
      if (known) {
        expect(same, `${file} now reads like tifffile: remove it from KNOWN_UNSUPPORTED (${known})`).toBe(
          false,
        );
        return;
      }
      if (failure) throw failure;
      expect(got).toEqual(want.series);
    });
  }
});
