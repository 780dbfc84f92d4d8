/**
 * Imports an optional package (a backend or an object-store provider) by name. Core never depends on those
 * packages, so under pnpm's strict node_modules they may not resolve from core's own location: the
 * application's (the working directory's) is tried next. Returns false when the package is not installed.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export async function importPackage(packageName: string): Promise<boolean> {
  try {
    await import(packageName);
    return true;
  } catch {
    try {
      const req = createRequire(join(process.cwd(), 'noop.js'));
      await import(pathToFileURL(req.resolve(packageName)).href);
      return true;
    } catch {
      return false;
    }
  }
}
