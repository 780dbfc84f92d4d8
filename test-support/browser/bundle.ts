/**
 * Builds a test page: a TypeScript entry bundled for the browser by Vite (the `browser` export/import
 * conditions, Web Worker chunks, WASM as files), plus an index.html that loads it. What a browser bundle of
 * the entry pulls from Node's built-ins is reported: a package that imports `node:fs` in the browser build
 * still bundles (Vite stubs the module) but breaks at run time, so the tests check that list.
 */

import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { build, type Plugin } from 'vite';
import { REPO_ROOT } from '../env.js';

export interface PageBundle {
  /** The folder with index.html and the bundle (serve it as the page root). */
  dir: string;
  /** Node built-ins the bundle imports, with the (repo-relative) module that imports each. */
  nodeBuiltins: Array<{ id: string; importer: string }>;
  /** Wall time of the build. */
  ms: number;
}

const BUILTINS = new Set(builtinModules);

/**
 * Records (does not resolve) imports of Node built-ins, so the caller can say which module needs one. An
 * import the importer's package maps to `false` in its package.json `browser` field (geotiff's `fs`, `http`)
 * is the package's own Node-only path, left out of browser bundles on purpose: not recorded.
 */
function builtinRecorder(seen: PageBundle['nodeBuiltins']): Plugin {
  return {
    name: 'bfio-record-node-builtins',
    enforce: 'pre',
    resolveId(id, importer) {
      const bare = id.startsWith('node:') ? id.slice(5) : id;
      if (!BUILTINS.has(bare) && !BUILTINS.has(bare.split('/')[0]!)) return null;
      if (importer && browserFieldOf(importer)[id] === false) return null;
      seen.push({ id, importer: importer ? relative(REPO_ROOT, importer) : '?' });
      return null;
    },
  };
}

/** The `browser` field (object form) of the package.json nearest above `file`; {} when none. */
function browserFieldOf(file: string): Record<string, unknown> {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const browser = JSON.parse(readFileSync(manifest, 'utf8')).browser;
    return browser && typeof browser === 'object' ? browser : {};
  }
  return {};
}

/**
 * Bundles `entry` into `outDir` (created) as `main.js` + chunks, and writes `index.html` loading it as a
 * module. The page sets `window.__pageReady = true` once the entry's top level has run (or
 * `window.__pageError` to its error), which `openTestPage` waits for.
 */
export async function bundlePage(entry: string, outDir: string): Promise<PageBundle> {
  const started = Date.now();
  const nodeBuiltins: PageBundle['nodeBuiltins'] = [];
  await mkdir(outDir, { recursive: true });
  await build({
    configFile: false,
    root: REPO_ROOT,
    base: './',
    logLevel: 'error',
    publicDir: false,
    plugins: [builtinRecorder(nodeBuiltins)],
    resolve: { conditions: ['browser', 'module', 'import', 'default'] },
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      reportCompressedSize: false,
      modulePreload: false,
      rolldownOptions: {
        input: { main: entry },
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  });
  await writeFile(join(outDir, 'index.html'), PAGE_HTML);
  return { dir: outDir, nodeBuiltins, ms: Date.now() - started };
}

/** Loads main.js as a module and reports whether its top level ran. */
const PAGE_HTML = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>bfio browser test</title></head>
<body>
<script type="module">
  import('./main.js').then(
    () => { window.__pageReady = true; },
    (err) => { window.__pageError = String(err && err.stack || err); },
  );
</script>
</body>
</html>
`;
