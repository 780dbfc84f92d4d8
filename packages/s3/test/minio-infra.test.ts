/**
 * The object-storage test infrastructure itself: test-support/minio.ts (a MinIO server on loopback) and
 * test-support/throttle-proxy.ts (fault injection in front of it), driven with the AWS SDK directly and
 * checked from Python's s3fs, so that the S3 tests built on them stand on something verified.
 */
import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { type Minio, startMinio } from '../../../test-support/minio.js';
import { runPythonJson } from '../../../test-support/python.js';
import {
  isUpload,
  isUploadPart,
  startThrottleProxy,
  type ThrottleProxy,
} from '../../../test-support/throttle-proxy.js';

const ok = available('minio', 'python');
const BUCKET = 'infra';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe.skipIf(!ok)('MinIO and the throttling proxy (test-support)', () => {
  let minio: Minio;
  let proxy: ThrottleProxy;
  const clients: S3Client[] = [];
  /** An SDK client for `endpoint` (default: MinIO itself); maxAttempts 1 shows each failure as it is. */
  const s3 = (endpoint: string, maxAttempts = 1) => {
    const c = new S3Client({
      endpoint,
      region: minio.region,
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
      maxAttempts,
    });
    clients.push(c);
    return c;
  };
  const text = async (c: S3Client, Key: string) =>
    (await c.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToString();
  const bytes = async (c: S3Client, Key: string) =>
    Buffer.from(
      await (await c.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToByteArray(),
    );
  const exists = async (Key: string) =>
    s3(minio.endpoint)
      .send(new HeadObjectCommand({ Bucket: BUCKET, Key }))
      .then(
        () => true,
        (e) => (e.$metadata?.httpStatusCode === 404 ? false : Promise.reject(e)),
      );

  beforeAll(async () => {
    minio = await startMinio();
    console.log(`minio: ${minio.endpoint} live ${minio.startMs} ms after start`);
    await minio.makeBucket(BUCKET);
    proxy = await startThrottleProxy(minio.endpoint);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await proxy?.stop();
    await minio?.stop();
  });

  it('starts on loopback with random credentials, and makeBucket makes a bucket', async () => {
    expect(minio.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(minio.consoleUrl).not.toBe(minio.endpoint);
    expect(minio.env).toMatchObject({
      AWS_ACCESS_KEY_ID: minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: minio.endpoint,
    });
    expect((await fetch(`${minio.endpoint}/minio/health/live`)).status).toBe(200);
    // Anonymous requests are refused: the server really checks the credentials.
    expect((await fetch(`${minio.endpoint}/${BUCKET}/`)).status).toBe(403);
    const wrong = new S3Client({
      endpoint: minio.endpoint,
      region: minio.region,
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    clients.push(wrong);
    await expect(wrong.send(new ListObjectsV2Command({ Bucket: BUCKET }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
    await expect(
      s3(minio.endpoint).send(new ListObjectsV2Command({ Bucket: BUCKET })),
    ).resolves.toMatchObject({
      KeyCount: 0,
    });
  });

  it('puts and gets an object with the SDK, directly and through the proxy (Host kept: SigV4 holds)', async () => {
    const direct = s3(minio.endpoint);
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'a/hello.txt', Body: 'hello, object store' }),
    );
    expect(await text(direct, 'a/hello.txt')).toBe('hello, object store');

    const before = proxy.requests.length;
    const via = s3(proxy.endpoint);
    const body = randomBytes(1 << 20);
    await via.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a/random.bin', Body: body }));
    expect((await bytes(via, 'a/random.bin')).equals(body)).toBe(true);
    expect((await bytes(direct, 'a/random.bin')).equals(body)).toBe(true); // the proxy stored what it was sent
    const seen = proxy.requests.slice(before);
    expect(seen.map((r) => [r.method, r.path, r.outcome, r.status])).toEqual([
      ['PUT', `/${BUCKET}/a/random.bin`, 'forwarded', 200],
      ['GET', `/${BUCKET}/a/random.bin`, 'forwarded', 200],
    ]);
    expect(seen[0]!.bytesIn).toBe(body.length);
    expect(seen[0]!.headers.host).toBe(new URL(proxy.endpoint).host);
  });

  it('answers throttled requests with 503 SlowDown; the SDK retries through them', async () => {
    proxy.throttle(1);
    const err = await s3(proxy.endpoint)
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a/hello.txt' }))
      .catch((e) => e);
    expect(err).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    expect(proxy.requests.at(-1)).toMatchObject({ outcome: 'throttled', path: `/${BUCKET}/a/hello.txt` });

    // A predicate: only this key, twice; the SDK's standard retries (3 attempts) get through on the third.
    const key = (r: { path: string }) => r.path === `/${BUCKET}/a/hello.txt`;
    const before = proxy.count(key);
    proxy.throttle(key, 2);
    expect(await text(s3(proxy.endpoint, 3), 'a/hello.txt')).toBe('hello, object store');
    const seen = proxy.requests.filter(key).slice(before);
    expect(seen.map((r) => r.outcome)).toEqual(['throttled', 'throttled', 'forwarded']);
    // The rule is used up.
    expect(await text(s3(proxy.endpoint), 'a/hello.txt')).toBe('hello, object store');

    // A large PUT (the SDK may hold its body back for "Expect: 100-continue"): throttled once, then stored.
    const big = randomBytes(3 << 20);
    proxy.throttle(isUpload, 1);
    await s3(proxy.endpoint, 3).send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'big/after-503.bin', Body: big }),
    );
    expect(proxy.requests.slice(-2).map((r) => [r.method, r.outcome])).toEqual([
      ['PUT', 'throttled'],
      ['PUT', 'forwarded'],
    ]);
    expect((await bytes(s3(minio.endpoint), 'big/after-503.bin')).equals(big)).toBe(true);
  });

  it('cuts an upload mid-body: nothing is stored; a retry stores it whole', async () => {
    const body = randomBytes(512 * 1024);
    proxy.cutAfter(64 * 1024);
    await expect(
      s3(proxy.endpoint).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cut/once.bin', Body: body })),
    ).rejects.toThrow();
    expect(proxy.requests.at(-1)).toMatchObject({ method: 'PUT', outcome: 'cut', bytesIn: 64 * 1024 });
    expect(await exists('cut/once.bin')).toBe(false);

    proxy.cutAfter(1000);
    await s3(proxy.endpoint, 3).send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'cut/once.bin', Body: body }),
    );
    expect((await bytes(s3(minio.endpoint), 'cut/once.bin')).equals(body)).toBe(true);
    expect(proxy.requests.slice(-2).map((r) => r.outcome)).toEqual(['cut', 'forwarded']);
  });

  it('cuts UploadPart (multipart) only, when asked to', async () => {
    const c = s3(proxy.endpoint);
    const Key = 'cut/multipart.bin';
    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
    const part = randomBytes(200 * 1024);
    proxy.cutAfter(4096, isUploadPart);
    await expect(
      c.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: part })),
    ).rejects.toThrow();
    expect(proxy.requests.at(-1)).toMatchObject({ outcome: 'cut', bytesIn: 4096 });
    const { ETag } = await c.send(
      new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: 1, Body: part }),
    );
    await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] },
      }),
    );
    expect((await bytes(s3(minio.endpoint), Key)).equals(part)).toBe(true);
  });

  it("Python's s3fs lists and reads what the SDK wrote", async () => {
    const seen = await runPythonJson<{ ls: string[]; text: string; size: number }>(
      `
import json, sys, s3fs
a = json.load(sys.stdin)
fs = s3fs.S3FileSystem(key=a["key"], secret=a["secret"], client_kwargs={"endpoint_url": a["endpoint"], "region_name": "us-east-1"})
print(json.dumps({
    "ls": sorted(fs.ls(a["bucket"] + "/a")),
    "text": fs.cat(a["bucket"] + "/a/hello.txt").decode(),
    "size": fs.info(a["bucket"] + "/a/random.bin")["size"],
}))
`,
      { key: minio.accessKeyId, secret: minio.secretAccessKey, endpoint: minio.endpoint, bucket: BUCKET },
    );
    expect(seen).toEqual({
      ls: [`${BUCKET}/a/hello.txt`, `${BUCKET}/a/random.bin`],
      text: 'hello, object store',
      size: 1 << 20,
    });
  });
});
