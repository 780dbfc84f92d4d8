export { BfioError, type BfioErrorOptions, type BfioErrorTag, isBfioError } from './bfio-error.js';
export {
  ClosedError,
  CorruptFileError,
  FileExistsError,
  FileNotFoundError,
  InvalidDataError,
  MissingBackendError,
  OutOfRangeError,
  ReadOnlyError,
  UnknownFormatError,
  UnsupportedError,
} from './error-classes.js';
export { asIoError, IoError, systemErrorCode } from './io-error.js';
