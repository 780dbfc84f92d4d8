/**
 * A page that reads with BioReader's defaults: a large read lands in a SharedArrayBuffer (the page is cross-
 * origin isolated), so the codec workers fetch, decode and place blocks and chunks themselves. It also says
 * which requests for the image the page's own thread sent (its Resource Timing: a worker's requests are in
 * the worker's timeline, not the page's).
 */
import { BioReader } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import { planeHashes } from './plane-hashes.js';

export interface SharedRead {
  /** (T, C, Z, Y, X) */
  shape: number[];
  planes: string[];
  /** The result is a view of a SharedArrayBuffer. */
  shared: boolean;
  /** Requests for `url` (or below it) the page's thread sent during open and read. */
  pageRequests: number;
}

const sharedRead = {
  async read(url: string): Promise<SharedRead> {
    performance.clearResourceTimings();
    performance.setResourceTimingBufferSize(100_000);
    const reader = await BioReader.open(url);
    try {
      const [y, x, z, c, t] = reader.shape;
      const { data } = await reader.read({}, { squeeze: false });
      const pageRequests = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.startsWith(url)).length;
      return {
        shape: [t, c, z, y, x],
        planes: await planeHashes(data, y * x),
        shared: typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer,
        pageRequests,
      };
    } finally {
      await reader.close();
    }
  },
};

declare global {
  interface Window {
    sharedRead: typeof sharedRead;
  }
}
window.sharedRead = sharedRead;
