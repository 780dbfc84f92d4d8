/**
 * The bfio page: @bfio/core with the TIFF and Zarr backends, bundled for the browser, reading images from
 * URLs and from File objects (a fetched file wrapped in a File, or one picked in an <input type=file>).
 */
import { BioReader, isBfioError } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import { describeError } from './describe-error.js';
import { planeHashes } from './plane-hashes.js';

/** One level as the peers describe it: (T, C, Z, Y, X) shape, dtype, per-plane SHA-256. */
export interface Planes {
  shape: number[];
  dtype: string;
  planes: string[];
}

export interface ImageHashes {
  backend: string;
  /** Per series, per level. */
  series: Planes[][];
}

/** Every level of every series of an open reader, read whole and hashed plane by plane. */
async function hashAll(reader: BioReader): Promise<ImageHashes> {
  const series: Planes[][] = [];
  for (let s = 0; s < reader.seriesCount; s++) {
    reader.series = s;
    const levels: Planes[] = [];
    for (let l = 0; l < reader.levelCount; l++) {
      reader.level = l;
      const [y, x, z, c, t] = reader.shape;
      const { data } = await reader.read({}, { squeeze: false, shared: false });
      levels.push({ shape: [t, c, z, y, x], dtype: reader.dtype, planes: await planeHashes(data, y * x) });
    }
    series.push(levels);
  }
  return { backend: reader.backendName, series };
}

async function withReader<T>(source: string | Blob, use: (r: BioReader) => Promise<T>): Promise<T> {
  const reader = await BioReader.open(source);
  try {
    return await use(reader);
  } finally {
    await reader.close();
  }
}

const bfio = {
  /** Opens `url` (a file over HTTP Range requests, or a Zarr folder) and hashes everything in it. */
  fromUrl: (url: string) => withReader(url, hashAll),

  /** Series 0, level 0 of `url` as plain numbers (T, C, Z, Y, X order), for small images. */
  async valuesFromUrl(url: string): Promise<number[]> {
    return withReader(url, async (reader) => {
      const { data } = await reader.read({}, { squeeze: false, shared: false });
      return Array.from(data as ArrayLike<number>);
    });
  },

  /** Fetches `url` whole, wraps the bytes in a File named `name` (as a dropped file) and reads that. */
  async fromFetchedFile(url: string, name: string): Promise<ImageHashes> {
    const bytes = await (await fetch(url)).arrayBuffer();
    return withReader(new File([bytes], name), hashAll);
  },

  /** Reads the file picked in the page's <input type=file> (the test sets it as a user would). */
  fromPickedFile(): Promise<ImageHashes> {
    const file = picker.files?.[0];
    if (!file) throw new Error('no file picked');
    return withReader(file, hashAll);
  },

  /** What opening `url` with the options throws: a typed error's class, code and message; null if it opened. */
  async openError(url: string, backend?: string) {
    try {
      const reader = await BioReader.open(url, backend ? { backend } : {});
      await reader.close();
      return null;
    } catch (err) {
      return { ...describeError(err), bfioError: isBfioError(err) };
    }
  },

  describeError,
};

const picker = document.createElement('input');
picker.type = 'file';
picker.id = 'picker';
document.body.append(picker);

declare global {
  interface Window {
    bfio: typeof bfio;
  }
}
window.bfio = bfio;
