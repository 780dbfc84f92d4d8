/**
 * The page: opens an image (a URL from the form or `?url=`, a picked or dropped file), gives it its first
 * look (colours, contrast measured on a small level), and connects the panel to the tile view.
 */
import { BioReader } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';
import { dataRange, initialChannels, sliderRange, statsLevel } from './channel-defaults.js';
import { Panel } from './dom/panel.js';
import { TileView, type ViewStatus } from './dom/tile-view.js';
import { type ImageFacts, imageFacts, seriesNames } from './image-facts.js';
import { centreCell, readTile } from './tile-source.js';
import type { ViewState } from './view-state.js';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let reader: BioReader | undefined;
let facts: ImageFacts | undefined;
let state: ViewState | undefined;
/** Which open is current: a slow open that finishes after a newer one is discarded. */
let generation = 0;

function showError(message: string): void {
  byId('error').textContent = message;
}

function showStatus(s: ViewStatus): void {
  if (!facts) return;
  const level = facts.levels[s.level]!;
  const zoom = s.scale >= 0.1 ? `${Math.round(s.scale * 100)}%` : `${+(s.scale * 100).toPrecision(2)}%`;
  const tiles = s.wanted
    ? ` · tiles ${s.ready}/${s.wanted}${s.failed ? ` (${s.failed} failed)` : ''}${s.capped ? ' nearest the centre: zoom in or pick a coarser level' : ''}`
    : '';
  byId('status').textContent = `level ${s.level} (${level.sizeX}×${level.sizeY}) · zoom ${zoom}${tiles}`;
  const bar = byId('progress');
  const done = s.wanted === 0 || s.ready + s.failed === s.wanted;
  bar.style.width = done ? '0' : `${(100 * s.ready) / s.wanted}%`;
  bar.hidden = done;
  byId('view').dataset.loading = String(s.loading);
}

const view = new TileView(byId<HTMLCanvasElement>('view'), { onStatus: showStatus, onError: showError });
const panel = new Panel({
  change: (next, looks) => view.setState(next, looks),
  series: (index) => void showSeries(index, generation).catch((e) => showError(String(e?.message ?? e))),
});

/** Shows series `index` of the open image: metadata, first look, fitted view. */
async function showSeries(index: number, mine: number): Promise<void> {
  const r = reader!;
  const f = imageFacts(r, index);
  const level = statsLevel(f.levels);
  const base = f.levels[level]!;
  const plane = { series: index, level, z: Math.floor(f.sizeZ / 2), t: 0 };
  const channels = Array.from({ length: f.sizeC }, (_, c) => c);
  const planes = await readTile(r, plane, centreCell(base.sizeX, base.sizeY), channels);
  if (mine !== generation) return;
  facts = f;
  state = {
    series: index,
    z: plane.z,
    t: 0,
    level: 'auto',
    channels: initialChannels(f.sizeC, f.channelColors, planes),
  };
  const ranges = planes.map((p) => sliderRange(f.dtype, ...dataRange(p)));
  panel.show(f, seriesNames(r), state, ranges);
  view.setImage(r, f, state);
}

/** Opens a URL or a file, replacing the current image. */
async function open(source: string | File): Promise<void> {
  const mine = ++generation;
  showError('');
  byId('status').textContent = `opening ${typeof source === 'string' ? source : source.name}…`;
  const next = await BioReader.open(source);
  if (mine !== generation) {
    await next.close();
    return;
  }
  const previous = reader;
  reader = next;
  await showSeries(0, mine);
  await previous?.close();
}

/** The open under way or done last (tests wait on it through the hook). */
let opening: Promise<void> = Promise.resolve();

/** Opens and shows errors on the page; resolves either way. */
function openReporting(source: string | File): Promise<void> {
  opening = open(source).catch((e) => {
    showError(String(e?.message ?? e));
    byId('status').textContent = 'Open an image.';
  });
  return opening;
}

byId<HTMLFormElement>('open-url').addEventListener('submit', (e) => {
  e.preventDefault();
  const url = new URL(byId<HTMLInputElement>('url').value, location.href).href;
  history.replaceState(null, '', `?url=${encodeURIComponent(url)}`);
  void openReporting(url);
});
byId<HTMLInputElement>('file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void openReporting(file);
});
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const file = e.dataTransfer?.files[0];
  if (file) void openReporting(file);
});
byId('zoom-in').addEventListener('click', () => view.zoom(2));
byId('zoom-out').addEventListener('click', () => view.zoom(0.5));
byId('zoom-fit').addEventListener('click', () => view.fit());
byId('zoom-actual').addEventListener('click', () => view.actualSize());

/** For tests and the console: what is shown, and a way to wait until it is all drawn. */
const hook = {
  /** The last open (form, file, drop or `?url=`): resolves once its first frame is set up. */
  get opened() {
    return opening;
  },
  open: openReporting,
  idle: () => view.idle(),
  snapshot: () => ({
    /** What `BioReader` calls the image: its URL, or a File's name. */
    source: reader?.path,
    camera: view.camera,
    level: view.level,
    canvas: view.size,
    state: state && structuredClone(state),
    facts,
  }),
  view,
};
(globalThis as { bfioViewer?: typeof hook }).bfioViewer = hook;

const initial = new URLSearchParams(location.search).get('url');
if (initial) {
  const url = new URL(initial, location.href).href;
  byId<HTMLInputElement>('url').value = url;
  void openReporting(url);
}
