/**
 * The bfio error family. Every error bfio throws on purpose is a `BfioError` with a `tag`, so callers can
 * branch with one helper, `isBfioError(err, 'out-of-range')`, instead of `instanceof` chains that break
 * when two copies of @bfio/core are installed (the marker is a global `Symbol.for`).
 */
const MARKER = Symbol.for('@bfio/core.error');

export type BfioErrorTag =
  | 'out-of-range'
  | 'closed'
  | 'read-only'
  | 'unknown-format'
  | 'missing-backend'
  | 'corrupt-file'
  | 'invalid-data'
  | 'unsupported'
  | 'file-exists'
  | 'not-found'
  | 'java-unavailable'
  | 'network'
  | 'access-denied'
  | 'backend-error'
  /** The storage failed (full disk, I/O error, read-only mount): `IoError`. */
  | 'io-error';

export interface BfioErrorOptions {
  /** The file the error is about, when there is one. */
  file?: string;
  cause?: unknown;
}

export class BfioError extends Error {
  readonly [MARKER] = true;
  readonly tag: BfioErrorTag;
  readonly file: string | undefined;

  constructor(tag: BfioErrorTag, message: string, options: BfioErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BfioError';
    this.tag = tag;
    this.file = options.file;
  }

  static isInstance(err: unknown): err is BfioError {
    return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** True when `err` is a bfio error, and (when tags are given) has one of those tags. */
export function isBfioError(err: unknown, ...tags: BfioErrorTag[]): err is BfioError {
  if (!BfioError.isInstance(err)) return false;
  return tags.length === 0 || tags.includes(err.tag);
}
