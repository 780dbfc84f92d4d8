/**
 * Tasks whose worker fetches its own input (`params.fetch`, what browsers use for remote blocks): several
 * share a worker with their requests in flight at once, each still decodes whole and right; the request
 * checks (404, a server sending other bytes, a whole object) give codes the callers act on.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../../test-support/env.js';
import { CodecError, WorkerPool } from '../src/index.js';

// Real bytes: four pieces of a microscopy TIFF, Deflate-compressed one after another in one "file".
const sample = new Uint8Array(readFileSync(dataPath('polus-image-tools/bunny.ome.tif')));
const PIECE = 64 * 1024; // four of them fit in the sample (320 KiB)
const pieces = [0, 1, 2, 3].map((i) => sample.subarray(i * PIECE, (i + 1) * PIECE));
const packed = pieces.map((p) => new Uint8Array(deflateSync(p)));
const offsets = packed.map((_, i) => packed.slice(0, i).reduce((a, p) => a + p.length, 0));
const file = new Uint8Array(packed.reduce((a, p) => a + p.length, 0));
for (const [i, p] of packed.entries()) file.set(p, offsets[i]);

/** Requests are held until `hold` of them wait (or 3 s pass): how many were in flight at once is recorded. */
let hold = 1;
let waiting: Array<() => void> = [];
let mostAtOnce = 0;
let base = '';
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const answer = () => {
    if (req.url === '/shifted') {
      // A server (or proxy) that answers with bytes other than those asked for.
      res.writeHead(206, { 'content-range': `bytes 1-10/${file.length}` }).end(file.subarray(1, 11));
      return;
    }
    if (req.url !== '/file') return void res.writeHead(404).end();
    const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
    if (!m) return void res.writeHead(200, { 'content-length': String(file.length) }).end(file);
    const [start, end] = [Number(m[1]), Number(m[2])];
    res
      .writeHead(206, { 'content-range': `bytes ${start}-${end}/${file.length}` })
      .end(file.subarray(start, end + 1));
  };
  waiting.push(answer);
  mostAtOnce = Math.max(mostAtOnce, waiting.length);
  const release = () => {
    const all = waiting;
    waiting = [];
    for (const a of all) a();
  };
  if (waiting.length >= hold) release();
  else setTimeout(release, 3000);
});
const pools: WorkerPool[] = [];

beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

describe('tasks that fetch their input', () => {
  it('share a worker with their requests in flight at once, and each decodes and places whole', async () => {
    const pool = new WorkerPool({ maxWorkers: 1, fetchesPerWorker: 4 });
    pools.push(pool);
    hold = 4;
    mostAtOnce = 0;
    // Each piece lands in its own quarter of shared memory, through the worker's scratch buffer (the part of
    // the chain that must not interleave between tasks on one thread).
    const target = new Uint8Array(new SharedArrayBuffer(4 * PIECE));
    const started = Date.now();
    await Promise.all(
      packed.map((p, i) =>
        pool.run('inflate', new Uint8Array(0), {
          fetch: { url: `${base}/file`, offset: offsets[i]!, length: p.length },
          outputSize: PIECE,
          scatter: {
            target,
            rows: 1,
            rowBytes: PIECE,
            srcOffset: 0,
            srcStride: PIECE,
            dstOffset: i * PIECE,
            dstStride: PIECE,
          },
        }),
      ),
    );
    // All four requests were waiting at the server together: one worker had them in flight at once.
    expect(mostAtOnce).toBe(4);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(Buffer.from(target).equals(Buffer.from(sample.subarray(0, 4 * PIECE)))).toBe(true);
  });

  it('a 404 is code ENOENT, other bytes than asked for are code RANGE, no length fetches the whole object', async () => {
    const pool = new WorkerPool({ maxWorkers: 1 });
    pools.push(pool);
    hold = 1;
    const failure = (url: string) =>
      pool.run('raw', new Uint8Array(0), { fetch: { url, offset: 0, length: 10 } }).then(
        () => undefined,
        (err: unknown) => err,
      );
    const missing = await failure(`${base}/missing`);
    expect(missing).toBeInstanceOf(CodecError);
    expect((missing as CodecError).code).toBe('ENOENT');
    const shifted = await failure(`${base}/shifted`);
    expect((shifted as CodecError).code).toBe('RANGE');
    const whole = await pool.run('raw', new Uint8Array(0), { fetch: { url: `${base}/file` } });
    expect(Buffer.from(whole).equals(Buffer.from(file))).toBe(true);
  });
});
