/**
 * @bfio/codecs in a browser bundle: esbuild (`platform: 'browser'`, the `browser` condition) bundles the
 * package entry and the Web Worker's entry with no Node built-in, through the browser platform twin and the
 * browser codec table (never the Node ones: no node:zlib, no addons); the twins export the same names.
 */
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, expectBrowserBundle } from '../../../test-support/esbuild-browser.js';
import * as browserTwin from '../src/platform/browser.js';
import * as nodeTwin from '../src/platform/node.js';

describe('@bfio/codecs browser bundle', () => {
  it('the entry bundles with no Node built-in, through the browser twin and table', async () => {
    const bundle = await expectBrowserBundle(new URL('../src/index.ts', import.meta.url).pathname, [
      'codecs',
    ]);
    expect(bundle.inputs).toContain('packages/codecs/src/table.browser.mjs');
    expect(bundle.inputs).not.toContain('packages/codecs/src/table.node.mjs');
  });

  it('the Web Worker entry bundles with no Node built-in and none of the Node codecs', async () => {
    const worker = await bundleForBrowser(new URL('../src/worker/web-worker.mjs', import.meta.url).pathname);
    expect(worker.errors).toEqual([]);
    expect(worker.nodeBuiltins).toEqual([]);
    for (const nodeOnly of [
      'table.node.mjs',
      'codecs/zlib-node.mjs',
      'codecs/native-addons.mjs',
      'worker/io-node.mjs',
    ])
      expect(worker.inputs).not.toContain(`packages/codecs/src/${nodeOnly}`);
  });

  it('the platform twins export the same names', () => {
    expect(Object.keys(browserTwin).sort()).toEqual(Object.keys(nodeTwin).sort());
  });
});
