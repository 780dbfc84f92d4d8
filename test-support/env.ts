/**
 * Where tests find the shared sample data, the project venv (Python peers), the Bio-Formats jar and the
 * Debian validators, and how they behave when one is missing: outside CI a test may skip loudly;
 * with CI=true a missing component is a failure (CI must run everything).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** `../shared/data` beside the checkout; BFIO_DATA overrides. */
export const DATA_DIR = resolve(process.env.BFIO_DATA ?? join(REPO_ROOT, '..', 'shared', 'data'));
export const VENV_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
/** The MinIO server scripts/setup built and cached (BFIO_MINIO overrides); test-support/minio.ts runs it. */
export const MINIO_BIN = process.env.BFIO_MINIO ?? join(REPO_ROOT, '.cache', 'bin', 'minio');
/** The Chromium the browser tests drive (scripts/setup installs Debian's `chromium`); BFIO_CHROMIUM overrides. */
export const CHROMIUM_BIN = process.env.BFIO_CHROMIUM ?? '/usr/bin/chromium';

/** Absolute path of a sample by its MANIFEST.tsv path. */
export function dataPath(relative: string): string {
  return join(DATA_DIR, relative);
}

export interface ManifestEntry {
  path: string;
  bytes: number;
  what: string;
}

/** The rows of `../shared/data/MANIFEST.tsv`. */
export function manifest(): ManifestEntry[] {
  const lines = readFileSync(join(DATA_DIR, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1);
  return lines
    .filter((l) => l.trim())
    .map((l) => {
      const cols = l.split('\t');
      return { path: cols[0]!, bytes: Number(cols[4]), what: cols[7] ?? '' };
    });
}

export type Component =
  | 'data'
  | 'python'
  | 'xmllint'
  | 'tiffinfo'
  | 'java'
  | 'bioformats-jar'
  | 'bioformats-jni'
  | 'native-jpeg'
  /** The cached MinIO binary and the AWS SDK (packages/s3's dependency) to talk to it. */
  | 'minio'
  /** Slurm and munge (Debian's slurm-wlm, munge) and root, for test-support/slurm.ts's one-node cluster. */
  | 'slurm'
  /** snakemake in the project venv. */
  | 'snakemake'
  /** Debian's Chromium (BFIO_CHROMIUM overrides the path) and playwright-core to drive it headless. */
  | 'chromium';

/** Where a tool is: on PATH, or in an sbin dir a non-root PATH may lack; undefined when absent. */
export function which(cmd: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin']) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/** Why `component` is missing (what to run to get it), or undefined when it is present. */
export function missing(component: Component): string | undefined {
  switch (component) {
    case 'data':
      return existsSync(join(DATA_DIR, 'MANIFEST.tsv')) ? undefined : `no sample data at ${DATA_DIR}`;
    case 'python':
      return existsSync(VENV_PYTHON) ? undefined : `no project venv at ${VENV_PYTHON} (run scripts/setup)`;
    case 'xmllint':
    case 'tiffinfo':
    case 'java': {
      const r = spawnSync('which', [component]);
      return r.status === 0 ? undefined : `'${component}' is not on PATH (run scripts/setup)`;
    }
    case 'bioformats-jar': {
      const jar = bioformatsJar();
      return jar ? undefined : 'no Bio-Formats jar in .cache/bioformats (run scripts/setup)';
    }
    case 'native-jpeg':
      return existsSync(join(REPO_ROOT, 'packages/codecs/native-jpeg/build/Release/bfio_jpeg.node'))
        ? undefined
        : "@bfio/codecs' native JPEG codec is not built (needs libjpeg62-turbo-dev: run scripts/setup)";
    case 'bioformats-jni':
      return existsSync(join(REPO_ROOT, 'packages/bioformats-java/native/build/Release/bfio_jni.node'))
        ? undefined
        : "@bfio/bioformats-java's JNI addon is not built (needs a JDK: run scripts/setup, or JAVA_HOME=... pnpm install)";
    case 'minio':
      if (!existsSync(MINIO_BIN)) return `no MinIO binary at ${MINIO_BIN} (run scripts/setup)`;
      return existsSync(join(REPO_ROOT, 'packages/s3/node_modules/@aws-sdk/client-s3/package.json'))
        ? undefined
        : '@aws-sdk/client-s3 is not installed in packages/s3 (run scripts/setup)';
    case 'slurm': {
      const absent = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'sinfo'].filter(
        (c) => !which(c),
      );
      if (absent.length) return `${absent.join(', ')} not installed (run scripts/setup: slurm-wlm, munge)`;
      return process.getuid?.() === 0 ? undefined : 'the one-node Slurm cluster of the tests runs as root';
    }
    case 'snakemake':
      return existsSync(join(REPO_ROOT, '.venv', 'bin', 'snakemake'))
        ? undefined
        : `no snakemake in the project venv (run scripts/setup)`;
    case 'chromium':
      if (!existsSync(CHROMIUM_BIN))
        return `no Chromium at ${CHROMIUM_BIN} (run scripts/setup: apt-get install chromium)`;
      return existsSync(join(REPO_ROOT, 'node_modules', 'playwright-core', 'package.json'))
        ? undefined
        : 'playwright-core is not installed (run scripts/setup)';
  }
}

/** The Bio-Formats jar the set-up cached (BFIO_BIOFORMATS_JAR overrides). */
export function bioformatsJar(): string | undefined {
  const env = process.env.BFIO_BIOFORMATS_JAR;
  if (env && existsSync(env)) return env;
  const cached = join(REPO_ROOT, '.cache', 'bioformats', 'bioformats_package.jar');
  return existsSync(cached) ? cached : undefined;
}

/**
 * Returns true when every component is present. When one is missing: in CI this throws (a skip would hide
 * untested code); elsewhere it prints a loud reason and returns false so the caller can `describe.skipIf`.
 */
export function available(...components: Component[]): boolean {
  for (const c of components) {
    const why = missing(c);
    if (why) {
      if (IN_CI) throw new Error(`CI=true but a test component is missing: ${why}`);
      console.warn(`\n!!! SKIPPING tests that need ${c}: ${why}\n`);
      return false;
    }
  }
  return true;
}
