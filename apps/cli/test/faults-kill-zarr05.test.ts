/** SIGKILL at 20 random points of `bfio convert` to OME-Zarr 0.5 (Zarr v3), fresh and replacing (kill-suite.ts). */
import { describeKills } from './kill-suite.js';

describeKills('OME-Zarr 0.5', 'out.ome.zarr', ['--tile-size', '64', '--ngff-version', '0.5'], 0x2a05);
