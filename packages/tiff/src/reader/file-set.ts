/**
 * The TIFF files one image is stored in (one, or several for multi-file OME-TIFF sets), opened on first
 * use and kept open until close; resolves a PageRef to its parsed page.
 */
import { CorruptFileError, isBfioError } from '@bfio/core';
import { basename } from '#platform';
import type { PageRef } from './layout.js';
import { setFromBlob } from './location.js';
import { TiffFile, type TiffPage } from './tiff-file.js';

export class FileSet {
  readonly paths: string[] = [];
  private readonly opened = new Map<number, Promise<TiffFile>>();
  private closed = false;
  private first?: TiffFile;

  constructor(first?: { path: string; file: TiffFile }) {
    if (first) {
      this.first = first.file;
      this.paths.push(first.path);
      this.opened.set(0, Promise.resolve(first.file));
    }
  }

  /** Index of `path` in the set, adding it if new. */
  add(path: string): number {
    const i = this.paths.indexOf(path);
    if (i >= 0) return i;
    this.paths.push(path);
    return this.paths.length - 1;
  }

  file(index: number): Promise<TiffFile> {
    let p = this.opened.get(index);
    if (!p) {
      const path = this.paths[index];
      if (path === undefined) throw new RangeError(`no file ${index} in the set`);
      if (index > 0 && this.fromBlob) return this.blobMember(path);
      p = TiffFile.open(path).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException)?.code === 'ENOENT' && index > 0) {
          throw new CorruptFileError(
            path,
            `this member of a multi-file OME-TIFF set (referenced by ${this.paths[0] ?? 'the metadata'}) is missing`,
          );
        }
        // A FileName the metadata made up (a directory, a device, a name with a NUL byte): the file that
        // referenced it is what is wrong.
        const code = (err as NodeJS.ErrnoException)?.code;
        const madeUp = ['EISDIR', 'ENOTDIR', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE', 'ENAMETOOLONG'];
        if (index > 0 && typeof code === 'string' && (!isBfioError(err) || madeUp.includes(code))) {
          throw new CorruptFileError(
            this.paths[0] ?? path,
            `its OME-XML refers to ${JSON.stringify(path)}, which cannot be opened as a member of the set (${code}); fix the TiffData UUID FileName`,
          );
        }
        throw err;
      });
      this.opened.set(index, p);
      // A failed open must not stay cached as a rejected promise that close() awaits.
      p.catch(() => this.opened.delete(index));
    }
    return p;
  }

  /** Whether the set's first file is a File/Blob (no folder to find the others in). */
  private get fromBlob(): boolean {
    return this.first?.fromBlob === true;
  }

  /** Another file of a set opened from a File/Blob: the Blob itself when the metadata names it, else an error. */
  private blobMember(path: string): Promise<TiffFile> {
    const own = this.paths[0]!;
    if (basename(path) === basename(own)) return this.file(0);
    return Promise.reject(
      setFromBlob(own, `one file of a multi-file OME-TIFF (its OME-XML names ${basename(path)})`),
    );
  }

  async page(ref: PageRef): Promise<{ file: TiffFile; page: TiffPage }> {
    const file = await this.file(ref.file);
    if (ref.virtual) return { file, page: ref.virtual };
    const main = await file.page(ref.ifd);
    if (ref.subIfd < 0) return { file, page: main };
    const offset = main.subIfds[ref.subIfd];
    if (offset === undefined) {
      throw new CorruptFileError(
        file.path,
        `IFD ${ref.ifd} has no SubIFD ${ref.subIfd} (pyramid level ${ref.subIfd + 1})`,
        main.offset,
      );
    }
    return { file, page: await file.pageAt(offset) };
  }

  /** Forget file `index` without closing it (its owner keeps using the handle). */
  detach(index: number): void {
    this.opened.delete(index);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
  }
}
