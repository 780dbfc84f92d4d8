/**
 * The `tiff` backend object: how @bfio/core finds, probes, opens and creates TIFF/OME-TIFF files.
 */
import { type CreateOptions, type DType, isBfioError, type OpenOptions } from '@bfio/core';
import {
  type Backend,
  type ProbeInput,
  type ReaderBackend,
  SPECIFICATION_VERSION,
  type WriterBackend,
} from '@bfio/core/backend';
import type { OME } from '@bfio/ome-xml';
import { open as openFile } from '#platform';
import { TiffFile, tiffMagic } from './reader/tiff-file.js';
import { TiffReader, type TiffReaderOptions } from './reader/tiff-reader.js';
import { checkTiffOptions, createTiffWriter } from './writer/index.js';

const COMPANION = '.companion.ome';

export const tiffBackend: Backend = {
  specificationVersion: SPECIFICATION_VERSION,
  name: 'tiff',
  packageName: '@bfio/tiff',
  extensions: [
    '.ome.tif',
    '.ome.tiff',
    '.ome.tf2',
    '.ome.tf8',
    '.ome.btf',
    '.tif',
    '.tiff',
    '.btf',
    '.tf2',
    '.tf8',
    COMPANION,
  ],
  writeExtensions: ['.ome.tif', '.ome.tiff', '.tif', '.tiff'],
  priority: 10,
  readsBlobs: true,

  sniff(input: ProbeInput): boolean {
    return !input.isDirectory && tiffMagic(input.firstBytes) === true;
  },

  async canOpen(input: ProbeInput): Promise<true | string> {
    if (input.isDirectory) return 'a directory, not a TIFF file';
    if (input.path.toLowerCase().endsWith(COMPANION)) {
      const head = new TextDecoder().decode(input.firstBytes.subarray(0, 4096));
      return /<(?:[\w.-]+:)?OME\b/.test(head) ? true : 'a .companion.ome file without an OME root element';
    }
    const magic = tiffMagic(input.firstBytes);
    if (magic !== true) return magic;
    // Cheap probe: the first IFD parses and describes an image.
    try {
      const file = await TiffFile.open(input.path, input.blob);
      try {
        const page = await file.page(0);
        if (page.width <= 0 || page.height <= 0) return 'the first TIFF page has no image';
        return true;
      } finally {
        await file.close();
      }
    } catch (err) {
      // A broken file is an answer, not a reason to try another backend: Bio-Formats would read such a
      // truncated TIFF as zeros without complaint. Nor is a disk failing under it.
      if (isBfioError(err, 'corrupt-file', 'io-error')) throw err;
      return `the TIFF header or first IFD is unreadable: ${err instanceof Error ? err.message : String(err)}`;
    }
  },

  open(path: string, options: OpenOptions): Promise<ReaderBackend> {
    // Backend options (cacheBytes, decodeOn) pass through; TiffReader validates them.
    return TiffReader.open(path, options as TiffReaderOptions);
  },

  create(path: string, metadata: OME, dtype: DType, options: CreateOptions): Promise<WriterBackend> {
    return createTiffWriter(path, metadata, dtype, options);
  },

  checkCreateOptions(path: string, options: CreateOptions): void {
    checkTiffOptions(path, options);
  },
};

/** Width and height of the first image, from the header only (bfio's `image_size`). */
export async function imageSize(path: string): Promise<{ width: number; height: number }> {
  const file = await TiffFile.open(path);
  try {
    const page = await file.page(0);
    return { width: page.width, height: page.height };
  } finally {
    await file.close();
  }
}

/** Reads the first bytes of a file, for tests and tools that want a ProbeInput without core's registry. */
export async function probe(path: string): Promise<ProbeInput> {
  const handle = await openFile(path, 'r');
  try {
    const buf = new Uint8Array(4096);
    const { bytesRead } = await handle.read(buf, 0, 4096, 0);
    return { path, firstBytes: buf.subarray(0, bytesRead), isDirectory: false };
  } finally {
    await handle.close();
  }
}
