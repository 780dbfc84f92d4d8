/**
 * One open TIFF file: raw block reads (bounds-checked against the file size, so a truncated file gives a
 * CorruptFileError instead of zero bytes), and a small block-cached byte source that geotiff's IFD parser
 * reads headers through (a 1,000-page file would otherwise cost 1,000+ reads). A local file is read with a
 * file handle (whose descriptor codec workers may read from themselves, see `withFd`); a file at an http(s)
 * URL with range requests (HttpSource); a File/Blob (a dropped file in a browser) with `Blob.slice`.
 */
import { BfioError, CorruptFileError, isBfioError } from '@bfio/core';
import { asIoError, fetchBytes, fetchWithRetry, isRemote, streamRange } from '@bfio/core/backend';
import { allocBytes, type FileHandle, open } from '#platform';
import { RangePlans } from './range-plan.js';

const BLOCK = 64 * 1024;
const MAX_CACHED_BLOCKS = 64;

interface Slice {
  offset: number;
  length: number;
}

/** A local file or a URL, whichever `path` is; or `blob`, a File/Blob named `path`. */
export function openSource(path: string, blob?: Blob): Promise<ByteSource> {
  if (blob) return Promise.resolve(new BlobSource(path, blob));
  return isRemote(path) ? HttpSource.open(path) : FileSource.open(path);
}

/** The first request of a remote file asks for this many bytes (the header cache's first block). */
const PREFIX_BYTES = BLOCK;

/** Servers that ignore Range requests (e.g. `python -m http.server`) get their file read whole, up to this. */
const WHOLE_FILE_MAX = 512 * 1024 * 1024;

/** What the reader needs from a file: its size, byte ranges, and geotiff's header source. */
export abstract class ByteSource {
  private readonly blocks = new Map<number, Promise<Uint8Array>>();
  /** A local file, whose descriptor workers may read from (`withFd`). */
  abstract readonly local: boolean;

  constructor(
    readonly path: string,
    readonly size: number,
  ) {}

  /** `length` bytes at `offset` (the range is already checked) into `out`. */
  protected abstract readInto(out: Uint8Array, offset: number, what: string): Promise<void>;

  /**
   * Run `use` with a descriptor a worker thread reads `length` bytes at `offset` from itself. Only local files
   * have one: others throw, and the caller reads the bytes here instead.
   */
  abstract withFd<T>(
    offset: number,
    length: number,
    what: string,
    use: (read: { fd: number; position: number; length: number }) => Promise<T>,
  ): Promise<T>;

  abstract close(): Promise<void>;

  protected checkRange(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new CorruptFileError(
        this.path,
        `${what} has an invalid byte range (${offset}, ${length})`,
        offset,
      );
    }
    if (offset + length > this.size) {
      throw new CorruptFileError(
        this.path,
        `${what} (${length} bytes at ${offset}) ends past the end of the file (${this.size} bytes)`,
        offset,
      );
    }
  }

  /** Exactly `length` bytes at `offset`; a range past the end of the file is corruption. */
  async read(offset: number, length: number, what = 'data'): Promise<Uint8Array> {
    this.checkRange(offset, length, what);
    // Not zero-filled (every byte is read or we throw), and its own ArrayBuffer, so it can be moved to a
    // worker.
    const out = allocBytes(length);
    await this.readInto(out, offset, what);
    return out;
  }

  private block(index: number): Promise<Uint8Array> {
    let p = this.blocks.get(index);
    if (p) {
      // Refresh LRU position.
      this.blocks.delete(index);
      this.blocks.set(index, p);
      return p;
    }
    const start = index * BLOCK;
    const length = Math.max(0, Math.min(BLOCK, this.size - start));
    p = this.read(start, length, 'header block');
    this.blocks.set(index, p);
    if (this.blocks.size > MAX_CACHED_BLOCKS) {
      const oldest = this.blocks.keys().next().value as number;
      this.blocks.delete(oldest);
    }
    return p;
  }

  /**
   * geotiff's source interface. Bytes past the end of the file read as zeros here (the parser asks for a
   * fixed 1 KiB window around each IFD); callers validate real ranges against `size` themselves.
   */
  async fetch(slices: Slice[]): Promise<ArrayBuffer[]> {
    return Promise.all(
      slices.map(async ({ offset, length }) => {
        const out = new Uint8Array(length);
        const end = Math.min(offset + length, this.size);
        for (let pos = offset; pos < end; ) {
          const index = Math.floor(pos / BLOCK);
          const block = await this.block(index);
          const inBlock = pos - index * BLOCK;
          const n = Math.min(block.length - inBlock, end - pos);
          if (n <= 0) break;
          out.set(block.subarray(inBlock, inBlock + n), pos - offset);
          pos += n;
        }
        return out.buffer;
      }),
    );
  }

  protected clearBlocks(): void {
    this.blocks.clear();
  }
}

export class FileSource extends ByteSource {
  readonly local = true;
  /** Reads other threads are doing on this file's descriptor (see `withFd`): close() waits for them. */
  private readonly borrowed = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    path: string,
    private readonly handle: FileHandle,
    size: number,
  ) {
    super(path, size);
  }

  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      return new FileSource(path, handle, size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * Run `use` with this file's descriptor after checking the range as `read` does, for a worker thread
   * that reads `length` bytes at `offset` itself; the descriptor stays open until `use` settles.
   */
  async withFd<T>(
    offset: number,
    length: number,
    what: string,
    use: (read: { fd: number; position: number; length: number }) => Promise<T>,
  ): Promise<T> {
    this.checkRange(offset, length, what);
    if (this.closed) throw new Error(`${this.path} is closed`);
    const p = use({ fd: this.handle.fd, position: offset, length }).catch((err: unknown) => {
      throw asIoError(err, this.path, 'read', offset);
    });
    const settled = p.then(
      () => {},
      () => {},
    );
    this.borrowed.add(settled);
    try {
      return await p;
    } finally {
      this.borrowed.delete(settled);
    }
  }

  protected async readInto(out: Uint8Array, offset: number, what: string): Promise<void> {
    let done = 0;
    while (done < out.length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(out, done, out.length - done, offset + done));
      } catch (err) {
        // A failing disk or share: an input error naming the file, not a bare 'EIO: i/o error, read'.
        throw asIoError(err, this.path, 'read', offset + done);
      }
      if (bytesRead === 0) {
        throw new CorruptFileError(this.path, `${what} could not be read (file shrank?)`, offset + done);
      }
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearBlocks();
    // A descriptor closed under a worker's read could be reused by another open meanwhile.
    while (this.borrowed.size) await Promise.all([...this.borrowed]);
    await this.handle.close();
  }
}

/** A file at a URL or in a Blob: no descriptor for workers, nothing to close but the cache. */
abstract class RemoteSource extends ByteSource {
  readonly local = false;

  withFd<T>(): Promise<T> {
    return Promise.reject(new Error('no file descriptor for a remote file'));
  }

  async close(): Promise<void> {
    this.clearBlocks();
  }
}

/** A remote file read whole (its server ignores Range): byte ranges are slices of it. */
class MemorySource extends RemoteSource {
  constructor(
    path: string,
    private readonly bytes: Uint8Array,
  ) {
    super(path, bytes.length);
  }

  protected async readInto(out: Uint8Array, offset: number): Promise<void> {
    out.set(this.bytes.subarray(offset, offset + out.length));
  }
}

/** A File or Blob (a file dropped on a page, or read with `fs.openAsBlob`): byte ranges by `Blob.slice`. */
export class BlobSource extends RemoteSource {
  constructor(
    path: string,
    private readonly blob: Blob,
  ) {
    super(path, blob.size);
  }

  /** The slice's own buffer (no copy into a second one). */
  override async read(offset: number, length: number, what = 'data'): Promise<Uint8Array> {
    this.checkRange(offset, length, what);
    try {
      return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
    } catch (err) {
      // A File whose disk file changed or went away since it was picked (NotReadableError).
      throw new BfioError(
        'io-error',
        `${this.path}: ${what} could not be read (${(err as Error).message}); pick the file again`,
        { file: this.path, cause: err },
      );
    }
  }

  protected async readInto(out: Uint8Array, offset: number, what: string): Promise<void> {
    out.set(await this.read(offset, out.length, what));
  }
}

/**
 * The size of a file whose server answers range requests but hides Content-Range: a page reading another
 * origin sees only the headers the server lists in Access-Control-Expose-Headers. Content-Length needs no
 * listing, so a HEAD request tells it.
 */
async function hiddenSize(url: string): Promise<number> {
  const head = await fetchWithRetry(url, { method: 'HEAD' });
  await head.body?.cancel();
  const size = Number(head.headers.get('content-length') ?? Number.NaN);
  if (head.ok && Number.isSafeInteger(size) && size > 0) return size;
  throw new BfioError(
    'unsupported',
    `${url}: the server answers range requests but does not show the file's size (no Content-Range visible, HTTP ${head.status} without Content-Length for HEAD); a server read from another origin must list Content-Range in Access-Control-Expose-Headers`,
    { file: url },
  );
}

/** What a codec worker needs to fetch a range itself (see `HttpSource.workerFetch`). */
export interface WorkerFetch {
  url: string;
  offset: number;
  length: number;
  timeoutMs: number;
}

/**
 * How long a worker's request may take in all. A failed or timed-out worker fetch is not an error: the
 * block is then read here (fetchWithRetry: retries, silence timeout, typed errors), so this only bounds how
 * long a stalled server can hold a worker.
 */
const WORKER_FETCH_TIMEOUT_MS = 30_000;

/** A TIFF at an http(s) URL: its size from the server, byte ranges by range requests. */
export class HttpSource extends RemoteSource {
  /** Neighbouring blocks of a read fetched with one request (range-plan.ts). */
  readonly plans = new RangePlans(
    // Anything but exactly the bytes asked for rejects: the blocks are then fetched one by one, whose errors
    // say what went wrong.
    (offset, length, sink) => streamRange(this.path, offset, length, sink),
    (err) => isBfioError(err, 'network'),
  );

  /**
   * `prefix`: the file's first bytes, which came with its size in the first request: the header, the first
   * IFD and often the block offsets are in them, so opening costs one round trip, not one per structure
   * (five, twice over with the format probe: ~200 ms at 20 ms per request).
   */
  private constructor(
    url: string,
    size: number,
    private readonly prefix?: Uint8Array,
  ) {
    super(url, size);
  }

  static async open(url: string): Promise<ByteSource> {
    const response = await fetchWithRetry(url, { headers: { Range: `bytes=0-${PREFIX_BYTES - 1}` } });
    if (response.status === 404 || response.status === 403) {
      await response.body?.cancel();
      throw new BfioError('not-found', `${url}: HTTP ${response.status}`, { file: url });
    }
    const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
    if (response.status === 206 && total) {
      const size = Number(total[1]);
      const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
      const prefix = new Uint8Array(await response.arrayBuffer());
      // Only bytes that are surely the file's first ones serve reads; else every read is a request.
      const whole = start === '0' && prefix.length === Math.min(PREFIX_BYTES, size);
      return new HttpSource(url, size, whole ? prefix : undefined);
    }
    if (response.status === 206) {
      await response.body?.cancel();
      return new HttpSource(url, await hiddenSize(url));
    }
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    if (response.status !== 200 || length > WHOLE_FILE_MAX) {
      await response.body?.cancel();
      throw new BfioError(
        'unsupported',
        `${url}: the server does not answer range requests (HTTP ${response.status}) and the file is too big to read whole; serve it from a server that supports Range (any object store or web server does), or download it`,
        { file: url },
      );
    }
    // No range support: the whole file, once (it is small enough).
    return new MemorySource(url, new Uint8Array(await response.arrayBuffer()));
  }

  /**
   * The request a codec worker sends itself for `length` bytes at `offset` (run-task's `params.fetch`), after
   * the same range check as `read`. Only for http(s) URLs (an object-store URL's requests are signed here).
   */
  workerFetch(offset: number, length: number, what: string): WorkerFetch | undefined {
    this.checkRange(offset, length, what);
    if (!/^https?:\/\//i.test(this.path)) return undefined;
    return { url: this.path, offset, length, timeoutMs: WORKER_FETCH_TIMEOUT_MS };
  }

  /** The response's own buffer (no copy into a second one), or a copy of it from a merged request. */
  override async read(offset: number, length: number, what = 'data'): Promise<Uint8Array> {
    this.checkRange(offset, length, what);
    if (length === 0) return new Uint8Array(0);
    if (this.prefix && offset + length <= this.prefix.length)
      return this.prefix.slice(offset, offset + length);
    return (await this.plans.take(offset, length)) ?? this.fetchRange(offset, length, what);
  }

  private async fetchRange(offset: number, length: number, what: string): Promise<Uint8Array> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await fetchBytes(this.path, { offset, length });
    } catch (err) {
      if (isBfioError(err)) throw err;
      throw new CorruptFileError(
        this.path,
        `${what} could not be fetched (${(err as Error).message})`,
        offset,
      );
    }
    if (!bytes) throw new CorruptFileError(this.path, `${what} could not be fetched (HTTP 404)`, offset);
    return bytes;
  }

  protected async readInto(out: Uint8Array, offset: number, what: string): Promise<void> {
    out.set(await this.read(offset, out.length, what));
  }
}
