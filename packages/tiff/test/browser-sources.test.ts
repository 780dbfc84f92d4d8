/**
 * What a browser gives the TIFF reader, tested in Node: a File/Blob (a dropped file, read by `Blob.slice`)
 * and `URL` objects (http(s), and `file:` as a path). Pixels of every level must equal tifffile's reading
 * of the same file. A File that is one part of a multi-file OME-TIFF set has no folder to find the other
 * parts in: that is a typed error saying to open the set by its URL, never zeros or a local-file lookup.
 */
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BioReader, isBfioError } from '@bfio/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { serveLikeObjectStore } from '../../../test-support/http-server.js';
import { levelHashes } from '../../../test-support/level-hashes.js';
import { runPythonJson } from '../../../test-support/python.js';
import '../src/index.js';

const ok = available('data', 'python');

const FILES = [
  'exampletiffs/coffee.tif', // PackBits strips
  'aicsimageio/s_1_t_1_c_1_z_1.tiff', // big-endian uint16
  'exampletiffs/ometiff_testdata/singles/single-channel.ome.tif', // OME-TIFF naming itself in its TiffData
  'hubmap-portal-containers/ome-tiff-tiler_v2_multi-channel.pyramid-8lvl-tile512.ome.tif', // Deflate, SubIFDs
];

/** Per file: sha256 of every level of series 0 as tifffile reads it (little-endian, C order). */
const PEER = `
import hashlib, json, sys, numpy as np, tifffile
out = {}
for rel, path in json.load(sys.stdin).items():
    with tifffile.TiffFile(path) as t:
        levels = []
        for level in t.series[0].levels:
            a = level.asarray()
            a = a.astype(a.dtype.newbyteorder('<'), copy=False)
            levels.append(hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest())
        out[rel] = levels
print(json.dumps(out))
`;

const expected = ok
  ? await runPythonJson<Record<string, string[]>>(
      PEER,
      Object.fromEntries(FILES.map((rel) => [rel, dataPath(rel)])),
    )
  : {};

const fileOf = async (rel: string) => new File([await openAsBlob(dataPath(rel))], basename(rel));

describe.skipIf(!ok)('TIFF sources a browser has', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    ({ server, base } = await serveLikeObjectStore({ data: dataPath('') }, []));
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it.each(FILES)('a File of %s reads as tifffile reads it, every level', async (rel) => {
    const file = await fileOf(rel);
    await using br = await BioReader.open(file);
    expect(br.backendName).toBe('tiff');
    expect(br.path).toBe(basename(rel));
    expect((await levelHashes(br))[0]).toEqual(expected[rel]);
  });

  it('a URL object (http and file:) reads as tifffile reads it', async () => {
    const rel = FILES[3]!;
    await using remote = await BioReader.open(new URL(`${base}/data/${rel}`));
    expect(remote.path).toBe(`${base}/data/${rel}`);
    expect((await levelHashes(remote))[0]).toEqual(expected[rel]);
    await using local = await BioReader.open(pathToFileURL(dataPath(rel)));
    expect(local.path).toBe(dataPath(rel));
    expect((await levelHashes(local))[0]).toEqual(expected[rel]);
  });

  it('a server hiding Content-Range (a cross-origin page sees no unlisted header): the size from HEAD', async () => {
    const rel = FILES[3]!;
    const bytes = await readFile(dataPath(rel));
    let headLength = true;
    const hiding = createServer((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, headLength ? { 'content-length': bytes.length } : {});
        res.end();
        return;
      }
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      const body = range ? bytes.subarray(Number(range[1]), Number(range[2]) + 1) : bytes;
      res.writeHead(range ? 206 : 200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((done) => hiding.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(hiding.address() as AddressInfo).port}/${basename(rel)}`;
    try {
      await using br = await BioReader.open(url);
      expect((await levelHashes(br))[0]).toEqual(expected[rel]);
      headLength = false;
      // Without a size the TIFF backend declines the URL, saying why.
      const err = await BioReader.open(url).catch((e: unknown) => e);
      expect(isBfioError(err), String(err)).toBe(true);
      expect((err as Error).message).toContain('list Content-Range in Access-Control-Expose-Headers');
    } finally {
      await new Promise<void>((done) => hiding.close(() => done()));
    }
  });

  it('a nameless Blob is sniffed by its bytes', async () => {
    const rel = FILES[0]!;
    await using br = await BioReader.open(await openAsBlob(dataPath(rel)));
    expect(br.path).toBe('blob');
    expect((await levelHashes(br))[0]).toEqual(expected[rel]);
  });

  it.each([
    ['the master file', 'multifile-Z1.ome.tiff'],
    ['a BinaryOnly member', 'multifile-Z3.ome.tiff'],
  ])('a File that is %s of a multi-file set is a typed error pointing at its URL', async (_what, name) => {
    const rel = `exampletiffs/ometiff_testdata/multiples/master/${name}`;
    const err = await (async () => {
      await using br = await BioReader.open(await fileOf(rel));
      await br.read({}, { squeeze: false });
    })().catch((e: unknown) => e);
    expect(isBfioError(err, 'unsupported'), String(err)).toBe(true);
    expect((err as Error).message).toContain(name);
    expect((err as Error).message).toMatch(/File\/Blob has no folder.*http\(s\) URL/);
  });

  it('the same set opened by URL reads all its files (as tifffile reads the master)', async () => {
    const rel = 'exampletiffs/ometiff_testdata/multiples/master/multifile-Z3.ome.tiff';
    const [want] = await runPythonJson<string[][]>(
      `
import hashlib, json, sys, numpy as np, tifffile
path = json.load(sys.stdin)
with tifffile.TiffFile(path) as t:
    a = t.series[0].asarray()
print(json.dumps([[hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest(), list(a.shape)]]))
`,
      dataPath('exampletiffs/ometiff_testdata/multiples/master/multifile-Z1.ome.tiff'),
    );
    await using br = await BioReader.open(`${base}/data/${rel}`);
    const { data } = await br.read({}, { squeeze: false, shared: false });
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    expect(br.Z).toBe(5);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(want![0]);
  });
});
