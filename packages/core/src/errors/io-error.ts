/**
 * Failures of the storage itself (a full disk, a device reporting an I/O error, a read-only mount), as
 * opposed to bad bytes in a file. Node reports them as bare system errors (`EIO: i/o error, write`) that
 * name neither the file nor what to do; readers and writers turn them into an `IoError` that does both.
 */
import { BfioError } from './bfio-error.js';

/** What a system error code means for the user, and what to do about it. */
const ADVICE: Record<string, string> = {
  ENOSPC: 'no space is left on the device; free space on it or write elsewhere',
  EDQUOT: 'the disk quota is exceeded; free space or write elsewhere',
  EFBIG: 'the file is larger than the file system allows; write it to another file system',
  EIO: 'the device reported an I/O error; the disk, file system or network share may be failing (check it, e.g. dmesg) — copy the file again or use another device',
  EROFS: 'the file system is mounted read-only; write elsewhere',
  EACCES: 'permission denied; check the permissions of the file and its folder',
  EPERM: 'the operation is not permitted; check the permissions of the file and its folder',
  ESTALE: 'it was replaced or changed while open (by another process, or on the file server); open it again',
  ENXIO: 'the device is gone (unplugged or unmounted); reconnect it',
};

/** The errno code of a Node system error (`ENOSPC`, `EIO`, …), also when it lost its `code` crossing a worker. */
export function systemErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' ? /^(E[A-Z0-9]+): /.exec(message)?.[1] : undefined;
}

/** Reading or writing `file` failed in the storage underneath (the error's `code` says how). */
export class IoError extends BfioError {
  readonly code: string;
  readonly operation: 'read' | 'write';
  constructor(file: string, operation: 'read' | 'write', code: string, cause?: unknown, offset?: number) {
    const advice = ADVICE[code] ?? 'the operating system refused it; check the device and file system';
    const where = offset === undefined ? '' : ` at byte ${offset}`;
    super('io-error', `Cannot ${operation} ${file}${where}: ${advice} (${code})`, { file, cause });
    this.name = 'IoError';
    this.code = code;
    this.operation = operation;
  }
}

/**
 * `err` as an `IoError` about `file` when it is a bare system error; any other error (a BfioError already,
 * a bug) is returned unchanged.
 */
export function asIoError(err: unknown, file: string, operation: 'read' | 'write', offset?: number): unknown {
  if (BfioError.isInstance(err)) return err;
  const code = systemErrorCode(err);
  return code ? new IoError(file, operation, code, err, offset) : err;
}
