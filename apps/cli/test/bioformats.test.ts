import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, bioformatsJar } from '../../../test-support/env.js';
import { main } from '../src/cli.js';

const ok = available('java', 'bioformats-jar');

async function bfio(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

describe.skipIf(!ok)('bfio bioformats', () => {
  const jar = bioformatsJar()!;
  const sha = createHash('sha256').update(readFileSync(jar)).digest('hex');
  // A loopback server serving the real jar, as a mirror would.
  const server = createServer((req, res) => {
    if (req.url !== '/bioformats_package.jar') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/java-archive' });
    createReadStream(jar).pipe(res);
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bioformats_package.jar`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('install downloads, verifies and caches; a second install reuses the cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'bfio-bf-cache-'));
    const first = await bfio(
      'bioformats',
      'install',
      '--url',
      url,
      '--sha256',
      sha,
      '--cache-dir',
      cache,
      '--json',
    );
    expect(first.code, first.err).toBe(0);
    const r1 = JSON.parse(first.out);
    expect(r1).toMatchObject({ downloaded: true, sha256: sha });
    expect(existsSync(r1.jar)).toBe(true);
    expect(dirname(r1.jar)).toBe(cache);
    const second = await bfio('bioformats', 'install', '--url', url, '--sha256', sha, '--cache-dir', cache);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/already installed/);
  });

  it('install with a wrong checksum fails with exit 2 and caches nothing', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'bfio-bf-bad-'));
    const r = await bfio(
      'bioformats',
      'install',
      '--url',
      url,
      '--sha256',
      '0'.repeat(64),
      '--cache-dir',
      cache,
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/checksum|sha256/i);
    expect(existsSync(join(cache, 'bioformats_package.jar'))).toBe(false);
  });

  it('status reports the jar and the Bio-Formats version the JVM loaded', async () => {
    const r = await bfio('bioformats', 'status', '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    const version = readFileSync(join(dirname(jar), 'VERSION'), 'utf8').trim();
    expect(s.bioformatsVersion).toBe(version);
    expect(s.jar.join(':')).toContain('bioformats_package.jar');
    // The set-up builds the JNI addon (a JDK is part of it): the default route is the fast one.
    if (available('bioformats-jni')) expect(s.transfer).toBe('jni');
  });

  it('usage errors exit 1', async () => {
    expect((await bfio('bioformats')).code).toBe(1);
    expect((await bfio('bioformats', 'frob')).code).toBe(1);
  });
});
