export { HELP, type Io, main } from './cli.js';
export { encodeNpy, writeNpy } from './npy.js';
export {
  type FilePattern,
  isFilePattern,
  matchFiles,
  type PatternMatch,
  type PatternVariable,
  parseFilePattern,
} from './sequence/pattern.js';
export {
  openSequence,
  SEQUENCE_BACKEND,
  type SequenceOptions,
  sequenceBackend,
} from './sequence/sequence-backend.js';
