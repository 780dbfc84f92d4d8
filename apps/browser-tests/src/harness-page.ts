/**
 * The harness's own page: geotiff.js and zarrita.js, which run in browsers, read samples there. It proves
 * the set-up (Chromium, loopback servers with Range and CORS, the Vite bundle, hashing in the page) on its
 * own, whatever state bfio's browser build is in.
 */
import { fromUrl } from 'geotiff';
import * as zarr from 'zarrita';
import { describeError } from './describe-error.js';
import { planeHashes } from './plane-hashes.js';

export interface Planes {
  shape: number[];
  dtype: string;
  planes: string[];
}

const harness = {
  /** The first `pages` IFDs of a TIFF by geotiff.js (over HTTP Range requests), one plane per sample. */
  async geotiffPages(url: string, pages: number): Promise<Planes[]> {
    const tiff = await fromUrl(url, { allowFullFile: false });
    const out: Planes[] = [];
    for (let i = 0; i < pages; i++) {
      const image = await tiff.getImage(i);
      const bands = (await image.readRasters()) as unknown as ArrayLike<number>[] & ArrayBufferView[];
      const planes: string[] = [];
      for (const band of bands)
        planes.push(...(await planeHashes(band, image.getWidth() * image.getHeight())));
      out.push({
        shape: [1, bands.length, 1, image.getHeight(), image.getWidth()],
        dtype: bands[0]!.constructor.name,
        planes,
      });
    }
    return out;
  },

  /** A whole Zarr array (v2 or v3) by zarrita.js over fetch. */
  async zarritaArray(url: string): Promise<Planes> {
    const array = await zarr.open(new zarr.FetchStore(url), { kind: 'array' });
    const chunk = await zarr.get(array);
    const [y, x] = chunk.shape.slice(-2) as [number, number];
    const data = chunk.data as unknown as ArrayBufferView;
    return { shape: chunk.shape, dtype: array.dtype, planes: await planeHashes(data, y * x) };
  },

  describeError,
};

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
