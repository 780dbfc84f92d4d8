/**
 * The optional native Deflate encoder and decoder (packages/codecs/native, libdeflate 1.25 compiled from
 * native/libdeflate/): built by `pnpm install` wherever a C compiler is, used by the writer's workers,
 * producing zlib streams that Python's zlib decodes to the tile's bytes and that equal imagecodecs' (the
 * codec tifffile writes with) byte for byte on real microscopy tiles. The TIFF writer tests check the files
 * it produces with tifffile.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { available, dataPath, IN_CI } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { libdeflate } from '../src/codecs/native-addons.mjs';
import { WorkerPool } from '../src/index.js';

/** node-gyp compiles with `cc` (make's default): the addon needs nothing else. */
const compiler = spawnSync('cc', ['--version']).status === 0;
const addon = libdeflate();
const withData = available('python', 'data');

/** A microscopy-like tile: smooth background, a few bright blobs, some noise (deterministic). */
function tile(seed: number, width: number, height: number, bytes: 1 | 2 | 4): Uint8Array {
  const out =
    bytes === 1
      ? new Uint8Array(width * height)
      : bytes === 2
        ? new Uint16Array(width * height)
        : new Float32Array(width * height);
  let s = seed;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const blob = Math.exp(-((x - width / 3) ** 2 + (y - height / 2) ** 2) / 800);
      out[y * width + x] = Math.round(((x + y) / 8 + 200 * blob + (s >>> 28)) * (bytes === 1 ? 0.5 : 10));
    }
  return new Uint8Array(out.buffer);
}
const pool = new WorkerPool({ maxWorkers: 2 });
afterAll(() => pool.close());

/**
 * Tiles of two real uint16 microscopy planes (a 1024² TIRF frame, a 1080² tiled plate image: 512² tiles, the
 * whole 1024² frame and the plate's edge tiles) and imagecodecs' zlib streams of them: deflate_encode at
 * levels 1 and 6, and level 1 after delta_encode (TIFF Predictor 2), as tifffile writes them.
 */
const IMAGECODECS = `
import json, sys, base64, numpy as np, tifffile, imagecodecs as ic
p = json.load(sys.stdin)
tiles = []
for name, path in p['files'].items():
    plane = tifffile.imread(path).astype('<u2')
    h, w = plane.shape
    tiles.append((name + ' whole', plane[:1024, :1024]))
    for y in range(0, h, 512):
        for x in range(0, w, 512):
            tiles.append((f'{name} {y},{x}', plane[y:y + 512, x:x + 512]))
e = lambda b: base64.b64encode(bytes(b)).decode()
out = []
for name, t in tiles:
    t = np.ascontiguousarray(t)
    out.append({'name': name, 'width': t.shape[1], 'raw': e(t.tobytes()), 'l1': e(ic.deflate_encode(t.tobytes(), level=1)),
                'l6': e(ic.deflate_encode(t.tobytes(), level=6)),
                'p1': e(ic.deflate_encode(ic.delta_encode(t, axis=-1).tobytes(), level=1))})
print(json.dumps({'version': ic.deflate_version(), 'tiles': out}))
`;

describe('native libdeflate encoder', () => {
  it('is built wherever a C compiler is, from the vendored libdeflate', () => {
    if (!compiler && !IN_CI) console.warn('\n!!! no C compiler: the writer deflates with node:zlib\n');
    // Under CI scripts/setup installed build-essential, so the addon must be there.
    if (compiler || IN_CI) {
      expect(addon, 'run `pnpm install` to build packages/codecs/native').toBeDefined();
      // Not an addon left over from a build against the system's libdeflate 1.14.
      expect(addon!.version, 'rebuild packages/codecs/native (pnpm install)').toBe('1.25');
    }
  });

  describe.skipIf(addon === undefined || !available('python'))('through the codec workers', () => {
    it('gives zlib streams of tiles that Python decodes, made by libdeflate (not zlib)', async () => {
      const tiles = [tile(7, 512, 384, 2), tile(8, 300, 200, 1), tile(9, 256, 256, 4)];
      const streams: string[] = [];
      for (const t of tiles) {
        const out = await pool.run('deflate', t, {
          level: 1,
          memLevel: 9,
          outputSize: t.length,
        });
        // The worker used the addon: its output, not zlib's.
        const direct = new Uint8Array(t.length + 4096);
        const n = addon!.zlibCompress(t, 1, direct);
        expect(Buffer.from(out).equals(Buffer.from(direct.subarray(0, n)))).toBe(true);
        expect(Buffer.from(out).equals(deflateSync(t, { level: 1, memLevel: 9 }))).toBe(false);
        streams.push(Buffer.from(out).toString('base64'));
      }
      const peer = await runPythonJson<{ sha: string[]; header: number[] }>(
        `import json, sys, zlib, hashlib, base64
p = json.load(sys.stdin)
raw = [base64.b64decode(s) for s in p]
print(json.dumps({"sha": [hashlib.sha256(zlib.decompress(r)).hexdigest() for r in raw], "header": [r[0] for r in raw]}))`,
        streams,
      );
      expect(peer.sha).toEqual(tiles.map((t) => createHash('sha256').update(t).digest('hex')));
      expect(peer.header).toEqual([0x78, 0x78, 0x78]);
    });

    it('decodes with libdeflate the zlib streams Python made, and leaves damaged or oversized ones to node:zlib', async () => {
      const tiles = [tile(11, 512, 384, 2), tile(12, 300, 200, 1)];
      const peer = await runPythonJson<string[]>(
        `import json, sys, zlib, base64
p = json.load(sys.stdin)
print(json.dumps([base64.b64encode(zlib.compress(base64.b64decode(s), 6)).decode() for s in p]))`,
        tiles.map((t) => Buffer.from(t).toString('base64')),
      );
      const streams = peer.map((s) => new Uint8Array(Buffer.from(s, 'base64')));
      for (const [i, z] of streams.entries()) {
        const out = new Uint8Array(tiles[i]!.length);
        // The addon alone decodes the stream whole…
        expect(addon!.zlibDecompress!(z, out)).toBe(out.length);
        expect(Buffer.from(out).equals(Buffer.from(tiles[i]!))).toBe(true);
        // …and the workers' 'inflate' (which uses it), into a spare buffer too.
        const params = { outputSize: out.length, exact: true };
        const decoded = await pool.run('inflate', z, params, { spare: new ArrayBuffer(out.length) });
        expect(Buffer.from(decoded).equals(Buffer.from(tiles[i]!))).toBe(true);
      }
      // Too small a room: -1 from libdeflate, then node:zlib finds the whole (larger) result.
      const z = streams[0]!;
      expect(addon!.zlibDecompress!(z, new Uint8Array(100))).toBe(-1);
      const whole = await pool.run('inflate', z, { outputSize: 100 });
      expect(whole.length).toBe(tiles[0]!.length);
      // A damaged stream still fails with zlib's own error.
      const cut = z.slice(0, z.length >> 1);
      expect(addon!.zlibDecompress!(cut, new Uint8Array(tiles[0]!.length))).toBe(-1);
      await expect(pool.run('inflate', cut, { outputSize: tiles[0]!.length })).rejects.toThrow(
        /unexpected end of file/,
      );
    });

    it('differences samples in C (TIFF predictor 2) as imagecodecs does, alone and before the workers’ Deflate', async () => {
      // 1-, 2- and 4-byte samples, 1 and 3 samples per pixel, rows whose length is no multiple of a vector.
      const cases = [
        { size: 1, stride: 1, width: 301, height: 7 },
        { size: 2, stride: 1, width: 1024, height: 9 },
        { size: 2, stride: 3, width: 117, height: 5 },
        { size: 4, stride: 1, width: 250, height: 6 },
        { size: 4, stride: 3, width: 33, height: 4 },
      ] as const;
      const inputs = cases.map((c, i) =>
        tile(20 + i, c.width * c.stride, c.height, 4).subarray(0, c.width * c.stride * c.height * c.size),
      );
      const predicted: string[] = [];
      const streams: string[] = [];
      for (const [i, c] of cases.entries()) {
        const row = c.width * c.stride;
        const alone = inputs[i]!.slice();
        addon!.horizontalPredict!(alone, c.size, row, c.stride);
        predicted.push(Buffer.from(alone).toString('base64'));
        const params = { level: 1, predict: { size: c.size, rowLength: row, stride: c.stride } };
        streams.push(Buffer.from(await pool.run('deflate', inputs[i]!.slice(), params)).toString('base64'));
      }
      const peer = await runPythonJson<{ delta: string[]; decoded: string[] }>(
        `import json, sys, zlib, base64, numpy as np, imagecodecs as ic
p = json.load(sys.stdin)
t = {1: '<u1', 2: '<u2', 4: '<u4'}
delta, decoded = [], []
for c, raw, z in zip(p['cases'], p['inputs'], p['streams']):
    shape = (c['height'], c['width'], c['stride'])
    a = np.frombuffer(base64.b64decode(raw), t[c['size']]).reshape(shape)
    delta.append(base64.b64encode(ic.delta_encode(a, axis=1).tobytes()).decode())
    d = np.frombuffer(zlib.decompress(base64.b64decode(z)), t[c['size']]).reshape(shape)
    decoded.append(base64.b64encode(ic.delta_decode(d, axis=1).tobytes()).decode())
print(json.dumps({'delta': delta, 'decoded': decoded}))`,
        { cases, inputs: inputs.map((b) => Buffer.from(b).toString('base64')), streams },
      );
      expect(predicted).toEqual(peer.delta);
      expect(peer.decoded).toEqual(inputs.map((b) => Buffer.from(b).toString('base64')));
    });

    describe.skipIf(!withData)('on real microscopy tiles, against imagecodecs', async () => {
      const peer =
        withData && addon
          ? await runPythonJson<{
              version: string;
              tiles: { name: string; width: number; raw: string; l1: string; l6: string; p1: string }[];
            }>(IMAGECODECS, {
              files: {
                tirf: dataPath(
                  'exampletiffs/ometiff_testdata/singles/170918_tn_neutrophil_migration_wave.ome.tif',
                ),
                plate: dataPath('polus-image-tools/r01_c01_x01_y01_z01.ome.tif'),
              },
            })
          : { version: '', tiles: [] };
      const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
      const hex = (b: Uint8Array) => `${b.length}:${createHash('sha256').update(b).digest('hex')}`;

      it('encodes the bytes imagecodecs encodes, at levels 1 and 6, alone and through the workers', async () => {
        expect(peer.tiles.length).toBe(15);
        const ours: string[][] = [];
        for (const t of peer.tiles) {
          const raw = bytes(t.raw);
          const direct = new Uint8Array(raw.length + 4096);
          const row = [t.name];
          for (const level of [1, 6]) {
            row.push(hex(direct.subarray(0, addon!.zlibCompress(raw, level, direct))));
            row.push(hex(await pool.run('deflate', raw.slice(), { level, outputSize: raw.length })));
          }
          ours.push(row);
        }
        const theirs = peer.tiles.map((t) => [
          t.name,
          hex(bytes(t.l1)),
          hex(bytes(t.l1)),
          hex(bytes(t.l6)),
          hex(bytes(t.l6)),
        ]);
        expect(ours, `imagecodecs' ${peer.version}, ours libdeflate ${addon!.version}`).toEqual(theirs);
      });

      it('encodes with the horizontal predictor the bytes imagecodecs does after delta_encode', async () => {
        const ours: string[] = [];
        for (const t of peer.tiles) {
          const predict = { size: 2 as const, rowLength: t.width, stride: 1 };
          ours.push(hex(await pool.run('deflate', bytes(t.raw), { level: 1, predict })));
        }
        expect(ours).toEqual(peer.tiles.map((t) => hex(bytes(t.p1))));
      });

      it("decodes imagecodecs' streams to the tiles (the predictor's to the differences)", () => {
        for (const t of peer.tiles) {
          const raw = bytes(t.raw);
          const delta = raw.slice();
          addon!.horizontalPredict!(delta, 2, t.width, 1);
          for (const [z, want] of [
            [t.l1, raw],
            [t.l6, raw],
            [t.p1, delta],
          ] as const) {
            const out = new Uint8Array(raw.length);
            expect(addon!.zlibDecompress!(bytes(z), out), t.name).toBe(raw.length);
            expect(Buffer.from(out).equals(Buffer.from(want)), t.name).toBe(true);
          }
        }
      });
    });

    it('round-trips incompressible data (output larger than the input)', async () => {
      // Noise grows under Deflate: the result must still be complete (libdeflate's, or zlib's if it did not fit).
      const noise = new Uint8Array(1 << 20);
      for (let i = 0; i < noise.length; i++) noise[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff;
      const out = await pool.run('deflate', noise, { level: 1, outputSize: noise.length });
      expect(Buffer.from(inflateSync(out)).equals(Buffer.from(noise))).toBe(true);
    });
  });
});
