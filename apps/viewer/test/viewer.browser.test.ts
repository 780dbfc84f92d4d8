/**
 * The viewer in headless Chromium: the page built by Vite, a pyramidal OME-TIFF (written by tifffile in
 * this run) served with Range and CORS from another origin. It opens the image, the test sets every channel's contrast and colour through the
 * panel and zooms in with the toolbar; the canvas must then hold exactly the rendering of that region
 * that the documented formula (src/composite.ts, recomputed here) gives from tifffile's pixels.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test-support/browser/chromium.js';
import { runInPage, saveScreenshot } from '../../../test-support/browser/page.js';
import { type BrowserTestServers, startBrowserTestServers } from '../../../test-support/browser/servers.js';
import { available } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

const APP = new URL('..', import.meta.url).pathname;
const ARTIFACTS = join(APP, 'test', 'artifacts');

/**
 * The sample, written by tifffile in this run: an OME-TIFF of 3 named uint16 channels, 1024×768, Deflate
 * 128² tiles, and 3 SubIFD levels (512×384, 256×192, 128×96), so a fitted view reads a coarse level and
 * a zoomed one a few tiles of level 0. Every pixel differs from its neighbours (noise over gradients).
 */
const WRITE = `
import json, sys
import numpy as np, tifffile
path = json.load(sys.stdin)
rng = np.random.default_rng(11)
y, x = np.mgrid[0:768, 0:1024]
data = np.stack([(x * 4 + c * 700 + (y // 32) * 90) % 4096 for c in range(3)]).astype('uint16')
data += rng.integers(0, 200, size=data.shape, dtype='uint16')
opts = dict(tile=(128, 128), compression='zlib', photometric='minisblack')
with tifffile.TiffWriter(path, ome=True) as tif:
    tif.write(data, subifds=3, metadata={'axes': 'CYX', 'Channel': {'Name': ['DAPI', 'GFP', 'RFP']},
              'PhysicalSizeX': 0.25, 'PhysicalSizeY': 0.25}, **opts)
    for level in range(1, 4):
        tif.write(data[:, :: 2 ** level, :: 2 ** level], subfiletype=1, **opts)
with tifffile.TiffFile(path) as tif:
    levels, tiles = [], []
    for n, lev in enumerate(tif.series[0].levels):
        a = lev.asarray()
        levels.append({'shape': list(a.shape), 'pixels': base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()})
        for c, page in enumerate(lev.pages):
            page = page.aspage()  # tifffile shares tags between pages as TiffFrames
            across = -(-page.imagewidth // page.tilewidth)
            for i, (o, m) in enumerate(zip(page.dataoffsets, page.databytecounts)):
                tiles.append({'level': n, 'c': c, 'tx': i % across, 'ty': i // across, 'start': int(o), 'end': int(o + m - 1)})
print(json.dumps({'levels': levels, 'tiles': tiles, 'tileSize': 128}))
`.replace('import json, sys', 'import base64, json, sys');

/** Each channel's look, as the test sets it through the panel. */
const LOOKS = [
  { min: 500, max: 3000, hex: '#ff0000', rgb: [255, 0, 0] },
  { min: 0, max: 4095, hex: '#00ff00', rgb: [0, 255, 0] },
  { min: 1000, max: 2000, hex: '#00ffff', rgb: [0, 255, 255] },
] as const;

interface PeerLevel {
  shape: [number, number, number]; // C, Y, X
  pixels: string; // base64 uint16 (little-endian), C order
}
interface PeerTile {
  level: number;
  c: number;
  tx: number;
  ty: number;
  start: number;
  end: number;
}
interface Peer {
  levels: PeerLevel[];
  tiles: PeerTile[];
  tileSize: number;
}

interface Snapshot {
  source: string;
  camera: { x0: number; y0: number; scale: number };
  level: number;
  canvas: { width: number; height: number };
}

/**
 * The expected canvas, from tifffile's level pixels: canvas pixel (i, j) shows the level pixel under its
 * centre, floor(x0 + (i + 0.5) / scale) in level pixels; outside the image it is black. Colours by the
 * formula of src/composite.ts, written out again here.
 */
function expectedCanvas(level: PeerLevel, factor: number, snap: Snapshot): Uint8Array {
  const [nc, ny, nx] = level.shape;
  const bytes = Buffer.from(level.pixels, 'base64');
  const pixels = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  const { width, height } = snap.canvas;
  const scale = snap.camera.scale * factor;
  const x0 = snap.camera.x0 / factor;
  const y0 = snap.camera.y0 / factor;
  const out = new Uint8Array(width * height * 4);
  for (let j = 0; j < height; j++) {
    const y = Math.floor(y0 + (j + 0.5) / scale);
    for (let i = 0; i < width; i++) {
      const x = Math.floor(x0 + (i + 0.5) / scale);
      const k = 4 * (j * width + i);
      out[k + 3] = 255;
      if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
      const sum = [0, 0, 0];
      for (let c = 0; c < nc; c++) {
        const { min, max, rgb } = LOOKS[c]!;
        const v = Math.min(1, Math.max(0, (pixels[c * ny * nx + y * nx + x]! - min) / (max - min)));
        for (let s = 0; s < 3; s++) sum[s]! += v * rgb[s]!;
      }
      for (let s = 0; s < 3; s++) out[k + s] = Math.min(255, Math.floor(sum[s]! + 0.5));
    }
  }
  return out;
}

async function canvasPixels(page: Page): Promise<Uint8Array> {
  const b64 = await runInPage(
    page,
    () => {
      const canvas = document.getElementById('view') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let s = '';
      for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000));
      return btoa(s);
    },
    undefined,
  );
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Waits until every visible tile is drawn, and says what the view shows. */
function settled(page: Page): Promise<Snapshot> {
  return runInPage(
    page,
    async () => {
      const v = (
        globalThis as unknown as {
          bfioViewer: { opened: Promise<void>; idle(): Promise<void>; snapshot(): Snapshot };
        }
      ).bfioViewer;
      await v.opened;
      await v.idle();
      const { source, camera, level, canvas } = v.snapshot();
      return { source, camera, level, canvas };
    },
    undefined,
  );
}

/** Pixels that differ, and the first few of them. */
function differences(got: Uint8Array, want: Uint8Array, width: number) {
  const bad: string[] = [];
  let count = 0;
  for (let k = 0; k < want.length; k += 4) {
    if (got[k] !== want[k] || got[k + 1] !== want[k + 1] || got[k + 2] !== want[k + 2]) {
      count++;
      const p = k / 4;
      if (bad.length < 5)
        bad.push(
          `(${p % width},${Math.floor(p / width)}): ${got.subarray(k, k + 3)} vs ${want.subarray(k, k + 3)}`,
        );
    }
  }
  return { count, first: bad };
}

/**
 * Which tiles were read since log entry `from`, as "level/c/tx/ty": the requests whose range starts where
 * a tile starts and ends where a tile ends (one tile, or neighbours read together). The reader's other
 * requests (64 KiB blocks of header and IFDs) may overlap tile bytes without being tile reads.
 */
function tilesRead(servers: BrowserTestServers, peer: Peer, from: number): string[] {
  const starts = new Set(peer.tiles.map((t) => t.start));
  const ends = new Set(peer.tiles.map((t) => t.end));
  const touched = new Set<string>();
  for (const r of servers.log.slice(from)) {
    const m = /bytes=(\d+)-(\d+)/.exec(r.range ?? '');
    if (!m) continue;
    const [start, end] = [Number(m[1]), Number(m[2])];
    if (!starts.has(start) || !ends.has(end)) continue;
    for (const t of peer.tiles) {
      if (t.start <= end && t.end >= start) touched.add(`${t.level}/${t.c}/${t.tx}/${t.ty}`);
    }
  }
  return [...touched].sort();
}

/** Level-0 tiles (any channel) that meet the view, as "tx/ty". */
function tilesInView(snap: Snapshot, tileSize: number, level: PeerLevel): Set<string> {
  const [, ny, nx] = level.shape;
  const { x0, y0, scale } = snap.camera;
  const x1 = Math.min(nx, x0 + snap.canvas.width / scale);
  const y1 = Math.min(ny, y0 + snap.canvas.height / scale);
  const cells = new Set<string>();
  for (let ty = Math.floor(Math.max(0, y0) / tileSize); ty * tileSize < y1; ty++) {
    for (let tx = Math.floor(Math.max(0, x0) / tileSize); tx * tileSize < x1; tx++) cells.add(`${tx}/${ty}`);
  }
  return cells;
}

/** Sets every channel's window and colour through the panel (number boxes and colour inputs). */
async function setLooks(page: Page): Promise<void> {
  for (const [c, look] of LOOKS.entries()) {
    const row = page.locator(`.channel[data-channel="${c}"]`);
    for (const role of ['min', 'max'] as const) {
      await row.locator(`input[data-role="${role}"]`).fill(String(look[role]));
      await row.locator(`input[data-role="${role}"]`).dispatchEvent('change');
    }
    await row.locator('input[data-role="color"]').fill(look.hex);
  }
}

describe.skipIf(!available('chromium', 'python'))('the viewer in Chromium', () => {
  let tmp: string;
  let browser: Browser;
  let servers: BrowserTestServers;
  let page: Page;
  let peer: Peer;
  const problems: string[] = [];
  let opened: Snapshot;
  let sample: string;
  let openLog: number;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'bfio-viewer-test-'));
    const pageDir = join(tmp, 'page');
    sample = join(tmp, 'files', 'pyramid.ome.tif');
    await mkdir(dirname(sample), { recursive: true });
    [peer] = await Promise.all([
      runPythonJson<Peer>(WRITE, sample),
      build({
        configFile: join(APP, 'vite.config.ts'),
        logLevel: 'error',
        build: { outDir: pageDir, minify: false },
      }),
    ]);
    servers = await startBrowserTestServers(pageDir, { files: dirname(sample) });
    browser = await launchChromium();
    // The panel is 320 px wide: a 320×360 canvas, smaller than the image, so the fitted view uses a
    // coarser level and zooming in reads a few of level 0's tiles.
    page = await browser.newPage({ viewport: { width: 640, height: 360 }, deviceScaleFactor: 1 });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.stack ?? e.message));
    const url = `${servers.dataBase}/files/pyramid.ome.tif`;
    openLog = servers.log.length;
    await page.goto(`${servers.pageUrl}?url=${encodeURIComponent(url)}`);
    await page.waitForFunction(() => 'bfioViewer' in globalThis);
    opened = await settled(page);
    await saveScreenshot(page, ARTIFACTS, 'viewer-opened');
  });

  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await servers?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('opens the image fitted, shows its metadata, and reads no full-resolution tile for it', async () => {
    expect(problems).toEqual([]);
    expect(await page.locator('#error').textContent()).toBe('');
    const [nc, ny, nx] = peer.levels[0]!.shape;
    const table = (await page.locator('#facts').textContent()) ?? '';
    expect(table).toContain(`${nx} × ${ny}`);
    expect(table).toContain(peer.levels.map((l) => `${l.shape[2]}×${l.shape[1]}`).join(', '));
    expect(table).toContain('DAPI, GFP, RFP');
    expect(table).toContain('0.25 µm × 0.25 µm');
    expect(await page.locator('.channel').count()).toBe(nc);
    // Fitted: 1024 px wide in 320 canvas px, 0.3125 per pixel: level 1 (a pixel 0.625 canvas px).
    expect(opened.camera.scale).toBeCloseTo(320 / 1024, 9);
    expect(opened.level).toBe(1);
    expect(opened.source).toMatch(/^http:.*\/files\/pyramid\.ome\.tif$/);
    const read = tilesRead(servers, peer, openLog);
    expect(read.some((t) => t.startsWith('1/'))).toBe(true);
    expect(read.filter((t) => t.startsWith('0/'))).toEqual([]);
  });

  it('composites the channels with the contrast and colours set in the panel, zoomed in, pixel for pixel', async () => {
    await setLooks(page);
    const before = servers.log.length;
    await page.click('#zoom-actual');
    const actual = await settled(page);
    await page.click('#zoom-in');
    const snap = await settled(page);
    await saveScreenshot(page, ARTIFACTS, 'viewer-zoomed');
    expect(actual.camera.scale).toBe(1);
    expect(snap.camera.scale).toBe(2);
    expect(snap.level).toBe(0);
    const want = expectedCanvas(peer.levels[0]!, 1, snap);
    expect(differences(await canvasPixels(page), want, snap.canvas.width)).toEqual({ count: 0, first: [] });
    // Only level-0 tiles in view at 1:1 were read (the 2× view is its middle), each channel's.
    const inView = tilesInView(actual, peer.tileSize, peer.levels[0]!);
    const read = tilesRead(servers, peer, before);
    expect(read.length).toBeGreaterThan(0);
    for (const t of read) {
      const [level, , tx, ty] = t.split('/');
      expect(level === '0' && inView.has(`${tx}/${ty}`), `read ${t}, not in view`).toBe(true);
    }
    expect(read.length).toBeLessThanOrEqual(3 * inView.size);
  });

  it('pans by dragging, loads what came into view, and stays exact', async () => {
    const box = (await page.locator('#view').boundingBox())!;
    const before = servers.log.length;
    // Two drags up and left, 300×340 canvas px each: the view moves 300×340 image px, off the tiles read so far.
    for (let i = 0; i < 2; i++) {
      await page.mouse.move(box.x + 310, box.y + 350);
      await page.mouse.down();
      await page.mouse.move(box.x + 10, box.y + 10, { steps: 5 });
      await page.mouse.up();
    }
    const snap = await settled(page);
    await saveScreenshot(page, ARTIFACTS, 'viewer-panned');
    expect(snap.camera.scale).toBe(2);
    const want = expectedCanvas(peer.levels[0]!, 1, snap);
    expect(differences(await canvasPixels(page), want, snap.canvas.width)).toEqual({ count: 0, first: [] });
    expect(tilesRead(servers, peer, before).length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('a coarser level picked in the panel is drawn magnified, exactly', async () => {
    await page.selectOption('#level', '2');
    const snap = await settled(page);
    expect(snap.level).toBe(2);
    // Level 2 is a quarter size: at 2 canvas px per level-0 pixel, each of its pixels covers 8×8.
    const want = expectedCanvas(peer.levels[2]!, 4, snap);
    expect(differences(await canvasPixels(page), want, snap.canvas.width)).toEqual({ count: 0, first: [] });
    await saveScreenshot(page, ARTIFACTS, 'viewer-level-2');
  });

  it('a file picked from disk (a File, read by Blob.slice) shows the same pixels as its URL', async () => {
    const before = servers.log.length;
    await page.setInputFiles('#file', sample);
    expect((await settled(page)).source).toBe('pyramid.ome.tif');
    expect(await page.locator('#url').inputValue()).toContain('/files/pyramid.ome.tif'); // the form keeps the URL
    await setLooks(page);
    await page.click('#zoom-actual');
    await page.click('#zoom-in');
    const snap = await settled(page);
    await saveScreenshot(page, ARTIFACTS, 'viewer-file');
    expect(snap.camera.scale).toBe(2);
    const want = expectedCanvas(peer.levels[0]!, 1, snap);
    expect(differences(await canvasPixels(page), want, snap.canvas.width)).toEqual({ count: 0, first: [] });
    expect(servers.log.length).toBe(before); // nothing fetched: the pixels came from the file
    expect(problems).toEqual([]);
  });
});
