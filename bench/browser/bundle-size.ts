/**
 * What a page ships to read OME-TIFF and OME-Zarr with bfio: a Vite production build (minified, the
 * `browser` conditions) of bundle-entry.ts, which imports BioReader, @bfio/tiff and @bfio/zarr. Every emitted
 * file with its size and gzip size (level 9, as a server precompresses static files), sorted into the page's
 * main chunk, the codec worker's chunk(s), lazily loaded chunks and WASM.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { ROOT } from '../lib/run.js';

export interface BundleFile {
  file: string;
  kind: 'main' | 'worker' | 'lazy' | 'wasm';
  bytes: number;
  gzip: number;
  /** A chunk that carries WebAssembly inline (base64), as numcodecs' codecs do. */
  inlineWasm: boolean;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Builds the entry into `outDir` and measures every emitted file. */
export async function measureBundle(outDir: string): Promise<BundleFile[]> {
  await build({
    configFile: false,
    root: ROOT,
    base: './',
    logLevel: 'error',
    publicDir: false,
    mode: 'production',
    resolve: { conditions: ['browser', 'module', 'import', 'default'] },
    worker: {
      format: 'es',
      rolldownOptions: {
        output: {
          entryFileNames: 'worker-[name]-[hash].js',
          chunkFileNames: 'worker-chunk-[name]-[hash].js',
        },
      },
    },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      reportCompressedSize: false,
      rolldownOptions: {
        input: { main: join(ROOT, 'bench', 'browser', 'bundle-entry.ts') },
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  });
  return filesUnder(outDir)
    .filter((f) => /\.(js|mjs|wasm)$/.test(f))
    .map((path) => {
      const bytes = readFileSync(path);
      const file = relative(outDir, path);
      const name = file.split('/').pop()!;
      const kind: BundleFile['kind'] = file.endsWith('.wasm')
        ? 'wasm'
        : name === 'main.js'
          ? 'main'
          : name.startsWith('worker-')
            ? 'worker'
            : 'lazy';
      return {
        file,
        kind,
        bytes: bytes.length,
        gzip: gzipSync(bytes, { level: 9 }).length,
        inlineWasm: bytes.includes('AGFzbQ'), // "\0asm" in base64: a WebAssembly module inline
      };
    })
    .sort((a, b) => a.kind.localeCompare(b.kind) || b.gzip - a.gzip);
}
