/**
 * The `zarr` backend object: what @bfio/core's registry sees. Zarr stores are directories, so there is no
 * magic-byte sniff; `canOpen` looks for Zarr metadata files.
 */
import type { OpenOptions } from '@bfio/core';
import { type Backend, isRemote, SPECIFICATION_VERSION } from '@bfio/core/backend';
import { MARKERS, markersIn } from './layout.js';
import { joinLocation as join } from './location.js';
import { ZarrReader } from './reader/index.js';
import { checkZarrOptions } from './store-layout.js';
import { type ZarrCreateOptions, ZarrWriter } from './writer/index.js';

export const zarrBackend: Backend = {
  specificationVersion: SPECIFICATION_VERSION,
  name: 'zarr',
  packageName: '@bfio/zarr',
  extensions: ['.ome.zarr', '.zarr'],
  writeExtensions: ['.ome.zarr', '.zarr'],
  async canOpen(input) {
    if (!input.isDirectory && !isRemote(input.path)) return 'not a directory (Zarr stores are directories)';
    if ((await markersIn(input.path)).length) return true;
    if ((await markersIn(join(input.path, 'data.zarr'))).length) return true;
    return `no Zarr metadata (${MARKERS.join(', ')}) ${isRemote(input.path) ? 'at the URL' : 'in the directory'}`;
  },
  open(path: string, options: OpenOptions) {
    return ZarrReader.open(path, options);
  },
  create(path, metadata, dtype, options) {
    return ZarrWriter.create(path, metadata, dtype, options as ZarrCreateOptions);
  },
  checkCreateOptions(path, options) {
    checkZarrOptions(path, options as ZarrCreateOptions);
  },
};
