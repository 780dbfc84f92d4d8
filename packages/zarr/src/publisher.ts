/**
 * Where the finished files of a store being written go, when the store is not simply a local temporary
 * directory renamed into place at close:
 * - an object store (`s3://bucket/key.ome.zarr`): each chunk or shard is uploaded as soon as it is written
 *   to a small local spool (and removed from it; large shards by multipart upload, read from the file part
 *   by part, at most 64 MiB in flight), so memory and disk stay bounded and requests overlap
 *   encoding; metadata is uploaded last, group metadata the very last, so a reader never sees an image
 *   whose arrays are missing (objects cannot be renamed: the metadata is what makes a store an image);
 * - a shared store written in parts (`bfio convert --part i/N`, local or shared file system): each finished
 *   file is renamed from this task's private spool into the store, so a chunk is either absent or whole,
 *   and a re-run replaces it atomically with the same bytes.
 */
import { isObjectStoreUrl, objectStoreFor } from '@bfio/core/backend';
import { dirname, env, hostname, join, mkdir, mkdtemp, pid, rename, rm, stat, tmpdir } from '#platform';
import { joinLocation } from './location.js';

export interface Publisher {
  /** The local folder the writer writes files into. */
  readonly spool: string;
  /** Moves the finished file `rel` (relative to the spool) to the store. */
  publish(rel: string): Promise<void>;
  /** Waits for every publish started so far. */
  drain(): Promise<void>;
  /** Removes the spool (the files published stay). */
  close(): Promise<void>;
}

/** Uploads at once per writer: enough to hide request latency, few enough to bound memory. */
const UPLOADS_IN_FLIGHT = 8;
/** Bytes of uploads in flight per writer (one big shard at a time passes whatever its size). */
const UPLOAD_BYTES_IN_FLIGHT = 64 * 1024 * 1024;

/** Files uploaded from a local spool to an object-store prefix. */
export class ObjectStorePublisher implements Publisher {
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  private constructor(
    readonly target: string,
    readonly spool: string,
  ) {}

  static async create(target: string): Promise<ObjectStorePublisher> {
    const spool = await mkdtemp(join(env('BFIO_TMPDIR') || tmpdir(), 'bfio-zarr-spool-'));
    return new ObjectStorePublisher(target, spool);
  }

  /** Bytes of the uploads in flight (a shard can be tens of MiB: the count alone would not bound memory). */
  private inflightBytes = 0;

  /** Starts the upload; resolves once it has a slot (back-pressure), not when it is done. */
  async publish(rel: string): Promise<void> {
    const file = join(this.spool, rel);
    // What an upload holds in memory: the file (one PUT), or at most its parts in flight (multipart).
    const cost = Math.min((await stat(file)).size, UPLOAD_BYTES_IN_FLIGHT);
    while (
      this.pending.size >= UPLOADS_IN_FLIGHT ||
      (this.pending.size > 0 && this.inflightBytes + cost > UPLOAD_BYTES_IN_FLIGHT)
    )
      await Promise.race(this.pending);
    if (this.failure) throw this.failure.error;
    this.inflightBytes += cost;
    const upload = async () => {
      try {
        const store = await objectStoreFor(this.target);
        await store.upload(joinLocation(this.target, rel), file);
        await rm(file, { force: true });
      } catch (error) {
        this.failure ??= { error };
      } finally {
        this.inflightBytes -= cost;
      }
    };
    const p = upload().finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
    if (this.failure) throw this.failure.error;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    await rm(this.spool, { recursive: true, force: true });
  }
}

/** Files renamed from a private spool inside a local store (parts of one store written by many tasks). */
export class LocalPublisher implements Publisher {
  private readonly made = new Map<string, Promise<unknown>>();

  private constructor(
    readonly target: string,
    readonly spool: string,
  ) {}

  static async create(target: string): Promise<LocalPublisher> {
    // Inside the store, so renames stay on one file system; hidden, and swept by `bfio finalize`.
    const base = join(target, '.bfio', 'spool');
    await mkdir(base, { recursive: true });
    const spool = await mkdtemp(join(base, `${hostname()}-${pid()}-`));
    return new LocalPublisher(target, spool);
  }

  async publish(rel: string): Promise<void> {
    const to = join(this.target, rel);
    const dir = dirname(to);
    let made = this.made.get(dir);
    if (!made) {
      made = mkdir(dir, { recursive: true });
      this.made.set(dir, made);
    }
    await made;
    await rename(join(this.spool, rel), to);
  }

  async drain(): Promise<void> {}

  async close(): Promise<void> {
    await rm(this.spool, { recursive: true, force: true });
  }
}

/** The publisher for a store at `target` (an object-store URL, or a local folder written in parts). */
export function publisherFor(target: string): Promise<Publisher> {
  return isObjectStoreUrl(target) ? ObjectStorePublisher.create(target) : LocalPublisher.create(target);
}
