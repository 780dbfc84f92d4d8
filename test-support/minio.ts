/**
 * A throw-away MinIO (S3 API) server on loopback for the object-storage tests: the binary scripts/setup cached
 * in .cache/bin/minio (BFIO_MINIO overrides), a fresh temp data dir, random root credentials, free ports for
 * the API and the console. `env` carries what a child process needs to reach it (the CLI, Python's s3fs).
 *
 * ```ts
 * const minio = await startMinio();
 * await minio.makeBucket('images');
 * spawnSync('bfio', ['convert', 'in.tif', 's3://images/out.ome.zarr'], { env: { ...process.env, ...minio.env } });
 * await minio.stop();
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINIO_BIN, missing, REPO_ROOT } from './env.js';
import { freePort, waitFor } from './net.js';

export { MINIO_BIN };
export const MINIO_REGION = 'us-east-1';

export interface Minio {
  /** `http://127.0.0.1:PORT`, the S3 API. */
  endpoint: string;
  /** The embedded console (a second loopback port). */
  consoleUrl: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, ... */
  env: Record<string, string>;
  /** The server's data dir (one folder per bucket, `xl.meta` per object). */
  dataDir: string;
  /** Milliseconds from spawning the server until /minio/health/live answered 200. */
  startMs: number;
  /** The server's output so far (for a failing test's message). */
  log(): string;
  /** Creates a bucket (S3 CreateBucket through the AWS SDK, path-style). */
  makeBucket(name: string): Promise<void>;
  /** An AWS SDK S3Client for this server (path-style); `endpoint` overrides, e.g. a proxy in front of it. */
  client(endpoint?: string): S3ClientLike;
  /** Kills the server and removes its data dir. */
  stop(): Promise<void>;
}

/** The part of the SDK's S3Client these helpers use (the SDK is typed where it is a dependency: packages/s3). */
export interface S3ClientLike {
  send(command: unknown): Promise<any>;
  destroy(): void;
}

/**
 * `@aws-sdk/client-s3`, resolved from packages/s3 (its only dependent): test-support is compiled and run from
 * every package, and a bare import would resolve from here, where pnpm puts no such package.
 */
export function awsSdkS3(): Record<string, any> {
  const require = createRequire(join(REPO_ROOT, 'packages', 's3', 'package.json'));
  return require('@aws-sdk/client-s3') as Record<string, any>;
}

export async function startMinio(): Promise<Minio> {
  const why = missing('minio');
  if (why) throw new Error(`cannot start MinIO: ${why}`);
  const root = mkdtempSync(join(tmpdir(), 'bfio-minio-'));
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  mkdirSync(join(root, 'certs'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = `bfio${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const started = Date.now();
  let output = '';
  const child: ChildProcess = spawn(
    MINIO_BIN,
    [
      'server',
      dataDir,
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--certs-dir',
      join(root, 'certs'),
    ],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: root,
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_REGION,
        // Loopback only: no update checks, no call-home.
        MINIO_UPDATE: 'off',
        MINIO_CALLHOME_ENABLE: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // A test process that exits without stop() leaves no server and no data dir behind.
  const onExit = () => {
    kill();
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', onExit);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `MinIO at ${endpoint}/minio/health/live`,
      async () => {
        if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode}`);
        const r = await fetch(`${endpoint}/minio/health/live`);
        return r.status === 200;
      },
      60_000,
      50,
    );
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${output}`);
  }
  const startMs = Date.now() - started;
  const region = MINIO_REGION;
  const client = (at = endpoint): S3ClientLike => {
    const { S3Client } = awsSdkS3();
    return new S3Client({
      endpoint: at,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
  };
  return {
    endpoint,
    consoleUrl: `http://127.0.0.1:${consolePort}`,
    accessKeyId,
    secretAccessKey,
    region,
    env: {
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ENDPOINT_URL: endpoint,
      // Never ask the EC2 instance metadata service (a non-loopback address) for credentials or a region.
      AWS_EC2_METADATA_DISABLED: 'true',
      // The SDK's "releases after January 2027 need Node 22" notice, on every Node 20 process.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    dataDir,
    startMs,
    log: () => output,
    async makeBucket(name: string) {
      const { CreateBucketCommand } = awsSdkS3();
      const s3 = client();
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        s3.destroy();
      }
    },
    client,
    stop,
  };
}
