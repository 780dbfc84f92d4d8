/**
 * FileNotFoundError, apart from the other error classes: its message names the working directory, which only
 * the platform module knows (and that module's browser twin builds UnsupportedErrors from error-classes.ts).
 */
import { cwd } from '#platform';
import { BfioError } from './bfio-error.js';

/** The input path does not exist. */
export class FileNotFoundError extends BfioError {
  constructor(file: string) {
    super(
      'not-found',
      /^[a-z][a-z0-9+.-]*:\/\//i.test(file)
        ? `${file} does not exist; check the URL (bucket, key, and for s3:// the endpoint in AWS_ENDPOINT_URL)`
        : `${file} does not exist; check the path (relative paths resolve from ${cwd()})`,
      { file },
    );
    this.name = 'FileNotFoundError';
  }
}
