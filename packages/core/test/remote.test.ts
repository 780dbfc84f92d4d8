/**
 * fetchWithRetry against a loopback server that fails on purpose: transient failures (503 with Retry-After,
 * dropped connections) are retried until the answer comes; a 404 is an answer (no retry); failures that
 * persist become a `network` BfioError naming the URL, after the configured attempts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Flaky, type RequestLog, serveLikeObjectStore } from '../../../test-support/http-server.js';
import { fetchBytes, fetchWithRetry } from '../src/backend-api.js';
import { isBfioError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bfio-retry-'));
writeFileSync(join(dir, 'file.bin'), Buffer.from('0123456789'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withServer(flaky: Flaky | undefined, use: (base: string, log: RequestLog) => Promise<void>) {
  const log: RequestLog = [];
  const { server, base } = await serveLikeObjectStore({ d: dir }, log, flaky);
  try {
    await use(base, log);
  } finally {
    await new Promise<void>((done) => (server as Server).close(() => done()));
  }
}

describe('fetchWithRetry', () => {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.BFIO_HTTP_RETRIES;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.BFIO_HTTP_RETRIES;
    else process.env.BFIO_HTTP_RETRIES = saved;
  });

  it('retries 503 (Retry-After) and dropped connections until the data comes', async () => {
    for (const failWith of [503, 'drop'] as const) {
      await withServer({ times: 2, failWith }, async (base, log) => {
        const r = await fetchWithRetry(
          `${base}/d/file.bin`,
          { headers: { Range: 'bytes=2-4' } },
          { baseDelayMs: 5 },
        );
        expect(r.status).toBe(206);
        expect(await r.text()).toBe('234');
        expect(log.length).toBe(3);
      });
    }
  });

  it('a Request object is sent again intact (zarrita passes Requests)', async () => {
    await withServer({ times: 1, failWith: 502 }, async (base) => {
      const r = await fetchWithRetry(new Request(`${base}/d/file.bin`), undefined, { baseDelayMs: 5 });
      expect(await r.text()).toBe('0123456789');
    });
  });

  it('a 404 is an answer, returned at once', async () => {
    await withServer(undefined, async (base, log) => {
      const r = await fetchWithRetry(`${base}/d/missing.bin`);
      expect(r.status).toBe(404);
      expect(log.length).toBe(1);
    });
  });

  it('persistent failures give a network error naming the URL, after 1 + retries attempts', async () => {
    await withServer({ times: 100, failWith: 500 }, async (base, log) => {
      const url = `${base}/d/file.bin`;
      const err = await fetchWithRetry(url, undefined, { retries: 2, baseDelayMs: 5 }).catch(
        (e: unknown) => e,
      );
      expect(isBfioError(err, 'network'), String(err)).toBe(true);
      expect((err as Error).message).toContain(url);
      expect((err as Error).message).toMatch(/HTTP 500 .*3 attempts/);
      expect(log.length).toBe(3);
    });
    // Nobody listening (a port just freed): connection refused, no retry with BFIO_HTTP_RETRIES=0.
    const { server, base } = await serveLikeObjectStore({ d: dir });
    await new Promise<void>((done) => server.close(() => done()));
    process.env.BFIO_HTTP_RETRIES = '0';
    const err = await fetchWithRetry(`${base}/d/file.bin`).catch((e: unknown) => e);
    expect(isBfioError(err, 'network'), String(err)).toBe(true);
    expect((err as Error).message).toContain(base);
    expect((err as Error).message).toMatch(/ECONNREFUSED \(1 attempt\)/);
  });
});

describe('fetchBytes', () => {
  it('ranges, suffixes and whole files; the same from a server that ignores Range; 404 is undefined', async () => {
    for (const ranges of [true, false]) {
      const { server, base } = await serveLikeObjectStore({ d: dir }, [], undefined, { ranges });
      try {
        const url = `${base}/d/file.bin`;
        const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();
        expect(text(await fetchBytes(url, { offset: 3, length: 4 }))).toBe('3456');
        expect(text(await fetchBytes(url, { suffix: 3 }))).toBe('789');
        expect(text(await fetchBytes(url))).toBe('0123456789');
        expect(await fetchBytes(`${base}/d/missing.bin`, { offset: 0, length: 1 })).toBeUndefined();
        await expect(fetchBytes(url, { offset: 8, length: 5 })).rejects.toThrow(/bytes came back|HTTP 416/);
      } finally {
        await new Promise<void>((done) => server.close(() => done()));
      }
    }
  });
});
