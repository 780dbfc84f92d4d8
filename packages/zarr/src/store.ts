/**
 * A Node file-system store for zarrita. Differs from @zarrita/storage's FileSystemStore in two ways that
 * matter for bfio: writes are atomic (temp file + rename, so a crash or a concurrent reader never sees a torn
 * chunk), and a Zarr v2 consolidated `.zmetadata` is served from memory when present.
 */
import { CorruptFileError } from '@bfio/core';
import type { AbsolutePath, AsyncMutable, GetOptions, RangeQuery } from '@zarrita/storage';
import {
  access,
  dirname,
  type FileHandle,
  join,
  mkdir,
  open,
  pid,
  randomHex,
  readFile,
  rename,
  rm,
  unlink,
  writeFile,
} from '#platform';

function isNoEntry(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const encoder = new TextEncoder();

export class NodeStore implements AsyncMutable {
  /** Metadata documents (`.zarray`, `.zattrs`, ...) from a consolidated `.zmetadata`, keyed by relative path. */
  private consolidated: Map<string, Uint8Array> | undefined;

  constructor(readonly root: string) {}

  private file(key: string): string {
    return join(this.root, key.startsWith('/') ? key.slice(1) : key);
  }

  /** Serves v2 metadata keys from `.zmetadata` (zarr-python's consolidated format) when it exists. */
  async useConsolidated(): Promise<boolean> {
    const bytes = await this.get('/.zmetadata');
    if (!bytes) return false;
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { metadata?: Record<string, unknown> };
    if (!doc.metadata || typeof doc.metadata !== 'object') return false;
    const map = new Map<string, Uint8Array>();
    for (const [key, value] of Object.entries(doc.metadata))
      map.set(key, encoder.encode(JSON.stringify(value)));
    this.consolidated = map;
    return true;
  }

  async get(key: AbsolutePath, opts: GetOptions = {}): Promise<Uint8Array | undefined> {
    const rel = key.startsWith('/') ? key.slice(1) : key;
    const hit = this.consolidated?.get(rel);
    if (hit) return hit;
    try {
      const buf = await readFile(this.file(key), { signal: opts.signal });
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if (isNoEntry(err)) return undefined;
      throw err;
    }
  }

  async getRange(
    key: AbsolutePath,
    range: RangeQuery,
    opts: GetOptions = {},
  ): Promise<Uint8Array | undefined> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.file(key), 'r');
      let offset: number;
      let length: number;
      if ('suffixLength' in range) {
        const { size } = await handle.stat();
        length = Math.min(range.suffixLength, size);
        offset = size - length;
      } else {
        offset = range.offset;
        length = range.length;
        // A shard index with garbage entries asks for ranges past the end, or of 4 GiB (which Node's
        // fs.read aborts the process on rather than throwing): checked against the object first.
        const { size } = await handle.stat();
        if (
          !Number.isSafeInteger(offset) ||
          !Number.isSafeInteger(length) ||
          offset < 0 ||
          length < 0 ||
          offset + length > size
        ) {
          throw new CorruptFileError(
            this.file(key),
            `bytes ${offset}..${offset + length} are asked for (by a shard index), but the object has ${size}; the store is damaged: restore it from a good copy`,
          );
        }
      }
      const out = new Uint8Array(length);
      const { bytesRead } = await handle.read(out, 0, length, offset);
      opts.signal?.throwIfAborted();
      return bytesRead === length ? out : out.subarray(0, bytesRead);
    } catch (err) {
      if (isNoEntry(err)) return undefined;
      throw err;
    } finally {
      await handle?.close();
    }
  }

  async has(key: AbsolutePath): Promise<boolean> {
    try {
      await access(this.file(key));
      return true;
    } catch {
      return false;
    }
  }

  /** Atomic write: a temp file in the same directory, then rename over the target. */
  async set(key: AbsolutePath, value: Uint8Array): Promise<void> {
    const target = this.file(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${pid()}-${randomHex(4)}.tmp`;
    try {
      await writeFile(tmp, value);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(key: AbsolutePath): Promise<boolean> {
    try {
      await unlink(this.file(key));
      return true;
    } catch (err) {
      if (isNoEntry(err)) return false;
      throw err;
    }
  }
}

const METADATA_KEY = /(^|\/)(zarr\.json|\.zarray|\.zattrs|\.zgroup|\.zmetadata)$/;

/**
 * The store the writer stores chunks through with zarrita: metadata reads pass through, chunk reads answer
 * "absent". Every chunk the writer stores covers its whole in-bounds region (in append mode merged with
 * the stored pixels first), so zarrita has nothing to keep from a stored chunk; and letting it re-encode
 * what it decoded is unsafe: zarrita 0.7's `bytes` encoder writes `data.buffer` whole, and a decoded chunk
 * can be a view into a pooled buffer (node:zlib's 16 KiB, the zstd addon's), whose other bytes would land
 * in the file (appending to an edge chunk wrote 16 KiB of process memory into a 4-byte chunk).
 */
export class ChunkWriteStore extends NodeStore {
  override async get(key: AbsolutePath, opts: GetOptions = {}): Promise<Uint8Array | undefined> {
    return METADATA_KEY.test(key) ? super.get(key, opts) : undefined;
  }

  override async getRange(): Promise<Uint8Array | undefined> {
    return undefined;
  }

  override async has(key: AbsolutePath): Promise<boolean> {
    return METADATA_KEY.test(key) ? super.has(key) : false;
  }
}
