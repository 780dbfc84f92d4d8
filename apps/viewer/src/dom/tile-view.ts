/**
 * The canvas: draws the visible tiles of the chosen level (coarser cached tiles underneath while they
 * load), pans on drag, zooms on the wheel, and keeps the loader wanting exactly the visible tiles. The
 * decisions (level, tiles, colours) are the pure modules'; this file only wires them to a 2D canvas.
 */
import type { BioReader, TypedArray } from '@bfio/core';
import { type Camera, fitCamera, panBy, type Size, snapToPixels, visibleRect, zoomAt } from '../camera.js';
import { type ChannelLayer, compositeRGBA, windowTable } from '../composite.js';
import type { ImageFacts } from '../image-facts.js';
import { chooseLevel, levelFactors } from '../level-choice.js';
import { TileCache } from '../tile-cache.js';
import { type LoaderProgress, TileLoader } from '../tile-loader.js';
import { channelKey, type PlaneSelection, readTile, type TileJob, tileKey } from '../tile-source.js';
import type { ViewState } from '../view-state.js';
import { type TileGrid, type TileRef, tileGrid, tileRect0, visibleTiles } from '../visible-tiles.js';

/** Decoded pixels kept for panning back: 256 MiB (a 16-bit 3-channel view of 1920×1080 is 12 MiB). */
const PIXEL_CACHE_BYTES = 256 * 2 ** 20;
/** Composited tiles (RGBA) kept for redraws: 128 MiB. */
const IMAGE_CACHE_BYTES = 128 * 2 ** 20;
/**
 * Compositing per frame stops after this long; the rest waits for the next frames (showing the tile's
 * previous look meanwhile), so dragging a contrast slider over a full screen never freezes the page.
 */
const FRAME_BUDGET_MS = 12;
/** At most this many tiles in view are read (nearest the centre): a fixed fine level over a whole slide. */
export const MAX_TILES_IN_VIEW = 256;

export interface ViewStatus extends LoaderProgress {
  level: number;
  scale: number;
  /** More tiles are in view than `MAX_TILES_IN_VIEW`: only the nearest are shown. */
  capped: boolean;
}

/** Pixels composited per step: a band of rows of about this many pixels (a few ms). */
const BAND_PIXELS = 65536;

/**
 * A composited tile: the looks version its canvas shows (-1 before the first is complete), and the one
 * being composited band by band into `rgba`, from row `row` on.
 */
interface TileImage {
  image: OffscreenCanvas;
  look: number;
  next?: { look: number; row: number; rgba: Uint8ClampedArray<ArrayBuffer> };
}

export class TileView {
  readonly canvas: HTMLCanvasElement;
  #ctx: CanvasRenderingContext2D;
  #reader?: BioReader;
  #facts?: ImageFacts;
  #state?: ViewState;
  #camera: Camera = { x0: 0, y0: 0, scale: 1 };
  #level = 0;
  #pixels = new TileCache<TypedArray>(PIXEL_CACHE_BYTES);
  #images = new TileCache<TileImage>(IMAGE_CACHE_BYTES);
  /** Bumped when the colours or contrast change: composited tiles of older versions are stale. */
  #look = 0;
  /** When the frame being drawn must stop compositing, and whether it did (another frame follows). */
  #deadline = 0;
  #behind = false;
  #capped = false;
  /** Each channel's `windowTable` for the current looks (by channel and pixel type). */
  #tables = new Map<string, Float64Array | undefined>();
  #loader: TileLoader<TileJob, TypedArray[]>;
  #frame = 0;
  #onStatus: (status: ViewStatus) => void;
  #onError: (message: string) => void;

  constructor(
    canvas: HTMLCanvasElement,
    hooks: { onStatus: (s: ViewStatus) => void; onError: (message: string) => void },
  ) {
    this.canvas = canvas;
    this.#ctx = canvas.getContext('2d', { alpha: false })!;
    this.#onStatus = hooks.onStatus;
    this.#onError = hooks.onError;
    this.#loader = new TileLoader<TileJob, TypedArray[]>({
      load: (job, signal) => readTile(this.#reader!, job, job.tile, this.#missing(job), signal),
      isReady: (key) => this.#visibleChannels().every((c) => this.#pixels.has(channelKey(key, c))),
      onLoaded: (job, planes) => {
        const missing = this.#missing(job);
        planes.forEach((plane, i) => {
          const c = missing[i];
          if (c !== undefined) this.#pixels.set(channelKey(job.key, c), plane, plane.byteLength);
        });
        this.redraw();
      },
      onError: (job, error) =>
        this.#onError(
          `tile ${job.tile.tx},${job.tile.ty} of level ${job.level}: ${(error as Error).message ?? error}`,
        ),
      onProgress: (p) =>
        this.#onStatus({ ...p, level: this.#level, scale: this.#camera.scale, capped: this.#capped }),
    });
    this.#listen();
    new ResizeObserver(() => this.#resize()).observe(canvas);
    this.#resize();
  }

  get camera(): Camera {
    return { ...this.#camera };
  }

  /** The level the last frame drew. */
  get level(): number {
    return this.#level;
  }

  get size(): Size {
    return { width: this.canvas.width, height: this.canvas.height };
  }

  /** Shows a newly opened image (or series), fitted to the view. */
  setImage(reader: BioReader, facts: ImageFacts, state: ViewState): void {
    this.#loader.cancelAll();
    this.#loader.retryFailed();
    if (reader !== this.#reader) {
      this.#pixels.clear();
      this.#images.clear();
    }
    this.#reader = reader;
    this.#facts = facts;
    this.#state = state;
    this.fit();
  }

  /** The plane, level or channel looks changed. */
  setState(state: ViewState, looksChanged: boolean): void {
    this.#state = state;
    if (looksChanged) {
      this.#look++;
      this.#tables.clear();
    }
    this.redraw();
  }

  fit(): void {
    if (!this.#facts) return;
    this.#camera = fitCamera({ width: this.#facts.sizeX, height: this.#facts.sizeY }, this.size);
    this.redraw();
  }

  /** Zooms about the view's centre, snapped to whole canvas pixels. */
  zoom(factor: number): void {
    const { width, height } = this.size;
    this.setCamera(snapToPixels(zoomAt(this.#camera, factor, width / 2, height / 2)));
  }

  /** One image pixel per canvas pixel, about the view's centre. */
  actualSize(): void {
    this.zoom(1 / this.#camera.scale);
  }

  setCamera(camera: Camera): void {
    this.#camera = { ...camera };
    this.redraw();
  }

  /** Resolves once every visible tile is loaded (or failed) and drawn. */
  async idle(): Promise<void> {
    for (;;) {
      await this.#loader.idle();
      await new Promise((r) => requestAnimationFrame(() => r(undefined)));
      if (this.#frame === 0 && this.#loader.progress.loading === 0) return;
    }
  }

  redraw(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#draw();
    });
  }

  // ---- drawing -----------------------------------------------------------------------------------

  #visibleChannels(): number[] {
    const channels = this.#state?.channels ?? [];
    return channels.flatMap((c, i) => (c.visible ? [i] : []));
  }

  #missing(job: TileJob): number[] {
    return job.channels.filter((c) => !this.#pixels.has(channelKey(job.key, c)));
  }

  #selection(level: number): PlaneSelection {
    const s = this.#state!;
    return { series: s.series, level, z: s.z, t: s.t };
  }

  #grid(level: number): TileGrid {
    const facts = this.#facts!;
    return tileGrid(facts.levels[level]!, levelFactors(facts.levels, level));
  }

  #draw(): void {
    const ctx = this.#ctx;
    const { width, height } = this.size;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, width, height);
    const facts = this.#facts;
    const state = this.#state;
    if (!facts || !state || !this.#reader) return;
    const target =
      state.level === 'auto'
        ? chooseLevel(facts.levels, this.#camera.scale)
        : Math.min(state.level, facts.levels.length - 1);
    this.#level = target;
    this.#deadline = performance.now() + FRAME_BUDGET_MS;
    this.#behind = false;
    const view = visibleRect(this.#camera, this.size);
    // Placeholders: whatever coarser tiles are cached, coarsest first, so the finer ones paint over them.
    for (let level = facts.levels.length - 1; level > target; level--) {
      for (const tile of visibleTiles(this.#grid(level), view)) this.#drawTile(level, tile, false);
    }
    const grid = this.#grid(target);
    const channels = this.#visibleChannels();
    const jobs: TileJob[] = [];
    const tiles = visibleTiles(grid, view);
    this.#capped = tiles.length > MAX_TILES_IN_VIEW;
    for (const tile of tiles.slice(0, MAX_TILES_IN_VIEW)) {
      const selection = this.#selection(target);
      jobs.push({ ...selection, key: tileKey(selection, tile), tile, channels });
      this.#drawTile(target, tile, true);
    }
    this.#loader.want(jobs);
    if (this.#behind) this.redraw();
  }

  /** Draws one cell if its pixels are cached; `touch` refreshes its age in the caches (the target level). */
  #drawTile(level: number, tile: TileRef, touch: boolean): void {
    const image = this.#composited(level, tile, touch);
    if (!image) return;
    const rect = tileRect0(this.#grid(level), tile);
    const { x0, y0, scale } = this.#camera;
    const sx0 = Math.round((rect.x0 - x0) * scale);
    const sy0 = Math.round((rect.y0 - y0) * scale);
    const sx1 = Math.round((rect.x1 - x0) * scale);
    const sy1 = Math.round((rect.y1 - y0) * scale);
    if (sx1 <= sx0 || sy1 <= sy0) return;
    // Magnified pixels stay crisp squares (and exact: the browser test compares them); shrunk ones are
    // smoothed rather than dropped.
    this.#ctx.imageSmoothingEnabled = sx1 - sx0 < image.width;
    this.#ctx.imageSmoothingQuality = 'high';
    this.#ctx.drawImage(image, sx0, sy0, sx1 - sx0, sy1 - sy0);
  }

  /**
   * The cell as RGBA in the current looks, composited on first use, a band of rows at a time while the
   * frame's budget lasts (a tile's previous look stands in until its new one is complete; a new tile
   * shows once whole). Undefined until its pixels load.
   */
  #composited(level: number, tile: TileRef, touch: boolean): OffscreenCanvas | undefined {
    const key = tileKey(this.#selection(level), tile);
    const cached = touch ? this.#images.get(key) : this.#images.peek(key);
    const shown = cached && cached.look >= 0 ? cached.image : undefined;
    if (cached?.look === this.#look) return shown;
    const layers = this.#layers(key, touch);
    if (!layers) return shown;
    const w = tile.x[1] - tile.x[0];
    const h = tile.y[1] - tile.y[0];
    const entry = cached ?? { image: new OffscreenCanvas(w, h), look: -1 };
    if (!cached) this.#images.set(key, entry, w * h * 4);
    if (entry.next?.look !== this.#look)
      entry.next = { look: this.#look, row: 0, rgba: new Uint8ClampedArray(w * h * 4) };
    const next = entry.next;
    const first = next.row;
    const band = Math.max(1, Math.floor(BAND_PIXELS / w));
    while (next.row < h && performance.now() <= this.#deadline) {
      compositeRGBA(w, h, layers, next.rgba, [next.row, next.row + band]);
      next.row = Math.min(h, next.row + band);
    }
    if (next.row < h) this.#behind = true;
    if (next.row > first && (entry.look >= 0 || next.row === h)) {
      // Only the rows composited now (the canvas already holds the others, or nothing shows it yet).
      const from = entry.look >= 0 ? first : 0;
      entry.image
        .getContext('2d')!
        .putImageData(new ImageData(next.rgba, w, h), 0, 0, 0, from, w, next.row - from);
    }
    if (next.row === h) {
      entry.look = next.look;
      entry.next = undefined;
    }
    return entry.look >= 0 ? entry.image : undefined;
  }

  /** The visible channels' planes of a cell with their looks; undefined while one is not loaded. */
  #layers(key: string, touch: boolean): ChannelLayer[] | undefined {
    const settings = this.#state!.channels;
    const layers: ChannelLayer[] = [];
    for (const c of this.#visibleChannels()) {
      const k = channelKey(key, c);
      const data = touch ? this.#pixels.get(k) : this.#pixels.peek(k);
      if (!data) return undefined;
      const { min, max, color } = settings[c]!;
      const tableKey = `${c}/${data.constructor.name}`;
      if (!this.#tables.has(tableKey)) this.#tables.set(tableKey, windowTable(data, min, max));
      layers.push({ data, min, max, color, table: this.#tables.get(tableKey) });
    }
    return layers;
  }

  // ---- input -------------------------------------------------------------------------------------

  #resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (width === this.canvas.width && height === this.canvas.height) return;
    // Keep the image point at the view's centre where it was.
    const centre = visibleRect(this.#camera, this.size);
    this.canvas.width = width;
    this.canvas.height = height;
    const cx = (centre.x0 + centre.x1) / 2;
    const cy = (centre.y0 + centre.y1) / 2;
    const { scale } = this.#camera;
    this.#camera = { scale, x0: cx - width / (2 * scale), y0: cy - height / (2 * scale) };
    this.redraw();
  }

  /** A canvas pixel position of a pointer event. */
  #canvasPoint(e: MouseEvent): [number, number] {
    const box = this.canvas.getBoundingClientRect();
    return [
      ((e.clientX - box.left) * this.canvas.width) / box.width,
      ((e.clientY - box.top) * this.canvas.height) / box.height,
    ];
  }

  #listen(): void {
    const canvas = this.canvas;
    let drag: [number, number] | undefined;
    canvas.addEventListener('pointerdown', (e) => {
      drag = this.#canvasPoint(e);
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const [x, y] = this.#canvasPoint(e);
      this.setCamera(panBy(this.#camera, x - drag[0], y - drag[1]));
      drag = [x, y];
    });
    const end = () => {
      drag = undefined;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const [x, y] = this.#canvasPoint(e);
        const lines = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? 40 : 1;
        this.setCamera(zoomAt(this.#camera, Math.exp(-e.deltaY * lines * 0.002), x, y));
      },
      { passive: false },
    );
    canvas.addEventListener('dblclick', (e) => {
      const [x, y] = this.#canvasPoint(e);
      this.setCamera(snapToPixels(zoomAt(this.#camera, e.shiftKey ? 0.5 : 2, x, y)));
    });
  }
}
