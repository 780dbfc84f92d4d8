/**
 * The native TIFF LZW decoder (native/lzw.c, used by the Node codec table) against imagecodecs' lzw_encode,
 * the encoder behind tifffile's LZW writes: streams with long runs (strings up to thousands of bytes, the
 * KwKwK case), noise (the table fills and is cleared many times), a real microscopy plane and tiny inputs
 * decode to imagecodecs' input; output clipped at the block size and damaged streams give what the
 * JavaScript decoder gives (the same bytes or an error).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { lzwDecode } from '../src/codecs/lzw.mjs';
import { lzwDecodeNode } from '../src/codecs/lzw-node.mjs';
import { liblzw } from '../src/codecs/native-addons.mjs';
import { implementation } from '../src/table.node.mjs';

const ok = available('python', 'data');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const hex = (b: Uint8Array) => `${b.length}:${createHash('sha256').update(b).digest('hex')}`;

const PYTHON = `
import sys, json, base64, numpy as np, tifffile, imagecodecs as ic
p = json.load(sys.stdin)
rng = np.random.default_rng(3)
plane = tifffile.imread(p['file']).tobytes()
inputs = {
  'plane': plane,
  'zeros': bytes(300000),
  'noise': rng.integers(0, 256, 200000, dtype=np.uint8).tobytes(),
  'ramp': (np.arange(70000) % 7).astype(np.uint8).tobytes(),
  'one': b'x',
  'empty': b'',
}
e = lambda b: base64.b64encode(bytes(b)).decode()
print(json.dumps({k: {'raw': e(v), 'lzw': e(ic.lzw_encode(v))} for k, v in inputs.items()}))
`;

describe.skipIf(!ok || !liblzw())('native LZW decoding against imagecodecs', async () => {
  const peer = ok
    ? await runPythonJson<Record<string, { raw: string; lzw: string }>>(PYTHON, {
        file: dataPath('aicsimageio/s_1_t_1_c_1_z_1.ome.tiff'),
      })
    : {};

  it.each(['plane', 'zeros', 'noise', 'ramp', 'one', 'empty'])(
    '%s: imagecodecs’ stream decodes to its input, in a buffer given or a fresh one',
    (name) => {
      const raw = bytes(peer[name]!.raw);
      const stream = bytes(peer[name]!.lzw);
      expect(hex(lzwDecodeNode(stream, { outputSize: raw.length }))).toBe(hex(raw));
      const into = new Uint8Array(raw.length + 100).fill(7);
      const got = lzwDecodeNode(stream, { outputSize: raw.length }, into);
      if (raw.length > 0) expect(got.buffer).toBe(into.buffer);
      expect(hex(got)).toBe(hex(raw));
    },
  );

  it('is what the Node codec table decodes LZW with', () => {
    expect(implementation('lzw-decode')).toBe('native');
  });

  it('clips at the block size exactly as the JavaScript decoder', () => {
    for (const name of ['plane', 'zeros', 'noise', 'ramp']) {
      const stream = bytes(peer[name]!.lzw);
      for (const limit of [1, 2, 9, 17, 4095, 65537]) {
        const out = new Uint8Array(limit);
        const n = liblzw()!.lzwDecode(stream, out);
        expect(hex(out.subarray(0, n)), `${name} at ${limit}`).toBe(hex(lzwDecode(stream, limit)));
      }
    }
  });

  it('a damaged stream decodes or fails as in JavaScript, never past the block', () => {
    const stream = bytes(peer.noise!.lzw);
    const size = bytes(peer.noise!.raw).length;
    for (const at of [0, 1, 5, 1000, 50000, stream.length - 3]) {
      const bad = stream.slice();
      bad[at] = bad[at]! ^ 0x5a;
      let want: string;
      try {
        want = hex(lzwDecode(bad, size));
      } catch (err) {
        expect(() => lzwDecodeNode(bad, { outputSize: size }), `byte ${at}`).toThrow((err as Error).message);
        continue;
      }
      expect(hex(lzwDecodeNode(bad, { outputSize: size })), `byte ${at}`).toBe(want);
    }
    // Truncated: what was decoded stands, as in JavaScript.
    const cut = stream.subarray(0, 777);
    expect(hex(lzwDecodeNode(cut, { outputSize: size }))).toBe(hex(lzwDecode(cut, size)));
  });
});
