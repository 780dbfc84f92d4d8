/** Native zstd on codec workers, direct chunk reads, the chunk cache and write-behind, vs zarr-python. */
import { fastPathTests } from './support/fast-paths.js';

fastPathTests('workers');
