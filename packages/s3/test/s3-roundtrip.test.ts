/**
 * Object storage for real: a MinIO server on loopback (built from its Go module by scripts/setup). OME-Zarr
 * 0.4 / 0.5 (sharded and not) and OME-TIFF written to s3:// are read back pixel-identical by bfio and by
 * zarr-python / tifffile over s3fs; a write killed mid-way leaves nothing that reads as an image; a denied
 * bucket, a missing bucket and a throttling server give typed errors naming the object.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocate, BioReader, BioWriter, copyImage, isBfioError } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import '@bfio/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath, REPO_ROOT } from '../../../test-support/env.js';
import { type Minio, startMinio } from '../../../test-support/minio.js';
import { runPythonJson } from '../../../test-support/python.js';
import { startThrottleProxy, type ThrottleProxy } from '../../../test-support/throttle-proxy.js';

const ready = available('minio', 'python', 'data');
const BUCKET = 'bfio-rt';

let minio: Minio;
let work: string;
const savedEnv = { ...process.env };

/** Pixels of the current level of `br`, planar T,C,Z,Y,X, as a sha256. */
async function levelHash(br: BioReader): Promise<string> {
  const out = allocate(br.dtype, br.X * br.Y * br.Z * br.C * br.T);
  await br.readRegion(
    {
      x: [0, br.X],
      y: [0, br.Y],
      z: [0, br.Z],
      c: Array.from({ length: br.C }, (_, i) => i),
      t: Array.from({ length: br.T }, (_, i) => i),
    },
    { out },
  );
  return createHash('sha256')
    .update(new Uint8Array(out.buffer, out.byteOffset, out.byteLength))
    .digest('hex');
}

/** Every level of `path` as bfio reads it: [shape TCZYX, sha256]. */
async function ourLevels(path: string): Promise<Array<{ shape: number[]; sha: string }>> {
  await using br = await BioReader.open(path);
  const out: Array<{ shape: number[]; sha: string }> = [];
  for (let l = 0; l < br.levelCount; l++) {
    br.level = l;
    out.push({ shape: [br.T, br.C, br.Z, br.Y, br.X], sha: await levelHash(br) });
  }
  return out;
}

function cli(args: string[], env: Record<string, string>): ChildProcess {
  const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  return spawn(tsx, [join(REPO_ROOT, 'apps', 'cli', 'src', 'bin.ts'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function objectsUnder(prefix: string): Promise<string[]> {
  const { objectStoreFor } = await import('@bfio/core/backend');
  const store = await objectStoreFor(prefix);
  const urls: string[] = [];
  for await (const o of store.list(prefix)) urls.push(o.url);
  return urls;
}

/** Reads every level of each store / TIFF over s3fs with zarr-python / tifffile: [shape TCZYX, sha256]. */
const PEER_READ = `
import json, sys, hashlib
import numpy as np, s3fs, tifffile, zarr
args = json.load(sys.stdin)
fs = s3fs.S3FileSystem(key=args['key'], secret=args['secret'], client_kwargs={'endpoint_url': args['endpoint'], 'region_name': 'us-east-1'})
def h(a):
    a = np.ascontiguousarray(a)
    return {'shape': list(a.shape), 'sha': hashlib.sha256(a.astype(a.dtype.newbyteorder('<')).tobytes()).hexdigest()}
out = {}
for url in args['zarr']:
    g = zarr.open_group(url, mode='r', storage_options={'key': args['key'], 'secret': args['secret'], 'client_kwargs': {'endpoint_url': args['endpoint'], 'region_name': 'us-east-1'}})
    attrs = g.attrs.asdict()
    ms = (attrs.get('ome') or attrs)['multiscales'][0]
    out[url] = [h(g[d['path']][...]) for d in ms['datasets']]
for url in args['tiff']:
    with fs.open(url, 'rb') as f, tifffile.TiffFile(f) as tif:
        s = tif.series[0]
        out[url] = [h(tifffile.transpose_axes(lv.asarray(), lv.axes, 'TCZYX')) for lv in s.levels]
for path in args['local']:
    with tifffile.TiffFile(path) as tif:
        s = tif.series[0]
        out[path] = [h(tifffile.transpose_axes(s.asarray(), s.axes, 'TCZYX'))]
print(json.dumps(out))
`;

describe.skipIf(!ready)('s3:// round trips through MinIO', () => {
  let synthetic: string;
  let big: string;
  const sample = dataPath('aicsimageio/s_1_t_1_c_1_z_1.ome.tiff');

  beforeAll(async () => {
    minio = await startMinio();
    await minio.makeBucket(BUCKET);
    Object.assign(process.env, minio.env);
    work = mkdtempSync(join(tmpdir(), 'bfio-s3-test-'));
    synthetic = join(work, 'synthetic.ome.tif');
    big = join(work, 'big.ome.tif');
    // Inputs written by tifffile (a peer): 2 channels × 3 z-planes, and a larger one for the kill test.
    await runPythonJson(
      `
import json, sys, numpy as np, tifffile
a = json.load(sys.stdin)
rng = np.random.default_rng(7)
img = rng.integers(0, 4000, (1, 2, 3, 700, 900), dtype='uint16')
tifffile.imwrite(a['synthetic'], img, ome=True, tile=(256, 256), compression='zlib', metadata={'axes': 'TCZYX'})
y, x = np.mgrid[0:4096, 0:4096]
b = np.stack([(y * 7 + x * 3) % 65535, (y * x) % 65521]).astype('uint16')[None, :, None]
tifffile.imwrite(a['big'], b, ome=True, tile=(512, 512), metadata={'axes': 'TCZYX'})
print('null')
`,
      { synthetic, big },
    );
  });

  afterAll(async () => {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    await minio?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('writes OME-Zarr 0.4/0.5 (sharded and not) and OME-TIFF that bfio and zarr-python/tifffile over s3fs read identically', async () => {
    const outputs: Array<{ url: string; options: Record<string, unknown>; source: string }> = [
      {
        url: `s3://${BUCKET}/a/v05.ome.zarr`,
        options: { pyramidLevels: 2, tileSize: 128 },
        source: synthetic,
      },
      {
        url: `s3://${BUCKET}/a/v04.ome.zarr`,
        options: { ngffVersion: '0.4', pyramidLevels: 1, tileSize: 256 },
        source: synthetic,
      },
      {
        url: `s3://${BUCKET}/a/sharded.ome.zarr`,
        options: { tileSize: 64, shards: [1, 1, 1, 256, 256], pyramidLevels: 2 },
        source: synthetic,
      },
      {
        url: `s3://${BUCKET}/a/pyramid.ome.tif`,
        options: { tileSize: 128, pyramidLevels: 2 },
        source: synthetic,
      },
      { url: `s3://${BUCKET}/a/sample.ome.zarr`, options: { tileSize: 128 }, source: sample },
      { url: `s3://${BUCKET}/a/sample.ome.tif`, options: { tileSize: 128 }, source: sample },
    ];
    const ours: Record<string, Array<{ shape: number[]; sha: string }>> = {};
    for (const o of outputs) {
      await using src = await BioReader.open(o.source);
      const bw = await BioWriter.create(o.url, { metadata: src.metadata, ...o.options });
      await copyImage(src, bw, { tileSize: 128 });
      await bw.close();
      ours[o.url] = await ourLevels(o.url);
    }
    // The TIFF read back by bfio from S3 (byte ranges) equals the local file read by bfio.
    const peer = await runPythonJson<Record<string, Array<{ shape: number[]; sha: string }>>>(PEER_READ, {
      key: minio.accessKeyId,
      secret: minio.secretAccessKey,
      endpoint: minio.endpoint,
      zarr: outputs.filter((o) => o.url.endsWith('.zarr')).map((o) => o.url),
      tiff: outputs.filter((o) => o.url.endsWith('.tif')).map((o) => o.url),
      local: [synthetic, sample],
    });
    for (const o of outputs) {
      // Every level, as the peer reads it over s3fs, equals what bfio reads from S3.
      expect(ours[o.url], o.url).toEqual(peer[o.url]);
      // Level 0 equals the source as tifffile reads it.
      expect(peer[o.url]?.[0], o.url).toEqual(peer[o.source]?.[0]);
      const levels = 1 + Number(o.options.pyramidLevels ?? 0);
      expect(peer[o.url]?.length, o.url).toBe(levels);
    }
  });

  it('refuses to replace an existing store unless asked, and replaces it whole when asked', async () => {
    const url = `s3://${BUCKET}/a/replace.ome.zarr`;
    await using src = await BioReader.open(sample);
    const first = await BioWriter.create(url, { metadata: src.metadata, tileSize: 64, pyramidLevels: 2 });
    await copyImage(src, first);
    await first.close();
    expect(await ourLevels(url)).toHaveLength(3);
    const bw = await BioWriter.create(url, { metadata: src.metadata, tileSize: 128 });
    await expect(copyImage(src, bw)).rejects.toSatisfy((e) => isBfioError(e, 'file-exists'));
    await bw.abort();
    const again = await BioWriter.create(url, { metadata: src.metadata, tileSize: 128, overwrite: true });
    await copyImage(src, again);
    await again.close();
    const levels = await ourLevels(url);
    expect(levels).toHaveLength(1);
    expect(levels[0]?.shape).toEqual([1, 1, 1, src.Y, src.X]);
    // Nothing of the old pyramid is left under the prefix.
    expect((await objectsUnder(`${url}/`)).filter((u) => /replace\.ome\.zarr\/[12]\//.test(u))).toEqual([]);
  });

  for (const target of ['killed.ome.zarr', 'killed.ome.tif']) {
    it(`a conversion to ${target} killed mid-way leaves nothing that reads as an image`, async () => {
      const url = `s3://${BUCKET}/k/${target}`;
      const child = cli(['convert', big, url, '--tile-size', '256', '--pyramid', '2'], minio.env);
      let stderr = '';
      child.stderr?.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      // Kill it once it has started writing: a first object under the prefix (Zarr), or an upload begun.
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`the conversion ended before it was killed: ${stderr}`);
        const started = target.endsWith('.zarr')
          ? (await objectsUnder(`${url}/`)).length > 0
          : /converting/.test(stderr) || (await objectsUnder(`s3://${BUCKET}/k/`)).length > 0;
        if (started) break;
        if (Date.now() > deadline) throw new Error(`no write started within 60 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      await exited;
      const err = await BioReader.open(url).then(
        async (br) => {
          await br.close();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(isBfioError(err), String(err)).toBe(true);
      // zarr-python / tifffile find no image there either.
      const peer = await runPythonJson<{ ok: boolean; error: string }>(
        `
import json, sys, s3fs, tifffile, zarr
a = json.load(sys.stdin)
so = {'key': a['key'], 'secret': a['secret'], 'client_kwargs': {'endpoint_url': a['endpoint'], 'region_name': 'us-east-1'}}
try:
    if a['url'].endswith('.zarr'):
        g = zarr.open_group(a['url'], mode='r', storage_options=so)
        g['0'][...]
    else:
        with s3fs.S3FileSystem(**so).open(a['url'], 'rb') as f:
            tifffile.imread(f)
    print(json.dumps({'ok': True, 'error': ''}))
except Exception as e:
    print(json.dumps({'ok': False, 'error': type(e).__name__}))
`,
        { url, key: minio.accessKeyId, secret: minio.secretAccessKey, endpoint: minio.endpoint },
      );
      expect(peer.ok, peer.error).toBe(false);
    });
  }

  it('a missing bucket and denied credentials are typed errors naming the object and the fix', async () => {
    const missingBucket = await BioReader.open('s3://no-such-bucket/x.ome.tif').catch((e: unknown) => e);
    expect(isBfioError(missingBucket, 'not-found')).toBe(true);
    expect(String((missingBucket as Error).message)).toMatch(/no-such-bucket.*does not exist.*create it/);

    await using src = await BioReader.open(sample);
    const w = await BioWriter.create('s3://no-such-bucket/out.ome.zarr', { metadata: src.metadata });
    const writeErr = await copyImage(src, w).catch((e: unknown) => e);
    await w.abort();
    expect(isBfioError(writeErr, 'not-found'), String(writeErr)).toBe(true);

    const secret = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    try {
      const denied = await BioReader.open(`s3://${BUCKET}/a/sample.ome.tif`).catch((e: unknown) => e);
      expect(isBfioError(denied, 'access-denied'), String(denied)).toBe(true);
      expect((denied as Error).message).toMatch(
        /s3:\/\/bfio-rt\/a\/sample\.ome\.tif.*access denied.*AWS_SECRET_ACCESS_KEY/,
      );
      const tw = await BioWriter.create(`s3://${BUCKET}/denied/out.ome.tif`, { metadata: src.metadata });
      // Refused at the first request: the check that the target is new, or the upload at close.
      const writeDenied = await copyImage(src, tw)
        .then(() => tw.close())
        .catch((e: unknown) => e);
      await tw.abort();
      expect(isBfioError(writeDenied, 'access-denied'), String(writeDenied)).toBe(true);
      expect((writeDenied as Error).message).toContain('s3://bfio-rt/denied/out.ome.tif');
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = secret;
    }
    expect(await objectsUnder(`s3://${BUCKET}/denied/`)).toEqual([]);
  });

  describe('through a proxy that throttles or cuts connections', () => {
    let proxy: ThrottleProxy;
    beforeAll(async () => {
      proxy = await startThrottleProxy(minio.endpoint);
    });
    afterAll(async () => {
      process.env.AWS_ENDPOINT_URL = minio.endpoint;
      await proxy?.stop();
    });

    it('rides out brief throttling, and names the object when throttling persists', async () => {
      process.env.AWS_ENDPOINT_URL = proxy.endpoint;
      process.env.BFIO_HTTP_BACKOFF_MS = '10';
      process.env.AWS_MAX_ATTEMPTS = '2';
      try {
        proxy.throttle(3);
        const levels = await ourLevels(`s3://${BUCKET}/a/sample.ome.tif`);
        expect(levels[0]?.shape).toEqual([1, 1, 1, 325, 475]);
        expect(proxy.count((r) => r.outcome === 'throttled')).toBe(3);

        proxy.throttle(() => true, 1000);
        const err = await BioReader.open(`s3://${BUCKET}/a/sample.ome.tif`).catch((e: unknown) => e);
        expect(isBfioError(err, 'network'), String(err)).toBe(true);
        expect((err as Error).message).toMatch(/s3:\/\/bfio-rt\/a\/sample\.ome\.tif.*(503|SlowDown)/);
      } finally {
        proxy.reset();
        delete process.env.BFIO_HTTP_BACKOFF_MS;
        delete process.env.AWS_MAX_ATTEMPTS;
      }
    });

    it('a connection cut in every upload of a TIFF leaves no object, with a typed error', async () => {
      process.env.AWS_ENDPOINT_URL = proxy.endpoint;
      try {
        proxy.cutAfter(1000, undefined, 1000);
        await using src = await BioReader.open(big);
        const url = `s3://${BUCKET}/cut/big.ome.tif`;
        const w = await BioWriter.create(url, { metadata: src.metadata, tileSize: 512 });
        await copyImage(src, w, { tileSize: 512 });
        const err = await w.close().catch((e: unknown) => e);
        expect(isBfioError(err, 'network'), String(err)).toBe(true);
        expect((err as Error).message).toContain(url);
        proxy.reset();
        expect(await objectsUnder(`s3://${BUCKET}/cut/`)).toEqual([]);
      } finally {
        proxy.reset();
      }
    });
  });
});
