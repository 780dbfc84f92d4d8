/**
 * Where the Bio-Formats jar comes from, in order: an explicit path (option or BFIO_BIOFORMATS_JAR), the
 * project cache (`.cache/bioformats/` in the current directory or any parent, as `scripts/fetch-bioformats`
 * leaves it), then the user cache (`~/.cache/bfio/bioformats/`, where `installBioformats` puts it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { javaUnavailable } from './errors.js';

export const JAR_NAME = 'bioformats_package.jar';

/** The user-level cache directory `installBioformats` fills by default. */
export function userCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'bfio', 'bioformats');
}

/** `.cache/bioformats` found by walking up from `start`. */
export function projectCacheDir(start = process.cwd()): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, '.cache', 'bioformats');
    if (existsSync(join(candidate, JAR_NAME))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface JarLocation {
  /** Jars to put on the classpath (the package jar, plus any extra the cache lists). */
  classpath: string[];
  /** Where it was found: 'option', 'env', 'project', 'user'. */
  source: 'option' | 'env' | 'project' | 'user';
}

function fromCache(dir: string): string[] {
  // scripts/fetch-bioformats writes classpath.txt beside the jar (':'-joined); honour it when it points at files.
  const listed = join(dir, 'classpath.txt');
  if (existsSync(listed)) {
    const parts = readFileSync(listed, 'utf8').trim().split(':').filter(Boolean);
    if (parts.length > 0 && parts.every((p) => existsSync(p))) return parts;
  }
  return [join(dir, JAR_NAME)];
}

/** Finds the jar or throws a 'java-unavailable' error that says how to get one. */
export function resolveJar(explicit?: string): JarLocation {
  if (explicit) {
    if (!existsSync(explicit)) {
      throw javaUnavailable(
        `The Bio-Formats jar given as an option does not exist: ${explicit}`,
        'Pass the path of bioformats_package.jar, or run `bfio bioformats install`',
      );
    }
    return { classpath: [resolve(explicit)], source: 'option' };
  }
  const env = process.env.BFIO_BIOFORMATS_JAR;
  if (env) {
    if (!existsSync(env)) {
      throw javaUnavailable(
        `BFIO_BIOFORMATS_JAR points at ${env}, which does not exist`,
        'Fix or unset BFIO_BIOFORMATS_JAR, or run `bfio bioformats install`',
      );
    }
    return { classpath: [resolve(env)], source: 'env' };
  }
  const project = projectCacheDir();
  if (project) return { classpath: fromCache(project), source: 'project' };
  const user = userCacheDir();
  if (existsSync(join(user, JAR_NAME))) return { classpath: fromCache(user), source: 'user' };
  throw javaUnavailable(
    `No Bio-Formats jar found (looked at BFIO_BIOFORMATS_JAR, .cache/bioformats/ above ${process.cwd()}, and ${user})`,
    'Run `bfio bioformats install` (or call installBioformats()), or set BFIO_BIOFORMATS_JAR to a bioformats_package.jar',
  );
}
