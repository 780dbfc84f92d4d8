/**
 * HTTP faults the fuzzer's misbehaving server (test-support/faulty-http-server.ts) found: a server that
 * stalls (no headers, or half a body and then nothing) kept a read waiting for minutes; a body cut off
 * mid-way surfaced as a bare `TypeError: terminated`; a 206 carrying other bytes than were asked for was
 * taken as the bytes asked for (wrong pixels). Each is now a `network` error naming the URL, or an error
 * the caller words (a short or misplaced answer), quickly; a server that ignores Range still gives the
 * right bytes. The file on disk is the reference.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, type FaultyServer, serveWithFaults } from '../../../test-support/faulty-http-server.js';
import { fetchBytes } from '../src/backend-api.js';
import { isBfioError } from '../src/index.js';

describe('a misbehaving HTTP server', () => {
  let dir: string;
  let server: FaultyServer;
  let bytes: Uint8Array;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bfio-hostile-http-'));
    bytes = new Uint8Array(200_000).map((_, i) => (i * 31) % 251);
    writeFileSync(join(dir, 'file.bin'), bytes);
    server = await serveWithFaults();
    process.env.BFIO_HTTP_TIMEOUT_MS = '400';
    process.env.BFIO_HTTP_RETRIES = '1';
    process.env.BFIO_HTTP_BACKOFF_MS = '10';
  });

  afterAll(async () => {
    process.env = saved;
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const range = { offset: 1000, length: 50_000 };
  const fetchWith = async (fault: Fault) => {
    const url = `${server.register(fault, { root: dir, faults: [fault], percent: 100, salt: 1 })}/file.bin`;
    const started = Date.now();
    const result = await fetchBytes(url, range).catch((e: unknown) => e);
    server.release(fault);
    return { result, ms: Date.now() - started, url };
  };

  for (const fault of ['stall-headers', 'stall-body', 'truncated-body'] as const) {
    it(`${fault}: a network error naming the URL, within the timeout and retries`, async () => {
      const { result, ms, url } = await fetchWith(fault);
      expect(isBfioError(result, 'network'), String(result)).toBe(true);
      expect((result as Error).message).toContain(url);
      expect(ms).toBeLessThan(5_000);
    });
  }

  for (const fault of ['wrong-content-range', 'short-body'] as const) {
    it(`${fault}: an error, never other bytes`, async () => {
      const { result } = await fetchWith(fault);
      expect(result).toBeInstanceOf(Error);
      expect((result as Error).message).toMatch(/the server sent bytes|bytes came back/);
    });
  }

  it('ignore-range: the right bytes, cut from the whole file', async () => {
    const { result } = await fetchWith('ignore-range');
    const want = new Uint8Array(
      readFileSync(join(dir, 'file.bin')).subarray(range.offset, range.offset + range.length),
    );
    expect(result).toEqual(want);
  });

  it('status-500: a network error after the retries', async () => {
    const { result, url } = await fetchWith('status-500');
    expect(isBfioError(result, 'network'), String(result)).toBe(true);
    expect((result as Error).message).toContain(url);
  });
});
