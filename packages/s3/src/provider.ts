/**
 * `s3://` for bfio: reads answered as HTTP (so TIFF byte ranges, Zarr keys and shard indexes work as over
 * http), small objects written with one PUT, finished files uploaded whole (multipart above 16 MiB: an
 * object appears when CompleteMultipartUpload succeeds, never before; a failed upload is aborted).
 */
import { open } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { ObjectEntry, ObjectStoreProvider } from '@bfio/core/backend';
import { parseS3Url, s3Client, s3Url } from './client.js';
import { isNoSuchKey, isThrottle, s3Error, sdkCode, sdkStatus } from './errors.js';

/** Files up to this size go up in one PUT; larger ones in parts of at least this size. */
export const PART_SIZE = 16 * 1024 * 1024;
/** Parts uploaded at once (bounded memory: PART_SIZE each). */
const PARTS_IN_FLIGHT = 4;
/** S3's limit on parts per upload. */
const MAX_PARTS = 10_000;

function rangeOf(init?: RequestInit): string | undefined {
  const h = init?.headers;
  if (!h) return undefined;
  if (h instanceof Headers) return h.get('range') ?? undefined;
  if (Array.isArray(h)) return h.find(([k]) => k.toLowerCase() === 'range')?.[1];
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === 'range') return String(v);
  return undefined;
}

async function get(url: string, init?: RequestInit): Promise<Response> {
  const { bucket, key } = parseS3Url(url);
  const client = s3Client();
  const range = rangeOf(init);
  const signal = init?.signal ?? undefined;
  try {
    if ((init?.method ?? 'GET').toUpperCase() === 'HEAD') {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      });
      return new Response(null, {
        status: 200,
        headers: { 'content-length': String(out.ContentLength ?? 0) },
      });
    }
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }), {
      abortSignal: signal,
    });
    const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
    const headers: Record<string, string> = { 'content-length': String(bytes.byteLength) };
    if (out.ContentRange) headers['content-range'] = out.ContentRange;
    if (out.ContentType) headers['content-type'] = out.ContentType;
    return new Response(bytes, { status: range && out.ContentRange ? 206 : 200, headers });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    if (isNoSuchKey(err)) return new Response(null, { status: 404, statusText: 'NoSuchKey' });
    if (sdkCode(err) === 'InvalidRange' || sdkStatus(err) === 416)
      return new Response(null, { status: 416, statusText: 'InvalidRange' });
    // Still throttled after the SDK's retries: a 503, which the caller's fetchWithRetry retries again.
    if (isThrottle(err)) return new Response(null, { status: 503, statusText: sdkCode(err) });
    throw s3Error(err, url, 'read');
  }
}

async function put(url: string, body: Uint8Array, options: { contentType?: string } = {}): Promise<void> {
  const { bucket, key } = parseS3Url(url);
  try {
    await s3Client().send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: options.contentType }),
    );
  } catch (err) {
    throw s3Error(err, url, 'write');
  }
}

async function upload(url: string, file: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  const { bucket, key } = parseS3Url(url);
  const client = s3Client();
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const readPart = async (offset: number, length: number) => {
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error(`${file} shrank while it was being uploaded`);
        done += bytesRead;
      }
      return buf;
    };
    if (size <= PART_SIZE) {
      const body = await readPart(0, size);
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }), {
          abortSignal: options.signal,
        });
      } catch (err) {
        throw s3Error(err, url, 'write');
      }
      return;
    }
    const partSize = Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS));
    const count = Math.ceil(size / partSize);
    let uploadId: string | undefined;
    try {
      uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))).UploadId;
      const etags: string[] = new Array(count);
      let next = 0;
      const lane = async () => {
        while (next < count) {
          const n = next++;
          options.signal?.throwIfAborted();
          const offset = n * partSize;
          const body = await readPart(offset, Math.min(partSize, size - offset));
          const out = await client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: n + 1,
              Body: body,
            }),
            { abortSignal: options.signal },
          );
          etags[n] = out.ETag as string;
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, lane));
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    } catch (err) {
      // No object appears from an incomplete upload; aborting frees the parts already stored.
      if (uploadId) {
        await client
          .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
          .catch(() => {});
      }
      throw s3Error(err, url, 'write');
    }
  } finally {
    await handle.close();
  }
}

async function remove(urls: readonly string[]): Promise<void> {
  const byBucket = new Map<string, string[]>();
  for (const url of urls) {
    const { bucket, key } = parseS3Url(url);
    const keys = byBucket.get(bucket) ?? [];
    byBucket.set(bucket, keys);
    keys.push(key);
  }
  for (const [bucket, keys] of byBucket) {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      try {
        const out = await s3Client().send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = out.Errors?.[0];
        if (failed) throw Object.assign(new Error(failed.Message), { Code: failed.Code });
      } catch (err) {
        throw s3Error(err, s3Url(bucket, batch[0] as string), 'delete');
      }
    }
  }
}

async function* list(prefixUrl: string): AsyncIterable<ObjectEntry> {
  const { bucket, key } = parseS3Url(prefixUrl);
  let token: string | undefined;
  do {
    let out: Awaited<ReturnType<typeof send>>;
    const send = () =>
      s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
    try {
      out = await send();
    } catch (err) {
      throw s3Error(err, prefixUrl, 'list');
    }
    for (const o of out.Contents ?? []) {
      if (o.Key !== undefined) yield { url: s3Url(bucket, o.Key), size: o.Size ?? 0 };
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
}

export const s3Provider: ObjectStoreProvider = {
  scheme: 's3',
  packageName: '@bfio/s3',
  fetch: get,
  put,
  upload,
  delete: remove,
  list,
};
