/**
 * installBioformats against a loopback HTTP server serving the REAL jar: a good install, concurrent installs,
 * a bad checksum and a dropped connection (nothing cached in the failing cases).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBfioError } from '@bfio/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { available, bioformatsJar } from '../../../test-support/env.js';
import { installBioformats } from '../src/install.js';

const ok = available('bioformats-jar');

describe.skipIf(!ok)('installBioformats', () => {
  const jarBytes = ok ? readFileSync(bioformatsJar()!) : Buffer.alloc(0);
  const sha = createHash('sha256').update(jarBytes).digest('hex');
  const tmp = mkdtempSync(join(tmpdir(), 'bfio-install-'));
  let server: Server;
  let base = '';
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/jar') {
        res.writeHead(200, { 'content-length': jarBytes.length });
        // Two writes so concurrent downloads genuinely overlap.
        res.write(jarBytes.subarray(0, 1 << 20));
        setTimeout(() => res.end(jarBytes.subarray(1 << 20)), 20);
      } else if (req.url === '/drop') {
        res.writeHead(200, { 'content-length': jarBytes.length });
        res.write(jarBytes.subarray(0, 3 << 20), () => setTimeout(() => res.socket?.destroy(), 10));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(tmp, { recursive: true, force: true });
  });

  const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

  test('downloads, verifies and caches the real jar; a second install reuses it', async () => {
    const cacheDir = join(tmp, 'good');
    const r = await installBioformats({ url: `${base}/jar`, sha256: sha, cacheDir });
    expect(r.downloaded).toBe(true);
    expect(createHash('sha256').update(readFileSync(r.jar)).digest('hex')).toBe(sha);
    expect(readFileSync(join(cacheDir, 'VERSION'), 'utf8').trim()).toBe('7.3.1');
    const before = requests;
    const again = await installBioformats({ url: `${base}/jar`, sha256: sha, cacheDir });
    expect(again.downloaded).toBe(false);
    expect(requests).toBe(before);
  });

  test('concurrent installs leave one whole, verified jar and no temp files', async () => {
    const cacheDir = join(tmp, 'concurrent');
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        installBioformats({ url: `${base}/jar`, sha256: sha, cacheDir, force: true }),
      ),
    );
    expect(results.every((r) => r.downloaded)).toBe(true);
    expect(
      createHash('sha256')
        .update(readFileSync(join(cacheDir, 'bioformats_package.jar')))
        .digest('hex'),
    ).toBe(sha);
    expect(temps(cacheDir)).toEqual([]);
  });

  test('a bad checksum is rejected and nothing is cached', async () => {
    const cacheDir = join(tmp, 'badsum');
    const err = await installBioformats({ url: `${base}/jar`, sha256: '0'.repeat(64), cacheDir }).catch(
      (e: unknown) => e,
    );
    expect(isBfioError(err, 'java-unavailable')).toBe(true);
    expect((err as Error).message).toContain(`has sha256 ${sha}`);
    expect(existsSync(join(cacheDir, 'bioformats_package.jar'))).toBe(false);
    expect(temps(cacheDir)).toEqual([]);
  });

  test('a dropped connection is an error and nothing is cached', async () => {
    const cacheDir = join(tmp, 'drop');
    const err = await installBioformats({ url: `${base}/drop`, sha256: sha, cacheDir }).catch(
      (e: unknown) => e,
    );
    expect(isBfioError(err, 'java-unavailable')).toBe(true);
    expect((err as Error).message).toMatch(/broke off|ended after/);
    expect(existsSync(join(cacheDir, 'bioformats_package.jar'))).toBe(false);
    expect(temps(cacheDir)).toEqual([]);
  });

  test('an HTTP error names the status', async () => {
    const err = await installBioformats({
      url: `${base}/missing`,
      sha256: sha,
      cacheDir: join(tmp, 'e404'),
    }).catch((e: unknown) => e);
    expect(isBfioError(err, 'java-unavailable')).toBe(true);
    expect((err as Error).message).toContain('HTTP 404');
  });
});
