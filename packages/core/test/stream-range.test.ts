/**
 * streamRange, the merged range requests of a remote TIFF read (on Node through node:http, not fetch): the
 * bytes of the file on disk, whatever sizes the body arrives in; a redirect followed as fetch follows it (and
 * a compressed answer, which fetch would decode, refused);
 * one keep-alive connection for a read's sequential requests; and every way a server can misbehave is
 * either a `network` BfioError naming the URL (within the timeout and retries: never a hang) or a plain
 * Error the TIFF reader recovers from by fetching the blocks one by one (never other bytes).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, type FaultyServer, serveWithFaults } from '../../../test-support/faulty-http-server.js';
import { type RequestLog, serveLikeObjectStore } from '../../../test-support/http-server.js';
import { streamRange } from '../src/backend-api.js';
import { isBfioError } from '../src/index.js';

/** The range's bytes as streamRange delivers them, each chunk placed where `at` says. */
async function collect(url: string, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let next = 0;
  await streamRange(url, offset, length, (chunk, at) => {
    // In order, no gaps, no overlaps.
    expect(at).toBe(next);
    out.set(chunk, at);
    next = at + chunk.length;
  });
  return out;
}

/** Byte equality (vitest's toEqual walks MiB-long arrays element by element, for seconds). */
const expectSame = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b), 'bytes differ').toBe(0);

const listen = (server: Server) =>
  new Promise<string>((done) =>
    server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
const close = (server: Server) => {
  server.closeAllConnections();
  return new Promise<void>((done) => server.close(() => done()));
};

describe('streamRange', () => {
  let dir: string;
  let file: Uint8Array;
  const saved = { ...process.env };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-stream-range-'));
    // Several MiB: the body comes in many socket reads.
    const bytes = new Uint8Array(5 * 2 ** 20 + 12_345).map((_, i) => (i * 131 + (i >> 12)) % 251);
    writeFileSync(join(dir, 'file.bin'), bytes);
    file = new Uint8Array(readFileSync(join(dir, 'file.bin')));
    process.env.BFIO_HTTP_TIMEOUT_MS = '400';
    process.env.BFIO_HTTP_RETRIES = '1';
    process.env.BFIO_HTTP_BACKOFF_MS = '10';
  });

  afterAll(() => {
    process.env = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the bytes of the file on disk, over one keep-alive connection for sequential requests', async () => {
    const log: RequestLog = [];
    const { server, base } = await serveLikeObjectStore({ d: dir }, log);
    let connections = 0;
    server.on('connection', () => connections++);
    try {
      const ranges = [
        [0, 1],
        [1000, 4 * 2 ** 20],
        [file.length - 77_777, 77_777],
        [3, 65_536],
      ] as const;
      for (const [offset, length] of ranges)
        expectSame(
          await collect(`${base}/d/file.bin`, offset, length),
          file.subarray(offset, offset + length),
        );
      expect(log.map((r) => r.range)).toEqual(ranges.map(([o, n]) => `bytes=${o}-${o + n - 1}`));
      expect(connections).toBe(1);
    } finally {
      await close(server);
    }
  });

  it('a redirect is followed (as fetch follows it); a body longer than the range is an error', async () => {
    const { server: store, base } = await serveLikeObjectStore({ d: dir });
    const front = createServer((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: `${base}/d/file.bin` }).end();
      else if (req.url === '/loop') res.writeHead(307, { location: '/loop' }).end();
      else if (req.url === '/gzip') {
        // A compressed answer (fetch would decode it): not taken as the file's bytes.
        res.writeHead(206, { 'content-range': `bytes 0-9/${file.length}`, 'content-encoding': 'gzip' });
        res.end(gzipSync(file.subarray(0, 10)));
      } else {
        // A 206 starting at the right byte, with more bytes than were asked for.
        const [, a] = /bytes=(\d+)-/.exec(req.headers.range ?? '') ?? [];
        res.writeHead(206, { 'content-range': `bytes ${a}-${Number(a) + 999}/${file.length}` });
        res.end(file.subarray(Number(a), Number(a) + 1000));
      }
    });
    const frontBase = await listen(front);
    try {
      expectSame(await collect(`${frontBase}/moved`, 500, 300_000), file.subarray(500, 300_500));
      const long = await collect(`${frontBase}/long`, 10, 100).catch((e: unknown) => e);
      expect(long).toBeInstanceOf(Error);
      expect((long as Error).message).toMatch(/more than the 100 bytes/);
      const gzip = await collect(`${frontBase}/gzip`, 0, 10).catch((e: unknown) => e);
      expect(gzip).toBeInstanceOf(Error);
      expect((gzip as Error).message).toMatch(/gzip-encoded|bytes came back/);
      const loop = await collect(`${frontBase}/loop`, 0, 10).catch((e: unknown) => e);
      expect(isBfioError(loop, 'network'), String(loop)).toBe(true);
      expect((loop as Error).message).toMatch(/redirects/);
    } finally {
      await close(front);
      await close(store);
    }
  });

  describe('a misbehaving server', () => {
    let server: FaultyServer;
    beforeAll(async () => {
      server = await serveWithFaults();
    });
    afterAll(() => server?.close());

    const attempt = async (fault: Fault) => {
      const url = `${server.register(fault, { root: dir, faults: [fault], percent: 100, salt: 3 })}/file.bin`;
      const started = Date.now();
      const result = await collect(url, 2000, 3 * 2 ** 20).catch((e: unknown) => e);
      server.release(fault);
      return { result, ms: Date.now() - started, url };
    };

    const wording: Partial<Record<Fault, RegExp>> = {
      'stall-headers': /could not be fetched: no response in 0.4 s \(2 attempts\)/,
      'stall-body': /stopped sending/,
      'truncated-body': /the response broke off/,
      drop: /could not be fetched: .* \(2 attempts\)/,
      'status-500': /could not be fetched: HTTP 500 .*\(2 attempts\)/,
    };
    for (const [fault, message] of Object.entries(wording)) {
      it(`${fault}: a network error naming the URL, quickly`, async () => {
        const { result, ms, url } = await attempt(fault as Fault);
        expect(isBfioError(result, 'network'), String(result)).toBe(true);
        expect((result as Error).message).toContain(url);
        expect((result as Error).message).toMatch(message);
        expect(ms).toBeLessThan(5_000);
      });
    }

    for (const fault of ['wrong-content-range', 'short-body', 'ignore-range'] as const) {
      it(`${fault}: a plain error for the caller (it fetches the blocks alone), never other bytes`, async () => {
        const { result } = await attempt(fault);
        expect(result).toBeInstanceOf(Error);
        expect(isBfioError(result), String(result)).toBe(false);
        expect((result as Error).message).toMatch(/range start|bytes came back/);
      });
    }
  });
});
