import { MissingBackendError } from '@bfio/core';

export const BIOFORMATS_HELP = `bfio bioformats install [--url URL] [--sha256 HEX] [--cache-dir DIR] [--force] [--json]
bfio bioformats status [--json]

Bio-Formats (Java) reads 150+ formats for bfio. 'install' downloads bioformats_package.jar of the pinned
version, checks its sha256 and caches it (atomically; concurrent installs are safe) in ~/.cache/bfio/bioformats
or --cache-dir. 'status' says which jar and Java bfio will use, their versions, and how pixels cross from Java
(jni: the native addon; shm or bytes: slower fallbacks when it is not built).

Examples:
  bfio bioformats install
  bfio bioformats install --url http://mirror.local/bioformats_package.jar --sha256 289af1d5...
  bfio bioformats status --json`;

export interface BioformatsFlags {
  url?: string;
  sha256?: string;
  'cache-dir'?: string;
  force?: boolean;
  json?: boolean;
}

type BioformatsModule = typeof import('@bfio/bioformats-java');

async function load(): Promise<BioformatsModule> {
  try {
    return await import('@bfio/bioformats-java');
  } catch {
    throw new MissingBackendError('bioformats', '@bfio/bioformats-java', undefined);
  }
}

export async function bioformats(
  action: string,
  flags: BioformatsFlags,
  print: (s: string) => void,
): Promise<void> {
  const bf = await load();
  if (action === 'install') {
    const result = await bf.installBioformats({
      url: flags.url,
      sha256: flags.sha256,
      cacheDir: flags['cache-dir'],
      force: flags.force ?? false,
    });
    print(
      flags.json
        ? JSON.stringify(result)
        : `${result.downloaded ? 'installed' : 'already installed'} ${result.jar} (sha256 ${result.sha256})`,
    );
    return;
  }
  // status: where the jar is, then start the JVM to prove it loads and report versions.
  const jar = bf.resolveJar();
  const info = await bf.start();
  const status = {
    jar: jar.classpath,
    source: jar.source,
    bioformatsVersion: info.bioformatsVersion,
    javaVersion: info.javaVersion,
    // How pixels cross from Java by default: 'jni' (the native addon), 'shm' or 'bytes' (slower fallbacks).
    transfer: process.env.BFIO_BIOFORMATS_TRANSFER ?? bf.autoTransfer(),
  };
  print(
    flags.json
      ? JSON.stringify(status)
      : `Bio-Formats ${status.bioformatsVersion} on Java ${status.javaVersion}\njar (${status.source}): ${status.jar.join(':')}\npixel transfer: ${status.transfer}`,
  );
}
