/** The OME-Zarr reader of @bfio/zarr: `ZarrReader.open` (open.ts and its steps) and its region reads. */

export type { ZarrOpenOptions } from './options.js';
export { ZarrReader } from './zarr-reader.js';
