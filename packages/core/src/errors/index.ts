export { BfioError, type BfioErrorOptions, type BfioErrorTag, isBfioError } from './bfio-error.js';
export {
  ClosedError,
  CorruptFileError,
  FileExistsError,
  InvalidDataError,
  MissingBackendError,
  OutOfRangeError,
  ReadOnlyError,
  UnknownFormatError,
  UnsupportedError,
} from './error-classes.js';
export { FileNotFoundError } from './file-not-found.js';
export { asIoError, IoError, systemErrorCode } from './io-error.js';
