/** A page that reads OME-TIFF and OME-Zarr with bfio: what bundle-size.ts measures. */
import { BioReader } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';

(globalThis as { openImage?: unknown }).openImage = (source: string | Blob) => BioReader.open(source);
