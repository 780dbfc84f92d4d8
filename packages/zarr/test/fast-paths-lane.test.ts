/**
 * The same checks with local chunk reads on the chunk lane's threads (@bfio/codecs' ChunkLane, the default where its
 * addon is built): pixels equal to zarr-python's, and every local chunk read on the lane, none on a worker.
 */
import { fastPathTests } from './support/fast-paths.js';

fastPathTests('lane');
