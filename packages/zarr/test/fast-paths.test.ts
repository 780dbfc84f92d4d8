/** Native zstd on codec workers, direct chunk reads, the chunk cache and write-behind, vs zarr-python. */
import { sharedWorkerPool } from '@bfio/codecs';
import { fastPathTests } from './support/fast-paths.js';

// Another backend (TIFF) created the shared pool first, without our codec module, and one of its workers is
// running: the module must reach the workers anyway (they are replaced), or every chunk read would fail.
await sharedWorkerPool({ maxWorkers: 2 }).run('echo', new Uint8Array(8));

fastPathTests('workers');
