/**
 * The parts of `bfio serve` whose behaviour a live server shows only by timing or chance: byte-range answers
 * (RFC 9110 §14), request-path parsing, the admission queue behind --max-concurrent (503 once full), and how
 * a folder becomes names (stems, collisions, hidden and unreadable files, Zarr folders).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@bfio/tiff';
import '@bfio/zarr';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../test-support/env.js';
import { Admission } from '../src/serve/admission.js';
import { Catalog } from '../src/serve/catalog.js';
import { answerRange } from '../src/serve/http-range.js';
import { pathSegments } from '../src/serve/server.js';
import { ViewCache } from '../src/serve/views.js';

describe('answerRange', () => {
  it.each([
    [undefined, { kind: 'all' }],
    ['bytes=0-9', { kind: 'part', start: 0, end: 10 }],
    ['bytes=90-', { kind: 'part', start: 90, end: 100 }],
    ['bytes=95-1000000', { kind: 'part', start: 95, end: 100 }],
    ['bytes=-10', { kind: 'part', start: 90, end: 100 }],
    ['bytes=-1000', { kind: 'part', start: 0, end: 100 }],
    ['bytes=0-0,5-6', { kind: 'all' }],
    ['items=0-5', { kind: 'all' }],
  ] as const)('%s of 100 bytes', (header, want) => {
    expect(answerRange(header, 100)).toEqual(want);
  });

  it.each([
    'bytes=100-',
    'bytes=500-600',
    'bytes=10-5',
    'bytes=-0',
    'bytes=-',
    'bytes=a-b',
    'bytes=1e3-',
    'bytes=9999999999999999-',
    'pages',
  ])('%s of 100 bytes is unsatisfiable', (header) => {
    expect(answerRange(header, 100).kind).toBe('unsatisfiable');
  });
});

describe('pathSegments', () => {
  it('decodes plain paths, keeping a trailing slash as the folder itself', () => {
    expect(pathSegments('/')).toEqual([]);
    expect(pathSegments('/a%20b.ome.zarr/0/zarr.json?x=1')).toEqual(['a b.ome.zarr', '0', 'zarr.json']);
    expect(pathSegments('/a.ome.zarr/')).toEqual(['a.ome.zarr']);
  });

  it.each([
    '/..',
    '/a/../b',
    '/%2e%2e/b',
    '/%2E%2E/b',
    '/a/%2e',
    '/a/b%2fc',
    '/a/b%5cc',
    '/a/b%00',
    '/a/%0a',
    '//a',
    '/a//b',
    '/%zz',
    'a/b',
    'http://host/a',
  ])('%s is refused', (path) => {
    expect(() => pathSegments(path)).toThrow();
  });
});

describe('Admission', () => {
  it('serves max at once, queues maxQueued in order, turns the rest away', async () => {
    const gate = new Admission(2, 3);
    const order: number[] = [];
    const entered = Array.from({ length: 7 }, async (_, i) => {
      const ok = await gate.enter();
      if (ok) order.push(i);
      return ok;
    });
    await new Promise((r) => setTimeout(r, 10));
    // Two in, three waiting, two refused.
    expect(order).toEqual([0, 1]);
    expect(await entered[5]).toBe(false);
    expect(await entered[6]).toBe(false);
    gate.leave();
    gate.leave();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([0, 1, 2, 3]);
    gate.leave();
    expect(await entered[4]).toBe(true);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // All leave: the next one enters at once.
    for (let i = 0; i < 3; i++) gate.leave();
    expect(await gate.enter()).toBe(true);
  });
});

describe('Catalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-catalog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names images by stem, keeps whole names on a collision, skips hidden and unreadable files', async () => {
    for (const f of ['a.ome.tif', 'a.tif', 'b.tiff', 'notes.txt', '.hidden.tif'])
      writeFileSync(join(dir, f), 'x');
    mkdirSync(join(dir, 'c.zarr'));
    mkdirSync(join(dir, 'plain'));
    mkdirSync(join(dir, 'v3'));
    writeFileSync(join(dir, 'v3', 'zarr.json'), '{}');
    const warnings: string[] = [];
    const catalog = await Catalog.open(dir, (w) => warnings.push(w));
    const names = catalog.list().map((e) => [e.name, e.source]);
    expect(names).toEqual([
      ['a.ome.tif.ome.zarr', 'a.ome.tif'],
      ['a.tif.ome.zarr', 'a.tif'],
      ['b.ome.zarr', 'b.tiff'],
      ['c.ome.zarr', 'c.zarr'],
      ['v3.ome.zarr', 'v3'],
    ]);
    // A file added later is found by the lookup that misses it (rescan).
    writeFileSync(join(dir, 'd.tif'), 'x');
    await new Promise((r) => setTimeout(r, 2100));
    expect((await catalog.lookup('d.ome.zarr'))?.source).toBe('d.tif');
    expect(warnings).toEqual([]);
  });

  it('serves one file, or one OME-Zarr folder, alone', async () => {
    expect((await Catalog.open(join(dir, 'b.tiff'), () => {})).list().map((e) => e.name)).toEqual([
      'b.ome.zarr',
    ]);
    expect((await Catalog.open(join(dir, 'v3'), () => {})).list().map((e) => e.name)).toEqual([
      'v3.ome.zarr',
    ]);
  });
});

describe('ViewCache', () => {
  it('keeps at most maxOpen views, closing the least recently used idle one, never one in use', async () => {
    const cache = new ViewCache({ ngffVersion: '0.5' }, 1);
    const a = dataPath('exampletiffs/shapes_lzw_tiled_planar.tif');
    const b = dataPath('exampletiffs/coffee.tif');
    const docA = await cache.with(a, async (view) => {
      // B opened and used while A is in use: released, B is the idle one and is closed; A is not.
      await cache.with(b, async (v) => {
        expect(await v.get('/zarr.json')).toBeDefined();
        expect(cache.open).toBe(2);
      });
      expect(cache.open).toBe(1);
      return new TextDecoder().decode(await view.get('/0/zarr.json'));
    });
    expect(JSON.parse(docA).shape).toEqual([1, 3, 1, 72, 128]);
    expect(cache.open).toBe(1);
    // A file that cannot be opened is not kept.
    await expect(cache.with(dataPath('MANIFEST.tsv'), async () => 0)).rejects.toThrow();
    expect(cache.open).toBe(1);
    await cache.close();
    expect(cache.open).toBe(0);
  });
});
