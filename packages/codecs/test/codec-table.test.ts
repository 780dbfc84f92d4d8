/**
 * The codec table against imagecodecs (the library tifffile and zarr-python's numcodecs build on): on a real
 * microscopy plane (aicsimageio's 475×325 uint16 sample, read by tifffile), every codec imagecodecs encodes
 * decodes here to imagecodecs' bytes — on this thread and on a pool worker, with the chain's filters — and
 * every encoder here gives streams imagecodecs decodes to the input. JPEG decoding must equal imagecodecs'
 * libjpeg-turbo exactly. The filters (horizontal and floating-point predictors) must equal imagecodecs'
 * delta and floatpred.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import {
  applyFloatPredictor,
  applyHorizontal,
  runHere,
  swapBytes,
  undoFloatPredictor,
  WorkerPool,
} from '../src/index.js';

const ok = available('python', 'data');
const pool = new WorkerPool({ maxWorkers: 2 });
afterAll(() => pool.close());

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
/** A digest to compare (short failure messages), with the length for a hint. */
const hex = (b: Uint8Array) => `${b.length}:${createHash('sha256').update(b).digest('hex')}`;

interface Peer {
  width: number;
  height: number;
  plane: string;
  encoded: Record<string, string>;
  jpeg: { gray: string; grayDecoded: string; rgb: string; rgbDecoded: string };
  delta: string;
  floatPlane: string;
  floatpred: string;
  bigEndian: string;
}

const PYTHON = `
import sys, json, base64, numpy as np, tifffile, imagecodecs as ic
p = json.load(sys.stdin)
a = tifffile.imread(p['file'])
assert a.dtype == np.uint16, a.dtype
raw = a.tobytes()
e = lambda b: base64.b64encode(bytes(b)).decode()
g8 = (a >> 4).astype(np.uint8)
rgb = np.stack([g8, 255 - g8, (g8 // 2) + 64], axis=-1).copy()
jg = ic.jpeg8_encode(g8, level=90)
jr = ic.jpeg8_encode(rgb, level=90)
f = (a.astype(np.float32) / 7.0).copy()
print(json.dumps({
  'width': int(a.shape[1]), 'height': int(a.shape[0]), 'plane': e(raw),
  'encoded': {
    'inflate': e(ic.zlib_encode(raw, level=6)),
    'inflate-raw': e(ic.deflate_encode(raw, level=6, raw=True)),
    'gunzip': e(ic.gzip_encode(raw, level=6)),
    'lzw-decode': e(ic.lzw_encode(raw)),
    'packbits-decode': e(ic.packbits_encode(raw)),
    'zstd-decode': e(ic.zstd_encode(raw, level=3)),
    'blosc-decode': e(ic.blosc_encode(raw, level=5, compressor='lz4', typesize=2, shuffle=1)),
    'lz4-decode': e(ic.lz4_encode(raw, header=True)),
  },
  'jpeg': {'gray': e(jg), 'grayDecoded': e(ic.jpeg8_decode(jg).tobytes()),
           'rgb': e(jr), 'rgbDecoded': e(ic.jpeg8_decode(jr).tobytes())},
  'delta': e(ic.delta_encode(a, axis=-1).tobytes()),
  'floatPlane': e(f.tobytes()),
  'floatpred': e(ic.floatpred_encode(f.reshape(f.shape[0], f.shape[1], 1), axis=-2).tobytes()),
  'bigEndian': e(a.astype('>u2').tobytes()),
}))
`;

/** What imagecodecs makes of our encoder outputs (sha of the decoded bytes), by name. */
const PYTHON_DECODE = `
import sys, json, base64, hashlib, imagecodecs as ic
p = json.load(sys.stdin)
d = lambda s: base64.b64decode(s)
out = {}
for name, s in p.items():
    b = d(s)
    if name == 'deflate': r = ic.zlib_decode(b)
    elif name == 'deflate-raw': r = __import__('zlib').decompress(b, -15)
    elif name == 'gzip': r = ic.gzip_decode(b)
    elif name == 'lzw-encode': r = ic.lzw_decode(b)
    elif name == 'zstd-encode': r = ic.zstd_decode(b)
    elif name == 'blosc-encode': r = ic.blosc_decode(b)
    elif name == 'lz4-encode': r = ic.lz4_decode(b, header=True)
    elif name == 'deflate+predict': r = ic.delta_decode(__import__('numpy').frombuffer(ic.zlib_decode(b), '<u2').reshape(325, 475), axis=-1).tobytes()
    out[name] = hashlib.sha256(bytes(r)).hexdigest()
print(json.dumps(out))
`;

describe.skipIf(!ok)('the codec table against imagecodecs', async () => {
  const peer = ok
    ? await runPythonJson<Peer>(PYTHON, { file: dataPath('aicsimageio/s_1_t_1_c_1_z_1.ome.tiff') })
    : undefined;
  const plane = peer ? bytes(peer.plane) : new Uint8Array(0);

  it.each([
    'inflate',
    'inflate-raw',
    'gunzip',
    'lzw-decode',
    'packbits-decode',
    'zstd-decode',
    'blosc-decode',
    'lz4-decode',
  ])('%s decodes imagecodecs’ stream to the plane, here and on a worker', async (codec) => {
    const input = bytes(peer!.encoded[codec]!);
    const params = { outputSize: plane.length };
    const here = await runHere(codec, input.slice(), params);
    const worker = await pool.run(codec, input.slice(), params);
    expect(hex(here)).toBe(hex(plane));
    expect(hex(worker)).toBe(hex(plane));
  });

  it('undoes byte swap and the horizontal predictor in the chain (big-endian delta-coded plane)', async () => {
    // imagecodecs' delta of the plane, stored big-endian, then zlib: what a TIFF with Predictor 2 holds.
    const delta = bytes(peer!.delta);
    swapBytes(delta, 2);
    const z = await runHere('deflate', delta, { level: 1 });
    const params = {
      outputSize: plane.length,
      swap: 2,
      horizontal: { size: 2 as const, rowLength: peer!.width, stride: 1 },
    };
    expect(hex(await pool.run('inflate', z, params))).toBe(hex(plane));
    expect(hex(await runHere('inflate', z.slice(), params))).toBe(hex(plane));
  });

  it('decodes JPEG to exactly what imagecodecs’ libjpeg-turbo gives (gray and RGB)', async () => {
    const { gray, grayDecoded, rgb, rgbDecoded } = peer!.jpeg;
    const size = peer!.width * peer!.height;
    const g = await pool.run('jpeg-decode', bytes(gray), { outputSize: size, photometric: 1 });
    // A JFIF stream holds YCbCr: TIFF says so with photometric 6, and the decoder returns RGB.
    const c = await pool.run('jpeg-decode', bytes(rgb), { outputSize: size * 3, photometric: 6 });
    // Native libjpeg-turbo, or its WASM build where the addon does not load: the same bytes either way.
    expect(hex(g)).toBe(hex(bytes(grayDecoded)));
    expect(hex(c)).toBe(hex(bytes(rgbDecoded)));
  });

  it('encodes streams imagecodecs decodes to the input (Deflate, raw Deflate, gzip, LZW, zstd, Blosc, LZ4, predictor)', async () => {
    const streams: Record<string, string> = {};
    for (const codec of [
      'deflate',
      'deflate-raw',
      'gzip',
      'lzw-encode',
      'zstd-encode',
      'blosc-encode',
      'lz4-encode',
    ]) {
      streams[codec] = b64(await pool.run(codec, plane.slice(), { level: 1, outputSize: plane.length }));
    }
    streams['deflate+predict'] = b64(
      await pool.run('deflate', plane.slice(), {
        level: 1,
        predict: { size: 2, rowLength: peer!.width, stride: 1 },
      }),
    );
    const got = await runPythonJson<Record<string, string>>(PYTHON_DECODE, streams);
    const want = createHash('sha256').update(plane).digest('hex');
    for (const name of Object.keys(streams)) expect(got[name], name).toBe(want);
  });

  it('predictors equal imagecodecs’ delta and floatpred, and the float one undoes itself', () => {
    const u16 = new Uint16Array(plane.slice().buffer);
    applyHorizontal(u16, peer!.width, 1);
    expect(hex(new Uint8Array(u16.buffer))).toBe(hex(bytes(peer!.delta)));
    const f = bytes(peer!.floatPlane);
    const predicted = applyFloatPredictor(f, peer!.width, 1, 4);
    expect(hex(predicted)).toBe(hex(bytes(peer!.floatpred)));
    expect(hex(undoFloatPredictor(predicted.slice(), peer!.width, 1, 4))).toBe(hex(f));
  });

  it('refuses wrong sizes and garbage as errors, never short pixels', async () => {
    const z = bytes(peer!.encoded['zstd-decode']!);
    await expect(
      pool.run('zstd-decode', z.slice(), { outputSize: plane.length + 2, exact: true }),
    ).rejects.toThrow(/decodes to \d+ bytes, expected/);
    await expect(pool.run('lzw-decode', plane.slice(0, 4096), { outputSize: 100 })).rejects.toThrow();
    await expect(
      pool.run('packbits-decode', bytes(peer!.encoded['packbits-decode']!), { outputSize: 100 }),
    ).rejects.toThrow(/PackBits/);
  });
});
