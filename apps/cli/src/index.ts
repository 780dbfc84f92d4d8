export { HELP, type Io, main } from './cli.js';
export { encodeNpy, writeNpy } from './npy.js';
