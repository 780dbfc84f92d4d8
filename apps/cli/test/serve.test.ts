/**
 * `bfio serve` as a real process over a temporary folder of symlinks to samples (allowed with
 * --symlinks-into ../shared/data): zarr-python over HTTP (fsspec/aiohttp) and ome-zarr-py read every level
 * of every series of an OME-TIFF pyramid, a plain (RGB, LZW-tiled) TIFF, an OME-Zarr and the Bio-Formats
 * formats (CZI, LIF, ND2, DV), equal to tifffile / zarr-python reading the source, and for Bio-Formats
 * sources to Bio-Formats' own read through @bfio/bioformats-java (hashes); NGFF 0.5 and 0.4 (zstd chunks)
 * servers both; metadata valid against the NGFF schemas. Then the hostile requests (traversal, encoded
 * traversal, absolute targets, a symlink out of the folder, a symlink retargeted after start, bad ranges,
 * malformed keys, other methods, a foreign Host) get 4xx and never the secret outside the folder; 50
 * concurrent clients get every answer right with the server's memory bounded; SIGTERM ends it with code 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader } from '@bfio/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, DATA_DIR, dataPath, REPO_ROOT } from '../../../test-support/env.js';
import { levelHashes } from '../../../test-support/level-hashes.js';
import { freePort, waitFor } from '../../../test-support/net.js';
import { runPythonJson } from '../../../test-support/python.js';

const BIN = join(REPO_ROOT, 'apps', 'cli', 'src', 'bin.ts');
const withJava = available('java', 'bioformats-jar');

interface Image {
  link: string;
  sample: string;
  kind: 'tiff' | 'zarr' | 'bioformats';
}

const IMAGES: Image[] = [
  {
    link: 'pyramid.ome.tif',
    sample: 'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif',
    kind: 'tiff',
  },
  { link: 'shapes.tif', sample: 'exampletiffs/shapes_lzw_tiled.tif', kind: 'tiff' },
  {
    link: '4d-series.ome.tif',
    sample: 'exampletiffs/ometiff_testdata/singles/4D-series.ome.tif',
    kind: 'tiff',
  },
  { link: 'image-04.zarr', sample: 'ome-zarr-examples/valid/image-04.zarr', kind: 'zarr' },
  // bioformats2raw layout, 3 series, levels of their own.
  { link: 'cmu.ome.zarr', sample: 'tiledb-bioimaging/CMU-1-Small-Region.ome.zarr', kind: 'zarr' },
  ...(withJava
    ? ([
        { link: 's1.czi', sample: 'aicsimageio/s_1_t_1_c_1_z_1.czi', kind: 'bioformats' },
        { link: 'tcz.czi', sample: 'aicspylibczi/CD_s_1_t_3_c_2_z_5.czi', kind: 'bioformats' },
        { link: 'sweep.lif', sample: 'readlif/LeicaLASX_wavelength-sweep_example.lif', kind: 'bioformats' },
        { link: 'cluster.nd2', sample: 'pims/cluster.nd2', kind: 'bioformats' },
        { link: 'toxo.dv', sample: 'mrc/toxo.dv', kind: 'bioformats' },
      ] as Image[])
    : []),
];

const served = (i: Image) => `${i.link.replace(/(\.ome)?\.[^.]+$/, '')}.ome.zarr`;
/** Read from the NGFF 0.4 (zstd) server too. */
const ONLY_04 = new Set(['pyramid.ome.tif', 'image-04.zarr', 's1.czi']);
const SECRET = 'bfio-serve-test-secret-7c1f0e';

interface Server {
  child: ChildProcess;
  base: string;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

async function startServer(dir: string, ...flags: string[]): Promise<Server> {
  const port = await freePort();
  const args = ['--import', 'tsx', BIN, 'serve', dir, '--port', String(port), '--symlinks-into', DATA_DIR];
  const child = spawn(process.execPath, [...args, ...flags], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(`bfio serve on port ${port}`, () => out.includes(`http://127.0.0.1:${port}/`), 60_000);
  return { child, base: `http://127.0.0.1:${port}/`, out: () => out, err: () => err, exited };
}

/** A GET (or other method) with the path sent exactly as given: fetch would normalise '..' away. */
function raw(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
}

/** Bio-Formats' own read (through @bfio/bioformats-java) of every level of every series, hashed in t,c,z,y,x order. */
async function bioformatsHashes(path: string): Promise<string[][]> {
  await import('@bfio/bioformats-java');
  await using br = await BioReader.open(path, { backend: 'bioformats' });
  return await levelHashes(br);
}

interface PeerLevel {
  shape: number[];
  dtype: string;
  sha256: string;
  equal?: boolean;
}
type PeerImage =
  | {
      zarr_format: number;
      layout: string;
      series: Array<{ levels: PeerLevel[]; omezarr_equal: boolean; omezarr_axes: string[] }>;
    }
  | { error: string };

/** Validators of the NGFF schemas in ../shared/data/ngff-spec, by version and kind. */
function ngffValidators() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  for (const version of ['0.4', '0.5']) {
    const dir = dataPath(`ngff-spec/${version}/schemas`);
    for (const f of readdirSync(dir))
      ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')), `${version}/${f}`);
  }
  return (version: string, kind: 'image' | 'bf2raw', doc: unknown): string | true => {
    const validate = ajv.getSchema(`${version}/${kind}.schema`)!;
    return validate(doc) ? true : ajv.errorsText(validate.errors);
  };
}

describe.skipIf(!available('data', 'python'))('bfio serve', () => {
  const root = mkdtempSync(join(tmpdir(), 'bfio-serve-'));
  const dir = join(root, 'served');
  const outside = join(root, 'outside');
  let v05: Server;
  let v04: Server;
  let peers: Array<Record<string, PeerImage>>;
  const bfHashes = new Map<string, string[][]>();

  beforeAll(async () => {
    mkdirSync(dir);
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.tif'), `${SECRET}\n`);
    for (const i of IMAGES) symlinkSync(dataPath(i.sample), join(dir, i.link));
    // Leads out of the folder (and not into --symlinks-into): never served.
    symlinkSync(join(outside, 'secret.tif'), join(dir, 'escape.tif'));
    symlinkSync(join(outside), join(dir, 'escape-dir.zarr'));
    // A damaged file: its requests fail with a 500 and a log line, the others are not disturbed.
    writeFileSync(join(dir, 'broken.tif'), readFileSync(dataPath(IMAGES[1]!.sample)).subarray(0, 64));
    // Inside at start, retargeted outside once the server runs.
    symlinkSync(dataPath(IMAGES[1]!.sample), join(dir, 'late.tif'));
    [v05, v04] = await Promise.all([
      startServer(dir, '--cors', '*'),
      startServer(dir, '--ngff-version', '0.4', '--codec', 'zstd'),
    ]);

    const spec = (images: Image[]) =>
      images.map((i) => ({ name: served(i), kind: i.kind, source: dataPath(i.sample) }));
    const script = ['./tczyx.py', './serve-peer.py']
      .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8'))
      .join('\n');
    const [py] = await Promise.all([
      runPythonJson<Array<Record<string, PeerImage>>>(
        script,
        [
          { base: v05.base, images: spec(IMAGES) },
          { base: v04.base, images: spec(IMAGES.filter((i) => ONLY_04.has(i.link))) },
        ],
        240_000,
      ),
      (async () => {
        for (const i of IMAGES.filter((x) => x.kind === 'bioformats')) {
          bfHashes.set(served(i), await bioformatsHashes(dataPath(i.sample)));
        }
      })(),
    ]);
    peers = py;
  }, 240_000);

  afterAll(async () => {
    for (const s of [v05, v04]) if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('lists the images it serves, and not the symlinks leading out', async () => {
    const index = (await (await fetch(v05.base)).json()) as { images: Array<{ name: string }> };
    const names = index.images.map((i) => i.name).sort();
    expect(names).toEqual([...IMAGES.map(served), 'late.ome.zarr', 'broken.ome.zarr'].sort());
    const html = await raw(v05.base, '/', { headers: { accept: 'text/html' } });
    expect(html.headers['content-type']).toMatch(/text\/html/);
    for (const n of names) expect(html.body.toString()).toContain(n);
    expect(v05.err()).toMatch(/not serving escape\.tif: it resolves outside/);
  });

  for (const [which, version] of [
    [0, '0.5'],
    [1, '0.4'],
  ] as const) {
    it(`zarr-python and ome-zarr-py read every level and series (NGFF ${version}) equal to the sources`, () => {
      const results = peers[which]!;
      const names = Object.keys(results);
      expect(names.length).toBe(version === '0.5' ? IMAGES.length : withJava ? 3 : 2);
      for (const name of names) {
        const r = results[name]!;
        if ('error' in r) throw new Error(`${name}: ${r.error}`);
        expect(r.zarr_format, name).toBe(version === '0.5' ? 3 : 2);
        const hashes = bfHashes.get(name);
        if (hashes) expect(r.series.length, `${name}: series`).toBe(hashes.length);
        for (const [s, series] of r.series.entries()) {
          expect(series.omezarr_equal, `${name} series ${s}: ome-zarr-py`).toBe(true);
          expect(series.omezarr_axes).toEqual(['t', 'c', 'z', 'y', 'x']);
          if (hashes) {
            expect(
              series.levels.map((l) => l.sha256),
              `${name} series ${s}: Bio-Formats' pixels`,
            ).toEqual(hashes[s]);
          } else {
            for (const [k, l] of series.levels.entries())
              expect(l.equal, `${name} level ${k}: ${JSON.stringify(l)}`).toBe(true);
          }
        }
      }
      // The pyramid is served with all 8 of its levels.
      const pyramid = results['pyramid.ome.zarr'] as Exclude<PeerImage, { error: string }>;
      expect(pyramid.series[0]!.levels).toHaveLength(8);
    });
  }

  it('serves metadata valid against the NGFF 0.5 and 0.4 schemas', async () => {
    const check = ngffValidators();
    for (const [server, version] of [
      [v05, '0.5'],
      [v04, '0.4'],
    ] as const) {
      for (const i of version === '0.5' ? IMAGES : IMAGES.filter((x) => ONLY_04.has(x.link))) {
        const name = served(i);
        const doc = version === '0.5' ? 'zarr.json' : '.zattrs';
        const get = async (p: string) => {
          const attrs = (await (await fetch(`${server.base}${name}/${p}`)).json()) as Record<string, unknown>;
          return version === '0.5' ? attrs.attributes : attrs;
        };
        const top = (await get(doc)) as Record<string, Record<string, unknown>>;
        const bf2raw = 'bioformats2raw.layout' in (version === '0.5' ? top.ome! : top);
        const groups = bf2raw
          ? (peers[0]![name] as { series: unknown[] }).series.map((_, s) => `${s}/`)
          : [''];
        if (bf2raw) expect(check(version, 'bf2raw', top), `${name} ${version}`).toBe(true);
        for (const g of groups) {
          expect(
            check(version, 'image', bf2raw ? await get(`${g}${doc}`) : top),
            `${name}/${g} ${version}`,
          ).toBe(true);
        }
      }
    }
  });

  it('answers HEAD, byte ranges (suffix too) and CORS preflights', async () => {
    const key = '/pyramid.ome.zarr/0/c/0/1/0/0/0';
    const full = await raw(v05.base, key);
    expect(full.status).toBe(200);
    const head = await raw(v05.base, key, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(full.body.length);
    expect(head.body.length).toBe(0);
    const part = await raw(v05.base, key, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${full.body.length}`);
    expect(part.body.equals(full.body.subarray(100, 200))).toBe(true);
    const suffix = await raw(v05.base, key, { headers: { range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    expect(suffix.body.equals(full.body.subarray(-10))).toBe(true);
    const open = await raw(v05.base, key, { headers: { range: `bytes=${full.body.length - 5}-999999999` } });
    expect(open.body.equals(full.body.subarray(-5))).toBe(true);
    const pre = await raw(v05.base, key, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://viewer.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'range',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(String(pre.headers['access-control-allow-methods'])).toContain('GET');
    expect(String(pre.headers['access-control-allow-headers']).toLowerCase()).toContain('range');
    expect(full.headers['access-control-allow-origin']).toBe('*');
    // Without --cors, no CORS headers.
    expect(
      (await raw(v04.base, '/pyramid.ome.zarr/.zattrs')).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });

  it('refuses traversal, escapes, bad ranges, malformed keys and writes with 4xx, never leaking outside files', async () => {
    const key = '/pyramid.ome.zarr/zarr.json';
    const size = (await raw(v05.base, key)).body.length;
    const cases: Array<[string, { method?: string; headers?: Record<string, string> }, number[]]> = [
      ['/../outside/secret.tif', {}, [400]],
      ['/pyramid.ome.zarr/../../outside/secret.tif', {}, [400]],
      ['/%2e%2e/outside/secret.tif', {}, [400]],
      ['/pyramid.ome.zarr/%2e%2e%2f%2e%2e%2foutside%2fsecret.tif', {}, [400]],
      ['/pyramid.ome.zarr/..%5c..%5csecret.tif', {}, [400]],
      ['//outside/secret.tif', {}, [400]],
      [`/${encodeURIComponent(join(outside, 'secret.tif'))}`, {}, [400]],
      [`${join(outside, 'secret.tif')}`, {}, [404]],
      [`http://127.0.0.1/${join(outside, 'secret.tif')}`, {}, [400]],
      ['/pyramid.ome.zarr/zarr.json%00.png', {}, [400]],
      ['/pyramid.ome.zarr/%zz', {}, [400]],
      ['/escape.ome.zarr/zarr.json', {}, [404]],
      ['/escape.tif', {}, [404]],
      ['/escape-dir.ome.zarr/secret.tif', {}, [404]],
      ['/pyramid.ome.zarr/0/c/0/0/0/99/0', {}, [404]],
      ['/pyramid.ome.zarr/0/c/0/0/0/0/00', {}, [404]],
      ['/pyramid.ome.zarr/0/c/0/-1/0/0/0', {}, [404]],
      ['/pyramid.ome.zarr/0/c/0/0/0/0/0/0', {}, [404]],
      [`/pyramid.ome.zarr/${'a/'.repeat(2000)}zarr.json`, {}, [404]],
      ['/pyramid.ome.zarr/9/zarr.json', {}, [404]],
      [key, { headers: { range: 'bytes=99999999999999999999-' } }, [416]],
      [key, { headers: { range: `bytes=${size}-` } }, [416]],
      [key, { headers: { range: 'bytes=20-10' } }, [416]],
      [key, { headers: { range: 'bytes=-0' } }, [416]],
      [key, { headers: { range: 'bytes=abc' } }, [416]],
      [key, { headers: { range: 'pages' } }, [416]],
      [key, { method: 'PUT' }, [405]],
      [key, { method: 'POST' }, [405]],
      [key, { method: 'DELETE' }, [405]],
      [key, { headers: { host: 'evil.example' } }, [421]],
    ];
    for (const [path, options, statuses] of cases) {
      const r = await raw(v05.base, path, options);
      expect(
        statuses,
        `${options.method ?? 'GET'} ${path.slice(0, 80)} ${JSON.stringify(options.headers ?? {})}: ${r.status} ${r.body.toString().slice(0, 120)}`,
      ).toContain(r.status);
      expect(r.body.toString()).not.toContain(SECRET);
    }
    expect((await raw(v05.base, key, { method: 'DELETE' })).headers.allow).toBe('GET, HEAD, OPTIONS');
    // A symlink retargeted out of the folder after the server listed it: refused at the next request.
    expect((await raw(v05.base, '/late.ome.zarr/zarr.json')).status).toBe(200);
    rmSync(join(dir, 'late.tif'));
    symlinkSync(join(outside, 'secret.tif'), join(dir, 'late.tif'));
    const late = await raw(v05.base, '/late.ome.zarr/zarr.json');
    expect(late.status).toBe(403);
    expect(late.body.toString()).not.toContain(SECRET);
    const broken = await raw(v05.base, '/broken.ome.zarr/zarr.json');
    expect(broken.status).toBe(500);
    expect(JSON.parse(broken.body.toString()).error).toMatch(/broken\.tif/);
    await waitFor('the 500 log line', () => / 500 GET \/broken\.ome\.zarr/.test(v05.err()), 5000);
    // One log line per refused request (404s aside), each naming status, method and target (stderr may
    // reach us after the response).
    await waitFor('the 403 log line', () => / 403 GET \/late\.ome\.zarr/.test(v05.err()), 5000);
    const log = v05.err();
    expect(log).toMatch(/^bfio serve: 400 GET \/\.\.\/outside\/secret\.tif: /m);
    expect(log).toMatch(/^bfio serve: 405 DELETE \/pyramid\.ome\.zarr\/zarr\.json: /m);
    expect(log).toMatch(/^bfio serve: 403 GET \/late\.ome\.zarr\/zarr\.json: /m);
    expect(log).not.toContain(SECRET);
  });

  it('keeps serving 50 concurrent clients: every answer right, memory bounded', async () => {
    const keys = [
      ...Array.from({ length: 8 }, (_, k) => `pyramid.ome.zarr/${k}/c/0/${k % 3}/0/0/0`),
      'pyramid.ome.zarr/zarr.json',
      'image-04.ome.zarr/0/c/0/0/0/0/0',
      'image-04.ome.zarr/1/c/0/0/1/0/0',
      'shapes.ome.zarr/0/c/0/2/0/0/0',
      ...(withJava ? ['s1.ome.zarr/0/c/0/0/0/0/0', 'toxo.ome.zarr/0/c/0/1/16/0/0'] : []),
    ];
    const want = new Map<string, string>();
    for (const k of keys) {
      const r = await fetch(v05.base + k);
      expect(r.status, k).toBe(200);
      want.set(
        k,
        createHash('sha256')
          .update(Buffer.from(await r.arrayBuffer()))
          .digest('hex'),
      );
    }
    const pid = v05.child.pid!;
    const before = rss(pid);
    const PER_CLIENT = 12;
    let answered = 0;
    const errors: string[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async (_, client) => {
        for (let i = 0; i < PER_CLIENT; i++) {
          const k = keys[(client * 7 + i) % keys.length]!;
          try {
            const r = await fetch(v05.base + k);
            const body = Buffer.from(await r.arrayBuffer());
            if (r.status !== 200) errors.push(`${k}: ${r.status}`);
            else if (createHash('sha256').update(body).digest('hex') !== want.get(k))
              errors.push(`${k}: other bytes`);
            answered++;
          } catch (e) {
            errors.push(`${k}: ${(e as Error).message}`);
          }
        }
      }),
    );
    const after = rss(pid);
    expect(errors).toEqual([]);
    expect(answered).toBe(50 * PER_CLIENT);
    expect(after - before, `RSS ${before} → ${after}`).toBeLessThan(256 * 2 ** 20);
    expect(after).toBeLessThan(2 * 2 ** 30);
  }, 60_000);

  it('stops on SIGTERM after its requests, closing its readers, with exit code 0', async () => {
    const pending = fetch(`${v04.base}pyramid.ome.zarr/0/0/0/0/0/0`).then((r) => r.status);
    await new Promise((r) => setTimeout(r, 20));
    for (const s of [v05, v04]) s.child.kill('SIGTERM');
    const codes = await Promise.all([v05.exited, v04.exited]);
    expect(codes).toEqual([0, 0]);
    for (const s of [v05, v04]) expect(s.out()).toMatch(/bfio serve: stopped on SIGTERM \(\d+ ok/);
    // The request sent before the signal was answered (or, if it arrived after, refused, not cut off).
    expect([200, 503]).toContain(await pending.catch(() => 503));
    await expect(fetch(v05.base)).rejects.toThrow();
  }, 30_000);
});
