/**
 * @bfio/ome-xml in a browser bundle: esbuild (`platform: 'browser'`, the `browser` condition) bundles
 * src/index.ts (and fast-xml-parser) with no Node built-in and no unresolved import.
 */
import { describe, expect, it } from 'vitest';
import { expectBrowserBundle } from '../../../test-support/esbuild-browser.js';

describe('@bfio/ome-xml browser bundle', () => {
  it('bundles with no Node built-in', async () => {
    const bundle = await expectBrowserBundle(new URL('../src/index.ts', import.meta.url).pathname, []);
    expect(bundle.inputs.some((p) => p.includes('fast-xml-parser'))).toBe(true);
  });
});
