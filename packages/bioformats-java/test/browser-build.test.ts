/**
 * @bfio/bioformats-java in a browser bundle: the `browser` export condition gives a module that throws a
 * typed Node-only error when imported, so an app bundling it by mistake builds (no `java`, no Node built-in)
 * and fails at load with a message naming what to use instead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from '../../../test-support/esbuild-browser.js';

const dir = await mkdtemp(join(tmpdir(), 'bfio-browser-bioformats-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('@bfio/bioformats-java in a browser bundle', () => {
  it('bundles to a module that throws a typed Node-only error', async () => {
    // An app's import of the package, resolved from the package's own folder (a self-reference).
    const bundle = await bundleForBrowser({
      contents: "import '@bfio/bioformats-java';\n",
      resolveDir: new URL('..', import.meta.url).pathname,
    });
    expect(bundle.errors).toEqual([]);
    expect(bundle.nodeBuiltins).toEqual([]);
    expect(bundle.inputs).toContain('packages/bioformats-java/src/browser.ts');
    expect(bundle.inputs.filter((p) => p.includes('node_modules/java'))).toEqual([]);
    const file = join(dir, 'app.mjs');
    await writeFile(file, bundle.code);
    const err = await import(pathToFileURL(file).href).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { tag?: string }).tag).toBe('unsupported');
    expect((err as Error).message).toMatch(/Node-only.*Java VM.*@bfio\/tiff/);
  });
});
