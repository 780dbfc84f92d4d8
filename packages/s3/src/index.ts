/**
 * @bfio/s3: `s3://bucket/key` wherever bfio takes a path (BioReader.open, BioWriter.create, the CLI),
 * through the official AWS SDK. Importing it registers the provider with @bfio/core (core also imports it
 * by itself the first time it meets an s3:// URL, when it is installed).
 *
 * @example
 * ```ts
 * import '@bfio/s3';
 * import '@bfio/zarr';
 * await using br = await BioReader.open('s3://bucket/image.ome.zarr');
 * ```
 */
import { registerObjectStore } from '@bfio/core/backend';
import { s3Provider } from './provider.js';

registerObjectStore(s3Provider);

export { endpointFromEnv, parseS3Url, s3Client } from './client.js';
export { s3Error } from './errors.js';
export { PART_SIZE, s3Provider } from './provider.js';
