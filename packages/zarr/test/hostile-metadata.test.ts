/**
 * Zarr metadata the fuzzer (apps/fuzz) broke the reader with. zarr-python writes an OME-Zarr (v2 and v3),
 * the test damages one metadata key as the fuzzer did, and zarr-python's own reaction is recorded beside
 * ours:
 * - an empty `.zattrs` (an interrupted write) gave an untyped `SyntaxError: Unexpected end of JSON input`;
 * - `compressor: "AAAA"` and an unknown compressor id failed only at the first chunk, and zarrita's codec
 *   loader left rejections unhandled (which can end the process): now refused at open;
 * - a shape claiming 10^15 channels made the reader build 10^15 OME Channel elements (a hang);
 * - a zero or negative NGFF scale gave an untyped `RangeError: createOme: physicalSizeX must be > 0`;
 * - a shape with a 0 (valid Zarr: no elements) gave an untyped `RangeError: createOme: sizeY must be a
 *   positive integer, got 0`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, isBfioError } from '@bfio/core';
import '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

type Edit = (meta: Record<string, unknown>) => void;

/** Each case: which store, which metadata file, and the damage. */
const CASES: Record<string, { store: 'v2' | 'v3'; key: string; edit: Edit | 'empty' }> = {
  'empty-zattrs': { store: 'v2', key: '.zattrs', edit: 'empty' },
  'compressor-string': { store: 'v2', key: '0/.zarray', edit: (m) => (m.compressor = 'AAAA') },
  'compressor-unknown': { store: 'v2', key: '0/.zarray', edit: (m) => (m.compressor = { id: 'nope' }) },
  'filters-string': { store: 'v2', key: '0/.zarray', edit: (m) => (m.filters = 'AAAA') },
  'codec-unknown': {
    store: 'v3',
    key: '0/zarr.json',
    edit: (m) => (m.codecs = [{ name: 'bytes' }, { name: 'nope' }]),
  },
  'scale-negative': {
    store: 'v2',
    key: '.zattrs',
    edit: (m) => {
      const ms = (
        m.multiscales as Array<{ datasets: Array<{ coordinateTransformations: Array<{ scale: number[] }> }> }>
      )[0]!;
      ms.datasets[0]!.coordinateTransformations[0]!.scale = [1, -1, 0];
    },
  },
  'empty-y': {
    store: 'v3',
    key: '0/zarr.json',
    edit: (m) => {
      (m.shape as number[])[1] = 0;
    },
  },
  'channels-1e15': {
    store: 'v3',
    key: '0/zarr.json',
    edit: (m) => {
      (m.shape as number[])[0] = 1e15;
    },
  },
};

describe.skipIf(!available('python'))('Zarr metadata found by the fuzzer', () => {
  let dir: string;
  const stores: Record<string, string> = {};
  let peerRaised: Record<string, string> & { pixels?: number[] };
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-hostile-zarr-'));
    const written = await runPythonJson<Record<'v2' | 'v3', string>>(
      `
import json, sys, numpy as np, zarr, numcodecs
d = json.load(sys.stdin)['dir']
v = (np.arange(2 * 32 * 40) % 251).astype('uint8').reshape(2, 32, 40)
out = {}
for fmt in (2, 3):
    path = f'{d}/base-v{fmt}.ome.zarr'
    g = zarr.open_group(path, mode='w', zarr_format=fmt)
    kw = {'compressors': numcodecs.Zlib()} if fmt == 2 else {}
    a = g.create_array('0', shape=v.shape, dtype=v.dtype, chunks=(1, 16, 16), **kw)
    a[...] = v
    axes = [{'name': 'c', 'type': 'channel'}, {'name': 'y', 'type': 'space'}, {'name': 'x', 'type': 'space'}]
    ms = {'axes': axes, 'datasets': [{'path': '0', 'coordinateTransformations': [{'type': 'scale', 'scale': [1, 1, 1]}]}]}
    if fmt == 2:
        g.attrs['multiscales'] = [{'version': '0.4', **ms}]
    else:
        g.attrs['ome'] = {'version': '0.5', 'multiscales': [ms]}
    out[f'v{fmt}'] = path
print(json.dumps(out))
`,
      { dir },
    );
    for (const [name, c] of Object.entries(CASES)) {
      const store = join(dir, `${name}.ome.zarr`);
      cpSync(written[c.store], store, { recursive: true });
      const file = join(store, c.key);
      if (c.edit === 'empty') writeFileSync(file, '');
      else {
        const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        c.edit(meta);
        writeFileSync(file, JSON.stringify(meta));
      }
      stores[name] = store;
    }
    // zarr-python on the same damaged stores: open and read the first chunk.
    peerRaised = await runPythonJson<Record<string, string> & { pixels?: number[] }>(
      `
import json, sys, zarr
out = {}
for name, path in json.load(sys.stdin).items():
    try:
        a = zarr.open_array(path + '/0', mode='r')
        a[0, :16, :16]
        out[name] = ''
        if name == 'scale-negative':
            out['pixels'] = a[0].ravel().tolist()
    except BaseException as e:
        out[name] = type(e).__name__
print(json.dumps(out))
`,
      stores,
    );
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function openAndRead(name: string): Promise<unknown> {
    const started = Date.now();
    const err = await (async () => {
      await using br = await BioReader.open(stores[name]!);
      await br.read({ C: [0] });
    })().catch((e: unknown) => e);
    // Let any stray rejection from the codec loader surface before the test ends.
    await new Promise((done) => setTimeout(done, 200));
    expect(Date.now() - started, `${name} took too long`).toBeLessThan(10_000);
    return err;
  }

  it('an empty .zattrs is a corrupt-file error naming that file', async () => {
    const err = await openAndRead('empty-zattrs');
    expect(isBfioError(err, 'corrupt-file'), String(err)).toBe(true);
    expect((err as Error).message).toContain(join(stores['empty-zattrs']!, '.zattrs'));
    expect((err as Error).message).toMatch(/not valid JSON .*restore or rewrite it/);
  });

  for (const [name, pattern] of [
    ['compressor-string', /invalid compressor entry "AAAA"/],
    ['compressor-unknown', /uses the codec 'numcodecs\.nope', which this reader does not have/],
    ['filters-string', /filters that are not a list/],
    ['codec-unknown', /uses the codec 'nope', which this reader does not have/],
  ] as const) {
    it(`${name}: refused at open like zarr-python refuses it, with no unhandled rejection`, async () => {
      expect(peerRaised[name], `zarr-python read ${name}`).not.toBe('');
      const err = await openAndRead(name);
      expect(isBfioError(err, 'corrupt-file', 'unsupported'), String(err)).toBe(true);
      expect((err as Error).message).toContain(stores[name]!);
      expect((err as Error).message).toMatch(pattern);
      expect(unhandled).toEqual([]);
    });
  }

  it('a negative or zero NGFF scale: physical sizes unknown, pixels as zarr-python reads them (was an untyped RangeError)', async () => {
    await using br = await BioReader.open(stores['scale-negative']!);
    expect(br.physicalSizeX).toBeUndefined();
    expect(br.physicalSizeY).toBeUndefined();
    const px = await br.read({ C: [0] }, { shared: false });
    expect(Array.from(px.data as Uint8Array)).toEqual(peerRaised.pixels);
  });

  it('an array with no elements (Y = 0, valid Zarr) is an unsupported error, not an untyped RangeError', async () => {
    const err = await openAndRead('empty-y');
    expect(isBfioError(err, 'unsupported'), String(err)).toBe(true);
    expect((err as Error).message).toContain(stores['empty-y']!);
    expect((err as Error).message).toMatch(/level 0 is empty .*check the array's shape/);
  });

  it('a shape of 10^15 channels is refused quickly, naming the file', async () => {
    const err = await openAndRead('channels-1e15');
    expect(isBfioError(err, 'unsupported'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/has 1000000000000000 channels, more than bfio describes/);
  });
});
