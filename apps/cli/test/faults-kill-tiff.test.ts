/** SIGKILL at 20 random points of `bfio convert` to OME-TIFF, fresh and replacing (see kill-suite.ts). */
import { describeKills } from './kill-suite.js';

describeKills('OME-TIFF', 'out.ome.tif', ['--tile-size', '64'], 0x7f1);
