/**
 * @bfio/tiff in a browser bundle: esbuild (`platform: 'browser'`, the `browser` condition) bundles
 * src/index.ts with no Node built-in left, through the browser twins of tiff's and core's platform modules
 * (never the Node ones); tiff's twins export the same names, and the browser one refuses local files with a
 * typed error saying they are Node-only.
 */
import { isBfioError } from '@bfio/core';
import { describe, expect, it } from 'vitest';
import { expectBrowserBundle } from '../../../test-support/esbuild-browser.js';
import * as browserTwin from '../src/platform/browser.js';
import * as nodeTwin from '../src/platform/node.js';

// Interchangeable for type checking too: a name or signature only one twin has fails `tsc`.
const _sameShape: typeof nodeTwin = browserTwin;

describe('@bfio/tiff browser bundle', () => {
  it('bundles with no Node built-in, through the browser platform modules', async () => {
    await expectBrowserBundle(new URL('../src/index.ts', import.meta.url).pathname, ['core', 'tiff']);
  });

  it('the platform twins export the same names; the browser one refuses local files', async () => {
    expect(Object.keys(browserTwin).sort()).toEqual(Object.keys(nodeTwin).sort());
    expect(_sameShape).toBe(browserTwin);
    const err = await Promise.resolve()
      .then(() => browserTwin.open('/data/image.ome.tif', 'r'))
      .catch((e: unknown) => e);
    expect(isBfioError(err, 'unsupported'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/open\(\) is Node-only/);
    expect(browserTwin.base64(new Uint8Array([0, 1, 2, 250, 251, 252, 253]))).toBe(
      nodeTwin.base64(new Uint8Array([0, 1, 2, 250, 251, 252, 253])),
    );
  });
});
