/**
 * The seed corpus: small real files from ../shared/data (by their MANIFEST.tsv paths) plus generated seeds
 * for the kinds the samples lack or have only in large files (make-seeds.py: tifffile and zarr-python in
 * the project venv, deterministic, cached under the OS temp dir by the script's hash).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataPath } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import type { Format, Seed } from './input.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Sample files used as TIFF seeds (codecs, bit depths, planar/tiled/stripped, pyramids, big-endian). */
const SAMPLE_TIFFS = [
  'exampletiffs/shapes_lzw_tiled.tif',
  'exampletiffs/shapes_lzw_planar.tif',
  'exampletiffs/shapes_lzw_12bps.tif',
  'exampletiffs/shapes_lzw_predictor3.tif',
  'exampletiffs/shapes_zstd.tif',
  'exampletiffs/shapes_jpg.tif',
  'exampletiffs/shapes_deflate.tif',
  'exampletiffs/shapes_multi_size.tif',
  'exampletiffs/shapes_uncompressed_half.tif',
  'image-js-tiff/bw1bit.tif',
  'bioformats2raw-testres/test.tiff',
  'bioformats2raw-testres/mini-flim-moduloC.ome.tiff',
  'hubmap-portal-containers/ome-tiff-tiler_v3_multi-channel.pyramid-2lvl-bf640.ome.tif',
];
/** OME-TIFF samples whose OME-XML the OME-XML mutators rewrite. */
const SAMPLE_OME_TIFFS = [
  'bioformats2raw-testres/mini-flim-moduloC.ome.tiff',
  'hubmap-portal-containers/ome-tiff-tiler_v3_multi-channel.pyramid-2lvl-bf640.ome.tif',
  'hubmap-portal-containers/test_image.ome.tiff',
];
const SAMPLE_ZARR2 = ['neuroglancer-testdata/ome_zarr/simple_0.4', 'ome-zarr-py/v2'];
const SAMPLE_ZARR3 = ['neuroglancer-testdata/ome_zarr/simple_0.5'];

function readTree(root: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(relative(root, full), new Uint8Array(readFileSync(full)));
    }
  };
  walk(root);
  return files;
}

function fileSeed(path: string): Seed {
  const name = basename(path);
  return { name, entry: name, files: new Map([[name, new Uint8Array(readFileSync(path))]]) };
}

function storeSeed(path: string): Seed {
  const name = basename(path).endsWith('.zarr') ? basename(path) : `${basename(path)}.zarr`;
  const files = new Map<string, Uint8Array>();
  for (const [key, bytes] of readTree(path)) files.set(`${name}/${key}`, bytes);
  return { name, entry: name, files };
}

/** Generates (once per script version) and returns the directory of generated seeds. */
export async function generatedSeeds(): Promise<string> {
  const script = readFileSync(join(HERE, 'make-seeds.py'), 'utf8');
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `bfio-fuzz-seeds-${hash}`);
  if (!existsSync(join(dir, 'done'))) {
    await runPythonJson(`${script}\nopen(${JSON.stringify(join(dir, 'done'))}, 'w').close()`, { dir });
  }
  return dir;
}

export type Corpus = Record<Exclude<Format, 'http'>, Seed[]>;

export async function loadCorpus(): Promise<Corpus> {
  const gen = await generatedSeeds();
  const list = (sub: string) =>
    readdirSync(join(gen, sub))
      .sort()
      .map((n) => join(gen, sub, n));
  const genTiffs = list('tiff');
  return {
    tiff: [...genTiffs, ...SAMPLE_TIFFS.map(dataPath)].map(fileSeed),
    'ome-xml': [...genTiffs.filter((p) => p.endsWith('.ome.tif')), ...SAMPLE_OME_TIFFS.map(dataPath)].map(
      fileSeed,
    ),
    zarr2: [...list('zarr2'), ...SAMPLE_ZARR2.map(dataPath)].map(storeSeed),
    zarr3: [...list('zarr3'), ...SAMPLE_ZARR3.map(dataPath)].map(storeSeed),
  };
}
