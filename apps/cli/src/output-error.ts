import { isBfioError } from '@bfio/core';

/** A failure writing the output (exit code 3), as opposed to reading the input (exit code 2). */
export class OutputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutputError';
  }

  static wrap(err: unknown, file: string): OutputError {
    if (err instanceof OutputError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new OutputError(isBfioError(err) || message.includes(file) ? message : `${file}: ${message}`, {
      cause: err,
    });
  }
}
