/**
 * Stand-ins for Node built-ins in browser builds: every member of `nodeOnly(module)` is a function that
 * throws an UnsupportedError naming the operation, so code paths that need a file system or a process
 * (writers, temporary files, local paths) fail with a typed error instead of a bundler's missing import.
 */
import { UnsupportedError } from '../errors/error-classes.js';

/** The error a browser build raises for `operation`. */
export function nodeOnlyError(operation: string, file?: string): UnsupportedError {
  return new UnsupportedError(
    `${operation} is Node-only: a browser has no local file system or process; in a browser read http(s) URLs or File/Blob objects`,
    file,
  );
}

/** A module-shaped object whose every function throws `nodeOnlyError` (typed as the Node module `T`). */
export function nodeOnly<T extends object>(module: string): T {
  return new Proxy({} as T, {
    get: (_target, name) => {
      if (typeof name !== 'string') return undefined;
      return (...args: unknown[]) => {
        throw nodeOnlyError(`${module} ${name}()`, typeof args[0] === 'string' ? args[0] : undefined);
      };
    },
  });
}
