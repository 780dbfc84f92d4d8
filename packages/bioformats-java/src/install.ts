/**
 * `installBioformats`: download bioformats_package.jar once, verify its checksum, and put it in the cache
 * atomically. The body streams into a temp file of this process in the cache directory (hashed on the way);
 * only a complete file with the right sha256 is renamed onto `bioformats_package.jar`. rename(2) is atomic
 * on one file system, so concurrent installs (processes or calls) each rename a whole, verified file and a
 * reader never sees a partial jar.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BfioError } from '@bfio/core';
import { JAR_NAME, userCacheDir } from './jar.js';

/** The Bio-Formats version this package is tested with (what scripts/fetch-bioformats pins). */
export const BIOFORMATS_VERSION = '7.3.1';
/** sha256 of that version's bioformats_package.jar as the project caches it. */
export const BIOFORMATS_SHA256 = '289af1d5c9b34766fccea1fc7deb072b2e8ce445b6fe9a5677bce2e95bdc8cc9';
/** OME's download site for that version (override `url` for mirrors). */
export const BIOFORMATS_URL = `https://downloads.openmicroscopy.org/bio-formats/${BIOFORMATS_VERSION}/artifacts/${JAR_NAME}`;

export interface InstallOptions {
  /** Where to download from (default OME's download site for the pinned version). */
  url?: string;
  /** Expected sha256 (hex) of the jar; the download is rejected when it differs. */
  sha256?: string;
  /** Cache directory (default `~/.cache/bfio/bioformats`). */
  cacheDir?: string;
  /** Version recorded in `VERSION` beside the jar. */
  version?: string;
  /** Download even when a jar with the right checksum is already cached. */
  force?: boolean;
  signal?: AbortSignal;
}

export interface InstallResult {
  jar: string;
  sha256: string;
  /** false when a verified jar was already cached. */
  downloaded: boolean;
}

async function sha256Of(file: string): Promise<string | undefined> {
  try {
    const hash = createHash('sha256');
    await pipeline(createReadStream(file), hash);
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}

function installError(problem: string, remedy: string, cause?: unknown): BfioError {
  return new BfioError('java-unavailable', `Installing Bio-Formats failed: ${problem}. ${remedy}`, { cause });
}

/** Downloads, verifies and caches the Bio-Formats jar. */
export async function installBioformats(options: InstallOptions = {}): Promise<InstallResult> {
  const url = options.url ?? BIOFORMATS_URL;
  const expected = (options.sha256 ?? BIOFORMATS_SHA256).toLowerCase();
  const cacheDir = options.cacheDir ?? userCacheDir();
  const jar = join(cacheDir, JAR_NAME);
  await mkdir(cacheDir, { recursive: true });

  if (!options.force && (await sha256Of(jar)) === expected)
    return { jar, sha256: expected, downloaded: false };

  const tmp = join(cacheDir, `.${JAR_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: options.signal });
    } catch (err) {
      throw installError(
        `could not connect to ${url} (${(err as Error).message})`,
        'Check the URL and your network, or pass `url` of a reachable mirror',
        err,
      );
    }
    if (!response.ok || !response.body) {
      throw installError(
        `${url} answered HTTP ${response.status}`,
        'Check the URL (the version may not exist there) or pass `url` of a mirror',
      );
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    const hash = createHash('sha256');
    let received = 0;
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
    });
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
    } catch (err) {
      throw installError(
        `the download from ${url} broke off after ${received} bytes (${(err as Error).message})`,
        'Retry; nothing was cached',
        err,
      );
    }
    if (Number.isFinite(declared) && received !== declared) {
      throw installError(
        `the download from ${url} ended after ${received} of ${declared} bytes`,
        'Retry; nothing was cached',
      );
    }
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw installError(
        `the file from ${url} has sha256 ${actual}, expected ${expected}`,
        'The download is corrupt or a different version; nothing was cached. Pass the right `sha256` for that URL, or another `url`',
      );
    }
    await rename(tmp, jar);
  } finally {
    await rm(tmp, { force: true });
  }
  // VERSION beside the jar, written the same atomic way.
  const versionTmp = join(cacheDir, `.VERSION.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(versionTmp, `${options.version ?? BIOFORMATS_VERSION}\n`);
  await rename(versionTmp, join(cacheDir, 'VERSION'));
  await stat(jar);
  return { jar, sha256: expected, downloaded: true };
}
