/**
 * @bfio/zarr in a browser bundle: esbuild (`platform: 'browser'`, the `browser` condition) bundles
 * src/index.ts with no Node built-in left, through the browser twins of zarr's and core's platform modules
 * (never the Node ones); zarr's twins export the same names; the browser one keeps local stores in the page's
 * memory (see browser-memory.test.ts) and refuses what needs Node with a typed error.
 */
import { isBfioError } from '@bfio/core';
import { describe, expect, it } from 'vitest';
import { expectBrowserBundle } from '../../../test-support/esbuild-browser.js';
import * as browserTwin from '../src/platform/browser.js';
import * as nodeTwin from '../src/platform/node.js';

// Interchangeable for type checking too: a name or signature only one twin has fails `tsc`.
const _sameShape: typeof nodeTwin = browserTwin;

describe('@bfio/zarr browser bundle', () => {
  it('bundles with no Node built-in, through the browser platform modules', async () => {
    await expectBrowserBundle(new URL('../src/index.ts', import.meta.url).pathname, ['core', 'zarr']);
  });

  it('the platform twins export the same names and agree where both work', async () => {
    expect(Object.keys(browserTwin).sort()).toEqual(Object.keys(nodeTwin).sort());
    expect(_sameShape).toBe(browserTwin);
    expect(browserTwin.endianness()).toBe(nodeTwin.endianness());
    expect(browserTwin.randomHex(4)).toMatch(/^[0-9a-f]{8}$/);
    // Local paths are the page's in-memory files: absent is ENOENT, as on a disk.
    const err = await browserTwin.readFile('/data/image.ome.zarr/zarr.json').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ENOENT');
    // The tmp folder of object-store uploads is Node's.
    const tmp = await Promise.resolve()
      .then(() => browserTwin.tmpdir())
      .catch((e: unknown) => e);
    expect(isBfioError(tmp, 'unsupported'), String(tmp)).toBe(true);
  });
});
