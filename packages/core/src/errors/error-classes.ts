import { BfioError, type BfioErrorOptions } from './bfio-error.js';

/** A region outside the image; the message gives the valid range. */
export class OutOfRangeError extends BfioError {
  readonly axis: string;
  constructor(axis: string, requested: string, valid: string, options?: BfioErrorOptions) {
    super(
      'out-of-range',
      `${axis} ${requested} is out of range${options?.file ? ` for ${options.file}` : ''}: valid ${axis} is ${valid}`,
      options,
    );
    this.name = 'OutOfRangeError';
    this.axis = axis;
  }
}

/** Use of a reader or writer after `close()`. */
export class ClosedError extends BfioError {
  constructor(what: 'BioReader' | 'BioWriter', file: string) {
    super('closed', `${what} for ${file} is closed; open a new ${what} to use this file again`, { file });
    this.name = 'ClosedError';
  }
}

/** A writer property set after the first write (the layout is fixed by then). */
export class ReadOnlyError extends BfioError {
  constructor(property: string, file: string) {
    super(
      'read-only',
      `${property} of ${file} is read-only after the first write; set it before writing any pixels`,
      { file },
    );
    this.name = 'ReadOnlyError';
  }
}

/** No registered backend can read or write the file. `tried` lists each backend and why it declined. */
export class UnknownFormatError extends BfioError {
  readonly tried: ReadonlyArray<{ backend: string; reason: string }>;
  constructor(file: string, tried: ReadonlyArray<{ backend: string; reason: string }>, hint = '') {
    const list = tried.length
      ? tried.map((t) => `${t.backend}: ${t.reason}`).join('; ')
      : 'no backend is registered';
    super('unknown-format', `No bfio backend can open ${file} (${list}).${hint ? ` ${hint}` : ''}`, { file });
    this.name = 'UnknownFormatError';
    this.tried = tried;
  }
}

/** The backend that would handle a file is not installed. */
export class MissingBackendError extends BfioError {
  readonly packageName: string;
  constructor(backend: string, packageName: string, file?: string) {
    super(
      'missing-backend',
      `The '${backend}' backend${file ? ` needed for ${file}` : ''} is not installed: run \`npm i ${packageName}\` and import it`,
      { file },
    );
    this.name = 'MissingBackendError';
    this.packageName = packageName;
  }
}

/** A file whose bytes contradict its format. `offset` is the byte where the problem was found, if known. */
export class CorruptFileError extends BfioError {
  readonly offset: number | undefined;
  constructor(file: string, problem: string, offset?: number, cause?: unknown) {
    super(
      'corrupt-file',
      `${file} is corrupt or truncated${offset === undefined ? '' : ` at byte ${offset}`}: ${problem}`,
      { file, cause },
    );
    this.name = 'CorruptFileError';
    this.offset = offset;
  }
}

/** Data of the wrong dtype or shape handed to a writer (or a bad argument of the same kind). */
export class InvalidDataError extends BfioError {
  constructor(message: string, file?: string) {
    super('invalid-data', message, { file });
    this.name = 'InvalidDataError';
  }
}

/** A valid request that this backend or build does not support. */
export class UnsupportedError extends BfioError {
  constructor(message: string, file?: string) {
    super('unsupported', message, { file });
    this.name = 'UnsupportedError';
  }
}

/** The writer's target exists and overwriting was not asked for. */
export class FileExistsError extends BfioError {
  constructor(file: string) {
    super(
      'file-exists',
      `${file} already exists; pass { overwrite: true } (CLI: --overwrite) to replace it`,
      {
        file,
      },
    );
    this.name = 'FileExistsError';
  }
}
