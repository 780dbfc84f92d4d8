/**
 * The optional native Deflate encoder (native/, libdeflate): built by `pnpm install` wherever libdeflate-dev
 * is installed (scripts/setup installs it), used by the writer's workers, producing zlib streams that
 * Python's zlib decodes to the tile's bytes. The writer tests check the files it produces with tifffile.
 */

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';
import { WorkerPool } from '@bfio/core';
import { afterAll, describe, expect, it } from 'vitest';
import { available, IN_CI } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { libdeflatePath } from '../src/writer/libdeflate.js';
import { makeImage } from './writer-fixtures.js';

const headers = existsSync('/usr/include/libdeflate.h');
const path = libdeflatePath();
const pool = new WorkerPool({ maxWorkers: 2 });
afterAll(() => pool.close());

describe('native libdeflate encoder', () => {
  it('is built wherever libdeflate-dev is installed', () => {
    if (!headers && !IN_CI)
      console.warn('\n!!! libdeflate-dev missing: the writer deflates with node:zlib\n');
    // Under CI scripts/setup installed the headers, so the addon must be there.
    if (headers || IN_CI) expect(path, 'run `pnpm install` to build packages/tiff/native').toBeDefined();
  });

  describe.skipIf(path === undefined || !available('python'))('through the codec workers', () => {
    it('gives zlib streams of tiles that Python decodes, made by libdeflate (not zlib)', async () => {
      const tiles = [
        makeImage(7, 'uint16', { sizeX: 512, sizeY: 384, sizeZ: 1, sizeC: 1, sizeT: 1 }, 'XYZCT').planes,
        makeImage(8, 'uint8', { sizeX: 300, sizeY: 200, sizeZ: 1, sizeC: 1, sizeT: 1 }, 'XYZCT').planes,
        makeImage(9, 'float32', { sizeX: 256, sizeY: 256, sizeZ: 1, sizeC: 1, sizeT: 1 }, 'XYZCT').planes,
      ].map((t) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
      const addon = createRequire(import.meta.url)(path!) as {
        zlibCompress(input: Uint8Array, level: number, output: Uint8Array): number;
      };
      const streams: string[] = [];
      for (const tile of tiles) {
        const out = await pool.run('deflate', tile, {
          level: 1,
          memLevel: 9,
          outputSize: tile.length,
          native: path,
        });
        // The worker used the addon: its output, not zlib's.
        const direct = new Uint8Array(tile.length + 4096);
        const n = addon.zlibCompress(tile, 1, direct);
        expect(Buffer.from(out).equals(Buffer.from(direct.subarray(0, n)))).toBe(true);
        expect(Buffer.from(out).equals(deflateSync(tile, { level: 1, memLevel: 9 }))).toBe(false);
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

    it('round-trips incompressible data (output larger than the input)', async () => {
      // Noise grows under Deflate: the result must still be complete (libdeflate's, or zlib's if it did not fit).
      const noise = new Uint8Array(1 << 20);
      for (let i = 0; i < noise.length; i++) noise[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff;
      const out = await pool.run('deflate', noise, { level: 1, outputSize: noise.length, native: path });
      expect(Buffer.from(inflateSync(out)).equals(Buffer.from(noise))).toBe(true);
    });
  });
});
