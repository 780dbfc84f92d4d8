/**
 * `pnpm viewer [image]`: the viewer's Vite dev server, with the shared sample folder under /data/ (and
 * the given image's folder under /local/), and the address that opens a sample (or the image) printed.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { staticFiles } from './static-files.js';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = resolve(process.env.BFIO_DATA ?? join(APP, '..', '..', '..', 'shared', 'data'));

/** Samples worth a look (pyramids, several channels), by MANIFEST path; the first one present opens. */
const SAMPLES = [
  'tiledb-bioimaging/CMU-1-Small-Region.ome.zarr',
  'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
  'openslide-python/boxes.tiff',
  'exampletiffs/ometiff_testdata/singles/4D-series.ome.tif',
];

const given = process.argv.slice(2).find((a) => !a.startsWith('-'));
const local = given ? resolve(process.env.INIT_CWD ?? process.cwd(), given) : undefined;
if (local && !existsSync(local)) {
  console.error(`pnpm viewer: ${local} does not exist`);
  process.exit(2);
}

const server = await createServer({
  configFile: join(APP, 'vite.config.ts'),
  server: { port: Number(process.env.PORT) || 5173, host: process.env.HOST ?? 'localhost' },
  plugins: [
    {
      name: 'bfio-viewer-samples',
      configureServer(vite) {
        if (existsSync(DATA)) vite.middlewares.use('/data', staticFiles(DATA));
        if (local) vite.middlewares.use('/local', staticFiles(dirname(local)));
      },
    },
  ],
});
await server.listen();
const base = server.resolvedUrls?.local[0] ?? `http://localhost:${server.config.server.port}/`;
const open = (path: string) => `${base}?url=${encodeURIComponent(path)}`;
console.log('\nbfio viewer');
if (local) console.log(`  ${basename(local)}:  ${open(`/local/${basename(local)}`)}`);
const present = existsSync(DATA) ? SAMPLES.filter((s) => existsSync(join(DATA, s))) : [];
if (present.length) {
  console.log(`  samples from ${DATA}:`);
  for (const s of present) console.log(`    ${open(`/data/${s}`)}`);
} else if (!local) {
  console.log(`  no sample folder at ${DATA} (BFIO_DATA sets it): open a URL or drop a file at ${base}`);
}
console.log('  (Ctrl-C stops)\n');
