/**
 * What the fault-injection tests (faults-*.test.ts) share: running `bfio convert` as a real process (one
 * process, `node --import tsx`, so a SIGKILL kills the converter itself and not a wrapper), the LD_PRELOAD
 * shim that fails chosen I/O (fault-shim.c, built with gcc at test time), the names writers' temporaries
 * may have, and pixel digests of an image through our reader and through the Python peers (tifffile,
 * zarr-python), batched into one Python process per call.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BioReader } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import { REPO_ROOT } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

/** A seeded PRNG (mulberry32): the same kill points on every run. */
export { rng as seeded } from '../../../packages/tiff/test/writer-fixtures.js';

export const BIN = join(REPO_ROOT, 'apps', 'cli', 'src', 'bin.ts');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `bfio ARGS` in its own node process. */
export function startCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export const runCli = (args: string[], env: Record<string, string> = {}) => startCli(args, env).done;

/** Builds fault-shim.c into a temporary folder; returns the shared object's path. */
export function buildShim(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'bfio-shim-')), 'fault-shim.so');
  const cc = spawnSync(
    'gcc',
    ['-shared', '-fPIC', '-O2', '-o', out, join(import.meta.dirname, 'fault-shim.c'), '-ldl'],
    {
      encoding: 'utf8',
    },
  );
  if (cc.status !== 0) throw new Error(`gcc could not build the fault shim:\n${cc.stderr}`);
  return out;
}

/** The environment that makes I/O on files whose path contains `path` fail (see fault-shim.c). */
export function faultEnv(
  shim: string,
  fault: { path: string; op: 'write' | 'fsync' | 'read'; errno?: 'EIO' | 'ENOSPC'; after?: number },
): Record<string, string> {
  return {
    LD_PRELOAD: shim,
    // libuv would otherwise submit some file I/O through io_uring, past the shim.
    UV_USE_IO_URING: '0',
    BFIO_FAULT_PATH: fault.path,
    BFIO_FAULT_OP: fault.op,
    BFIO_FAULT_ERRNO: fault.errno ?? 'EIO',
    BFIO_FAULT_AFTER: String(fault.after ?? 0),
  };
}

/**
 * The only other names a writer may leave beside its target `name` when killed: hidden temporaries that
 * say whose they are (core's temp-sibling.ts), which neither end in the target's extension nor are found
 * by a reader looking for the target.
 */
export function isWriterTemp(entry: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${escaped}\\.bfio-(tmp|old)-[A-Za-z0-9_.]+-\\d+-[0-9a-f]+$`).test(entry);
}

/** A file's bytes, or a folder's files (relative path → bytes), as one digest. */
export function treeDigest(path: string): string {
  const hash = createHash('sha256');
  if (!statSync(path).isDirectory()) return hash.update(readFileSync(path)).digest('hex');
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  for (const file of walk(path)) {
    hash.update(relative(path, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** sha256 of the whole image as our reader reads it (Y, X, Z, C, T), or the error it gave. */
export async function ourDigest(path: string): Promise<string> {
  try {
    await using reader = await BioReader.open(path);
    const image = await reader.read();
    return createHash('sha256')
      .update(new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength))
      .digest('hex');
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/**
 * For each path (OME-TIFF or OME-Zarr), the sha256 of its full-resolution pixels in T, C, Z, Y, X order as
 * tifffile / zarr-python read them, or 'error: …' when the peer cannot read it. One Python process.
 */
export function peerDigests(paths: string[]): Promise<string[]> {
  return runPythonJson<string[]>(PEER_DIGEST, paths);
}

/** Python: `digest(path)`, the sha256 of an image's pixels in T, C, Z, Y, X order or 'error: …'. */
export const PEER_DIGEST_FN = `
import hashlib, json, os, sys
import numpy as np

def canonical(a, axes):
    # To T, C, Z, Y, X: absent axes of size 1; tifffile's S (samples) counts as C.
    axes = axes.replace('S', 'C').replace('Q', 'Z')
    for ax in 'TCZYX':
        if ax not in axes:
            a = a[np.newaxis]
            axes = ax + axes
    return np.ascontiguousarray(np.transpose(a, [axes.index(ax) for ax in 'TCZYX']))

def digest(path):
    try:
        if os.path.isdir(path):
            import zarr
            g = zarr.open_group(path, mode='r')
            a = np.asarray(g['0'][...])
            axes = ''.join(ax['name'].upper() for ax in (g.attrs.get('ome') or dict(g.attrs))['multiscales'][0]['axes'])
        else:
            import tifffile
            with tifffile.TiffFile(path) as t:
                s = t.series[0]
                a = s.asarray()
                axes = s.axes
        return hashlib.sha256(canonical(a, axes).tobytes()).hexdigest()
    except Exception as e:
        return 'error: %s: %s' % (type(e).__name__, e)
`;

const PEER_DIGEST = `${PEER_DIGEST_FN}
print(json.dumps([digest(p) for p in json.load(sys.stdin)]))
`;
