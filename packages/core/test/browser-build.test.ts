/**
 * @bfio/core in a browser bundle: esbuild (`platform: 'browser'`, the `browser` condition) bundles
 * src/index.ts with no Node built-in left, through platform/browser.ts (never platform/node.ts); the two
 * platform twins export the same names; the browser twin's path functions agree with node:path's POSIX
 * ones and with URL resolution; and the bundle itself, run here, refuses Node-only work (Bio-Formats, file:
 * URLs) with typed errors instead of trying it, and looks local paths up in its in-memory file system.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserBundle, expectBrowserBundle } from '../../../test-support/esbuild-browser.js';
import * as browserTwin from '../src/platform/browser.js';
import * as nodeTwin from '../src/platform/node.js';
import * as urlPath from '../src/platform/url-path.js';

// The twins are interchangeable for type checking too: a name or signature only one has fails `tsc`.
const _sameShape: Omit<typeof nodeTwin, 'PLATFORM'> = browserTwin;

const entry = new URL('../src/index.ts', import.meta.url).pathname;
const dir = await mkdtemp(join(tmpdir(), 'bfio-browser-core-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('@bfio/core browser bundle', () => {
  let bundle: BrowserBundle;
  beforeAll(async () => {
    bundle = await expectBrowserBundle(entry, ['core']);
  });

  it('bundles with no Node built-in, through the browser platform module', () => {
    // The registry knows Bio-Formats by name only: its package is never part of the bundle.
    expect(bundle.inputs.filter((p) => p.includes('bioformats'))).toEqual([]);
  });

  it('the platform twins export the same names', () => {
    expect(Object.keys(browserTwin).sort()).toEqual(Object.keys(nodeTwin).sort());
    expect(browserTwin.PLATFORM).toBe('browser');
    expect(nodeTwin.PLATFORM).toBe('node');
    expect(_sameShape).toBe(browserTwin);
  });

  it('run as a module, the bundle refuses Bio-Formats and file: URLs as Node-only; paths are in memory', async () => {
    const file = join(dir, 'core.mjs');
    await writeFile(file, bundle.code);
    const core = (await import(pathToFileURL(file).href)) as typeof import('../src/index.js');
    const forced = await core.BioReader.open('https://example.invalid/x.czi', {
      backend: 'bioformats',
    }).catch((e: unknown) => e);
    expect(core.isBfioError(forced, 'unsupported'), String(forced)).toBe(true);
    expect((forced as Error).message).toMatch(/Node-only.*Java VM/);
    // No backend registered in this bundle: the advice is to import one, never to install Bio-Formats.
    const blob = new File([new Uint8Array([0x49, 0x49, 42, 0])], 'dropped.ome.tif');
    const unknown = await core.BioReader.open(blob).catch((e: unknown) => e);
    expect(core.isBfioError(unknown, 'unknown-format'), String(unknown)).toBe(true);
    expect((unknown as Error).message).toContain('dropped.ome.tif');
    expect((unknown as Error).message).toContain('Importing @bfio/tiff');
    expect((unknown as Error).message).not.toContain('bioformats');
    // A local path names the page's in-memory file system: nothing there yet.
    const local = await core.BioReader.open('/data/image.ome.tif').catch((e: unknown) => e);
    expect(core.isBfioError(local, 'not-found'), String(local)).toBe(true);
    expect((local as Error).message).toMatch(/in-memory file system/);
    // file: URLs are Node's.
    const fileUrl = await core.BioReader.open(new URL('file:///data/image.ome.tif')).catch((e: unknown) => e);
    expect(core.isBfioError(fileUrl, 'unsupported'), String(fileUrl)).toBe(true);
    expect((fileUrl as Error).message).toMatch(/Node-only/);
  });
});

describe('url-path (the browser twin of node:path)', () => {
  const names = [
    'a.ome.tif',
    'dir/a.ome.tif',
    '/abs/dir/a.tif',
    'x/./y/../z.tif',
    'a//b/',
    '/',
    '.',
    '../up/f',
  ];
  it.each(names)('agrees with node:path.posix on %j', (p) => {
    expect(urlPath.basename(p)).toBe(posix.basename(p));
    expect(urlPath.dirname(p)).toBe(posix.dirname(p));
    expect(urlPath.join(p, 'sub', '../f.tif')).toBe(posix.join(p, 'sub', '../f.tif'));
    expect(urlPath.basename(p, '.tif')).toBe(posix.basename(p, '.tif'));
  });

  it('resolves and joins URLs as URL resolution does', () => {
    const url = 'https://host:8080/data/set/multifile-Z1.ome.tiff';
    expect(urlPath.dirname(url)).toBe('https://host:8080/data/set');
    expect(urlPath.basename(url)).toBe('multifile-Z1.ome.tiff');
    expect(urlPath.join(urlPath.dirname(url), 'multifile.companion.ome')).toBe(
      new URL('multifile.companion.ome', url).href,
    );
    expect(urlPath.join('https://host/store.zarr', '0', '../1/zarr.json')).toBe(
      new URL('1/zarr.json', 'https://host/store.zarr/').href,
    );
    expect(urlPath.resolve(url)).toBe(url);
    expect(urlPath.resolve('https://host/a/', 'b/c.tif')).toBe('https://host/a/b/c.tif');
    expect(urlPath.dirname('https://host/top.tif')).toBe('https://host');
    expect(urlPath.relative('/a/b', '/a/c/d.tif')).toBe(posix.relative('/a/b', '/a/c/d.tif'));
  });
});
