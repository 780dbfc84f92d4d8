/**
 * Bundles a package entry the way a browser app's bundler does (esbuild, `platform: 'browser'`, the
 * `browser` import condition) and reports what Node-only code it would still pull in. esbuild comes with
 * tsup (a root devDependency), so it is loaded from there.
 */
import { builtinModules, createRequire } from 'node:module';
import { relative } from 'node:path';
import { REPO_ROOT } from './env.js';

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number } | null;
}

interface Esbuild {
  version: string;
  build(options: object): Promise<{
    outputFiles: Array<{ contents: Uint8Array; text: string }>;
    metafile: { inputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }> };
    errors: EsbuildMessage[];
  }>;
}

const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as Esbuild;

const BUILTINS = new Set(builtinModules);
const isBuiltin = (id: string) => {
  const bare = id.startsWith('node:') ? id.slice(5) : id;
  return id.startsWith('node:') || BUILTINS.has(bare) || BUILTINS.has(bare.split('/')[0]!);
};

export interface BrowserBundle {
  /** esbuild's errors (unresolved imports: a Node built-in, or a missing file), as `text @ file:line`. */
  errors: string[];
  /** Repo-relative paths of the modules bundled. */
  inputs: string[];
  /** Node built-ins still imported (kept external), with the module that imports each. */
  nodeBuiltins: Array<{ id: string; importer: string }>;
  /** The bundle (an ES module), empty when the build failed. */
  code: string;
  /** Bundle size in bytes (unminified). */
  bytes: number;
  esbuildVersion: string;
}

/**
 * Bundles `entry` (a path) for the browser. esbuild reports every import it cannot resolve, not just the
 * first: those of Node built-ins are listed in `nodeBuiltins` with their importer, the rest in `errors`. A
 * built-in a package maps away in its package.json `browser` field (geotiff's `fs`) resolves, as it would in
 * an app's bundler.
 */
export async function bundleForBrowser(
  entry: string | { contents: string; resolveDir: string },
): Promise<BrowserBundle> {
  const options = {
    // A path, or module text whose imports resolve from `resolveDir` (as an app's would).
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: entry.resolveDir, loader: 'ts' } }),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['browser'],
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
  };
  try {
    const result = await esbuild.build(options);
    return {
      errors: [],
      inputs: Object.keys(result.metafile.inputs).map((p) => relative(REPO_ROOT, p)),
      nodeBuiltins: [],
      code: result.outputFiles[0]?.text ?? '',
      bytes: result.outputFiles[0]?.contents.length ?? 0,
      esbuildVersion: esbuild.version,
    };
  } catch (err) {
    const messages = (err as { errors?: EsbuildMessage[] }).errors ?? [{ text: String(err), location: null }];
    const errors: string[] = [];
    const nodeBuiltins: BrowserBundle['nodeBuiltins'] = [];
    for (const m of messages) {
      const where = m.location ? relative(REPO_ROOT, m.location.file) : '?';
      const id = /^Could not resolve "([^"]+)"/.exec(m.text)?.[1];
      if (id && isBuiltin(id)) nodeBuiltins.push({ id, importer: where });
      else errors.push(`${m.text} @ ${where}:${m.location?.line ?? 0}`);
    }
    return { errors, inputs: [], nodeBuiltins, code: '', bytes: 0, esbuildVersion: esbuild.version };
  }
}

/**
 * Bundles `entry` for the browser and checks it: everything resolves, no Node built-in is left, and each of
 * `packages` is there through its browser platform twin (`packages/<name>/src/platform/browser.ts`), never
 * its Node one. Returns the bundle for further checks.
 */
export async function expectBrowserBundle(entry: string, packages: string[]): Promise<BrowserBundle> {
  const { expect } = await import('vitest');
  const bundle = await bundleForBrowser(entry);
  expect(bundle.errors).toEqual([]);
  expect(bundle.nodeBuiltins).toEqual([]);
  for (const pkg of packages) {
    expect(bundle.inputs).toContain(`packages/${pkg}/src/platform/browser.ts`);
    expect(bundle.inputs).not.toContain(`packages/${pkg}/src/platform/node.ts`);
  }
  return bundle;
}
