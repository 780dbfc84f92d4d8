/**
 * A Blosc chunk whose header claims 4 GiB of decoded bytes (one flipped bit, found by the fuzzer) made
 * numcodecs' WASM decoder grow its memory past 2 GiB before failing. The header is now checked against what
 * one chunk can hold (its shape × item size) first: a corrupt-file error naming the store, in little memory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

describe.skipIf(!available('python'))('a Blosc header claiming more than a chunk holds', () => {
  let dir: string;
  let store: string;
  let peer: { chunk: string; raised: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-hostile-chunks-'));
    store = join(dir, 'blosc.zarr');
    // zarr-python writes the store; the test damages chunk 0.0's header; zarr-python then reads it back.
    const written = await runPythonJson<{ chunk: string }>(
      `
import json, sys, numpy as np, zarr, numcodecs
a = json.load(sys.stdin)
z = zarr.open_array(a['store'], mode='w', zarr_format=2, shape=(64, 64), chunks=(32, 32), dtype='uint16',
                    compressor=numcodecs.Blosc(cname='lz4'))
z[...] = (np.arange(64 * 64) % 4000).astype('uint16').reshape(64, 64)
print(json.dumps({'chunk': a['store'] + '/0.0'}))
`,
      { store },
    );
    const bytes = new Uint8Array(readFileSync(written.chunk));
    new DataView(bytes.buffer).setUint32(4, 0xfffffff0, true);
    writeFileSync(written.chunk, bytes);
    const raised = await runPythonJson<{ raised: string }>(
      `
import json, sys, zarr
try:
    zarr.open_array(json.load(sys.stdin)['store'], mode='r')[:32, :32]
    print(json.dumps({'raised': ''}))
except BaseException as e:
    print(json.dumps({'raised': type(e).__name__}))
`,
      { store },
    );
    peer = { chunk: written.chunk, raised: raised.raised };
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is a corrupt-file error, as zarr-python raises, without allocating gigabytes', async () => {
    expect(peer.raised, 'zarr-python read the damaged chunk').not.toBe('');
    const before = process.memoryUsage().rss;
    const err = await (async () => {
      await using br = await BioReader.open(store);
      await br.read({ X: [0, 32], Y: [0, 32] });
    })().catch((e: unknown) => e);
    expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
    expect((err as Error).message).toContain(store);
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20);
    // The other chunks still read.
    await using br = await BioReader.open(store);
    expect((await br.read({ X: [32, 64], Y: [32, 64] })).data.length).toBe(32 * 32);
  });
});
