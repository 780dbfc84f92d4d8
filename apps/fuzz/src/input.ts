/**
 * A fuzz input: a set of files (one TIFF, or a Zarr store's keys) and the path, relative to their
 * directory, that `BioReader.open` is given.
 */
export type Format = 'tiff' | 'ome-xml' | 'zarr2' | 'zarr3' | 'http';

export interface FileSet {
  /** Relative path → bytes; a Zarr store has one entry per key. */
  files: Map<string, Uint8Array>;
  /** What to open, relative to the files' directory (a file, or a store's root directory). */
  entry: string;
}

export interface Seed extends FileSet {
  name: string;
}

export function cloneFiles(set: FileSet): FileSet {
  return { files: new Map(set.files), entry: set.entry };
}
