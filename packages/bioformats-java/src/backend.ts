/**
 * The Bio-Formats backend object: reads the ~200 formats Bio-Formats knows (priority 0, so the native TIFF and
 * Zarr backends win for their formats) and writes OME-TIFF through Bio-Formats' own OMETiffWriter.
 */
import { stat } from 'node:fs/promises';
import { BfioError } from '@bfio/core';
import { type Backend, type ProbeInput, SPECIFICATION_VERSION } from '@bfio/core/backend';
import { BIOFORMATS_EXTENSIONS } from './extensions.js';
import { bridge } from './jvm.js';
import { openBioformats } from './reader.js';
import { checkBioformatsWriterOptions, createBioformatsWriter } from './writer.js';

let typeChecker: unknown;
// One probe at a time: the shared ImageReader is not thread-safe.
let probeQueue: Promise<unknown> = Promise.resolve();

/** Cheap probe: Java and the jar must load, and Bio-Formats must claim the file by name and header. */
async function canOpen(input: ProbeInput): Promise<true | string> {
  if (input.remote) return 'Bio-Formats reads local files only (download the file first)';
  let started: Awaited<ReturnType<typeof bridge>>;
  try {
    started = await bridge();
  } catch (err) {
    return BfioError.isInstance(err) ? err.message : String(err);
  }
  try {
    // One ImageReader kept for probing: building its reader list is the costly part.
    typeChecker ??= started.java.newInstanceSync('loci.formats.ImageReader');
    const isDir = input.isDirectory || (await stat(input.path)).isDirectory();
    // `open = true` lets Bio-Formats read the header (isThisType(name, false) trusts suffixes only, and
    // several formats share suffixes).
    const checker = typeChecker as { isThisTypePromise(p: string, open: boolean): Promise<boolean> };
    const probe = probeQueue.then(() => checker.isThisTypePromise(input.path, !isDir));
    probeQueue = probe.catch(() => {});
    const ok = await probe;
    return ok ? true : 'Bio-Formats does not recognise this file';
  } catch (err) {
    return `Bio-Formats probe failed: ${String((err as Error).message).split('\n')[0]}`;
  }
}

export const bioformatsBackend: Backend = {
  specificationVersion: SPECIFICATION_VERSION,
  name: 'bioformats',
  packageName: '@bfio/bioformats-java',
  extensions: BIOFORMATS_EXTENSIONS,
  writeExtensions: ['.ome.tif', '.ome.tiff'],
  priority: 0,
  canOpen,
  open: (path, options) => openBioformats(path, options),
  create: (path, metadata, dtype, options) => createBioformatsWriter(path, metadata, dtype, options),
  checkCreateOptions: (path, options) => {
    checkBioformatsWriterOptions(path, options);
  },
};
