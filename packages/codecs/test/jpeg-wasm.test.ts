/**
 * The WebAssembly JPEG decoder (libjpeg-turbo's TurboJPEG, the browsers' decoder and Node's without the
 * addon) against tifffile and imagecodecs: TIFF JPEG samples (JPEGTables, photometric RGB stored without a
 * transform, YCbCr 4:2:0 strips, tiles cut at the image edge, an Aperio SVS) assemble to exactly tifffile's
 * image; imagecodecs' own streams (grey, RGB 4:4:4 / 4:2:2 / 4:2:0, RGB without transform) decode to exactly
 * imagecodecs' samples. The same through the codec table on a pool worker with the addon switched off, and
 * from an esbuild browser bundle (WASM inlined, no asset, no Node built-in). Bad blocks fail with errors.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import { bundleForBrowser } from '../../../test-support/esbuild-browser.js';
import { runPythonJson } from '../../../test-support/python.js';
import { JPEG_TURBO_SHA256 } from '../src/codecs/jpeg-turbo-wasm.mjs';
import { completeStream, jpegDecodeWasm } from '../src/codecs/jpeg-wasm.mjs';

// Before @bfio/codecs loads (below, dynamically): this file's pool workers inherit it and use the WASM too.
process.env.BFIO_NATIVE_JPEG = '0';
const codecs = await import('../src/index.js');

const ok = available('python', 'data');
const SAMPLES = [
  'exampletiffs/shapes_jpg.tif',
  'image-tiff/images/tiled-jpeg-rgb-u8.tif',
  'image-tiff/images/tiled-jpeg-ycbcr.tif',
  'image-tiff/libtiffpic/quad-jpeg.tif',
  'libvips/CMU-1-Small-Region.svs',
];

interface Page {
  path: string;
  shape: number[];
  photometric: number;
  tables: string | null;
  tiled: boolean;
  blockWidth: number;
  blockHeight: number;
  offsets: number[];
  counts: number[];
  sha256: string;
}
interface Stream {
  name: string;
  photometric: number;
  stream: string;
  decoded: string;
}

const PYTHON = `
import sys, json, base64, hashlib, numpy as np, tifffile, imagecodecs as ic
p = json.load(sys.stdin)
e = lambda b: base64.b64encode(bytes(b)).decode()
pages = []
for path in p['files']:
    with tifffile.TiffFile(path) as t:
        page = t.pages[0]
        assert page.planarconfig == 1 and page.compression == 7, path
        a = page.asarray()
        pages.append({'path': path, 'shape': list(a.shape), 'photometric': int(page.photometric),
            'tables': e(page.jpegtables) if page.jpegtables else None, 'tiled': page.is_tiled,
            'blockWidth': page.tilewidth if page.is_tiled else page.imagewidth,
            'blockHeight': page.tilelength if page.is_tiled else min(page.rowsperstrip, page.imagelength),
            'offsets': [int(o) for o in page.dataoffsets], 'counts': [int(c) for c in page.databytecounts],
            'sha256': hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()})
y, x = np.mgrid[0:203, 0:267]
grey = (((x * 7) ^ (y * 5)) % 256).astype(np.uint8)
rgb = np.stack([grey, (x + 2 * y) % 256, 255 - (x * y) % 256], -1).astype(np.uint8)
streams = []
for name, a, kw, photometric in [
    ('grey', grey, {}, 1),
    ('RGB as YCbCr 4:4:4', rgb, {'subsampling': (1, 1)}, 6),
    ('RGB as YCbCr 4:2:2', rgb, {'subsampling': (2, 1)}, 6),
    ('RGB as YCbCr 4:2:0', rgb, {'subsampling': (2, 2)}, 6),
    ('RGB without transform', rgb, {'colorspace': 'RGB', 'outcolorspace': 'RGB'}, 2),
]:
    s = ic.jpeg8_encode(a, level=80, **kw)
    d = ic.jpeg8_decode(s, **({'colorspace': 'RGB', 'outcolorspace': 'RGB'} if photometric == 2 else {}))
    streams.append({'name': name, 'photometric': photometric, 'stream': e(s), 'decoded': e(d.tobytes())})
print(json.dumps({'pages': pages, 'streams': streams}))
`;

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
type Decode = (block: Uint8Array, params: Record<string, unknown>) => Promise<Uint8Array> | Uint8Array;

/** A TIFF page decoded block by block with `decode` and placed as tifffile places them (edge tiles cut). */
async function assemble(page: Page, decode: Decode): Promise<Uint8Array> {
  const file = readFileSync(page.path);
  const [height, width, samples = 1] = page.shape as [number, number, number?];
  const { blockWidth: bw, blockHeight: bh } = page;
  const image = new Uint8Array(height * width * samples);
  const across = page.tiled ? Math.ceil(width / bw) : 1;
  for (const [i, offset] of page.offsets.entries()) {
    const block = new Uint8Array(file.buffer, file.byteOffset + offset, page.counts[i]!);
    const got = await decode(block, {
      tables: page.tables ? bytes(page.tables) : null,
      photometric: page.photometric,
      outputSize: bw * bh * samples,
    });
    const y0 = Math.floor(i / across) * bh;
    const x0 = (i % across) * bw;
    const rows = Math.min(bh, height - y0, got.length / (bw * samples));
    const cols = Math.min(bw, width - x0);
    for (let r = 0; r < rows; r++) {
      const from = r * bw * samples;
      image.set(got.subarray(from, from + cols * samples), ((y0 + r) * width + x0) * samples);
    }
  }
  return image;
}

describe.skipIf(!ok)('the WebAssembly JPEG decoder against tifffile and imagecodecs', async () => {
  const peer = ok
    ? await runPythonJson<{ pages: Page[]; streams: Stream[] }>(PYTHON, {
        files: SAMPLES.map((s) => dataPath(s)),
      })
    : { pages: [], streams: [] };
  const pool = new codecs.WorkerPool({ maxWorkers: 1 });
  afterAll(() => pool.close());

  it.each(SAMPLES.map((s, i) => [s, i] as const))(
    '%s: every block decodes to tifffile’s samples',
    async (_name, i) => {
      const page = peer.pages[i]!;
      expect(sha(await assemble(page, jpegDecodeWasm))).toBe(page.sha256);
    },
  );

  it.each(peer.streams.map((s) => [s.name, s] as const))(
    'imagecodecs’ %s stream decodes to imagecodecs’ samples',
    async (_name, s) => {
      const want = bytes(s.decoded);
      const got = await jpegDecodeWasm(bytes(s.stream), {
        photometric: s.photometric,
        outputSize: want.length,
      });
      expect(got.length).toBe(want.length);
      expect(sha(got)).toBe(sha(want));
    },
  );

  it('photometric RGB decides: the Aperio tiles decoded by their markers alone (as YCbCr) differ', async () => {
    const svs = peer.pages.find((p) => p.path.endsWith('.svs'))!;
    const asMarkersSay = await assemble(svs, (block, params) =>
      jpegDecodeWasm(block, { ...params, photometric: 1 }),
    );
    expect(sha(asMarkersSay)).not.toBe(svs.sha256);
  });

  it('through the codec table on a pool worker (native addon off) the samples are the same', async () => {
    expect(codecs.implementation('jpeg-decode')).toBe('wasm');
    for (const page of peer.pages.slice(0, 4)) {
      const image = await assemble(page, (block, params) =>
        pool.run('jpeg-decode', block.slice(), params as never),
      );
      expect(sha(image), page.path).toBe(page.sha256);
    }
  });

  it('an esbuild browser bundle decodes the same (WASM inlined, no Node built-in, no asset)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bfio-jpeg-wasm-'));
    try {
      const bundle = await bundleForBrowser(new URL('../src/table.browser.mjs', import.meta.url).pathname);
      expect(bundle.errors).toEqual([]);
      expect(bundle.nodeBuiltins).toEqual([]);
      expect(bundle.inputs).toContain('packages/codecs/src/codecs/jpeg-turbo-wasm.mjs');
      const file = join(dir, 'table.mjs');
      await writeFile(file, bundle.code);
      const table = (await import(pathToFileURL(file).href)).codecs as Record<string, Decode>;
      const page = peer.pages.find((p) => p.path.endsWith('tiled-jpeg-ycbcr.tif'))!;
      expect(sha(await assemble(page, table['jpeg-decode']!))).toBe(page.sha256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the WebAssembly JPEG decoder on bad blocks', () => {
  // shapes_jpg.tif's one strip with its tables: a real stream to damage.
  const page = available('data') ? readFileSync(dataPath('exampletiffs/shapes_jpg.tif')) : undefined;

  it('a wasm inlined from the pinned @cwasm/jpeg-turbo, byte for byte', () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@cwasm/jpeg-turbo/package.json'));
    expect(sha(readFileSync(join(dir, 'jpeg-turbo.wasm')))).toBe(JPEG_TURBO_SHA256);
  });

  it('refuses a block that is not JPEG, and one that decodes to more than outputSize', async () => {
    expect(() => jpegDecodeWasm(new Uint8Array(64).fill(7), { outputSize: 1 << 20 })).toThrow(/SOI marker/);
    const frame = Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 0x10, 0, 0x10, 1, 1, 0x11, 0);
    const scan = Uint8Array.of(0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0, 0xff, 0xd9);
    const tiny = new Uint8Array([...frame, ...scan]);
    expect(() => jpegDecodeWasm(tiny, { outputSize: 255 })).toThrow(/16x16x1 samples, more than its 255/);
    const twelve = tiny.slice();
    twelve[6] = 12;
    expect(() => jpegDecodeWasm(twelve, { outputSize: 256 })).toThrow(/12-bit/);
    expect(() => jpegDecodeWasm(tiny.subarray(0, 9), { outputSize: 256 })).toThrow(/ends inside its header/);
  });

  it.skipIf(!page)(
    'a scan naming a component the frame lacks fails, and the next block decodes',
    async () => {
      const stream = strip(page!);
      // SOS component selectors sit after its length and count; 0x63 is no component of this frame.
      const sos = stream.findIndex((b, i) => b === 0xff && stream[i + 1] === 0xda);
      const bad = stream.slice();
      bad[sos + 5] = 0x63;
      await expect(
        Promise.resolve().then(() => jpegDecodeWasm(bad, { outputSize: 1 << 20 })),
      ).rejects.toThrow(/^JPEG: /);
      const good = await jpegDecodeWasm(stream, { photometric: 2, outputSize: 128 * 72 * 3 });
      expect(good.length).toBe(128 * 72 * 3);
    },
  );
});

/** shapes_jpg.tif's one strip joined to its JPEGTables (a complete stream), from its IFD. */
function strip(file: Buffer): Uint8Array {
  const ifd = file.readUInt32LE(4);
  const entries = file.readUInt16LE(ifd);
  const tag = (id: number) => {
    for (let i = 0; i < entries; i++) {
      const at = ifd + 2 + i * 12;
      if (file.readUInt16LE(at) === id)
        return { count: file.readUInt32LE(at + 4), value: file.readUInt32LE(at + 8) };
    }
    throw new Error(`tag ${id} missing`);
  };
  const tables = tag(347);
  const offset = tag(273).value;
  const count = tag(279).value;
  return completeStream(
    new Uint8Array(file.buffer, file.byteOffset + tables.value, tables.count),
    new Uint8Array(file.buffer, file.byteOffset + offset, count),
    2,
  ).stream;
}
