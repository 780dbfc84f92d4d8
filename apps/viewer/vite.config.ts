import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The page is cross-origin isolated (COOP/COEP) so the decode workers can share memory with it; images
 * on other origins must then be served with CORS (object stores and `bfio serve` are).
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: false,
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
});
