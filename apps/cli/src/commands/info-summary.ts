/**
 * What `bfio info` reports, gathered once from an open reader (for `--json`) and laid out as aligned tables
 * (the human output): the file, one row per series, the selected series' channels and levels, then the
 * backend's details.
 */
import type { BioReader } from '@bfio/core';
import type { Channel, Quantity } from '@bfio/ome-xml';

type Q = { value: number; unit: string } | null;
const q = (v: Quantity | undefined): Q => (v ? { value: v.value, unit: v.unit } : null);

export interface SeriesRow {
  index: number;
  name: string;
  X: number;
  Y: number;
  Z: number;
  C: number;
  T: number;
  dtype: string;
  levels: number;
  physicalSize: { x: Q; y: Q; z: Q };
}

export interface ChannelRow {
  index: number;
  name: string;
  /** '#RRGGBB' from the OME Channel colour, or null. */
  color: string | null;
  excitationWavelength: Q;
  emissionWavelength: Q;
  samplesPerPixel: number;
}

export interface LevelRow {
  level: number;
  X: number;
  Y: number;
  Z: number;
  physicalSize: { x: Q; y: Q; z: Q };
  tileSize: [number, number] | null;
}

/** Series listed in the table (all of them in --json): a plate of 10,000 fields needs no 10,000-row table. */
const MAX_SERIES_ROWS = 200;

function seriesRow(br: BioReader): SeriesRow {
  return {
    index: br.series,
    name: br.image.name ?? '',
    X: br.X,
    Y: br.Y,
    Z: br.Z,
    C: br.C,
    T: br.T,
    dtype: br.dtype,
    levels: br.levelCount,
    physicalSize: { x: q(br.physicalSizeX), y: q(br.physicalSizeY), z: q(br.physicalSizeZ) },
  };
}

/** Every series' row; the reader's series and level selection are restored. */
export function seriesRows(br: BioReader): SeriesRow[] {
  const selected = br.series;
  const level = br.level;
  const rows: SeriesRow[] = [];
  try {
    for (let s = 0; s < br.seriesCount; s++) {
      br.series = s;
      rows.push(seriesRow(br));
    }
  } finally {
    br.series = selected;
    br.level = level;
  }
  return rows;
}

const hex = (color: number) => `#${((color >>> 8) & 0xffffff).toString(16).toUpperCase().padStart(6, '0')}`;

/** One row per channel (per sample of an RGB Channel element), named as `BioReader.channelNames`. */
export function channelRows(br: BioReader): ChannelRow[] {
  const names = br.channelNames;
  const elements: (Channel | undefined)[] = [];
  for (const ch of br.image.pixels.channels) {
    const spp = Math.max(1, ch.samplesPerPixel ?? 1);
    for (let s = 0; s < spp && elements.length < br.C; s++) elements.push(ch);
    if (elements.length >= br.C) break;
  }
  return names.map((name, index) => {
    const ch = elements[index];
    return {
      index,
      name,
      color: ch?.color === undefined ? null : hex(ch.color),
      excitationWavelength: q(ch?.excitationWavelength),
      emissionWavelength: q(ch?.emissionWavelength),
      samplesPerPixel: Math.max(1, ch?.samplesPerPixel ?? 1),
    };
  });
}

/** The selected series' levels; the reader's level selection is restored. */
export function levelRows(br: BioReader): LevelRow[] {
  const level = br.level;
  const rows: LevelRow[] = [];
  try {
    for (let l = 0; l < br.levelCount; l++) {
      br.level = l;
      rows.push({
        level: l,
        X: br.X,
        Y: br.Y,
        Z: br.Z,
        physicalSize: { x: q(br.physicalSizeX), y: q(br.physicalSizeY), z: q(br.physicalSizeZ) },
        tileSize: br.tileSize ?? null,
      });
    }
  } finally {
    br.level = level;
  }
  return rows;
}

/** Columns padded to their widest cell, two spaces apart; the first row is the header. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

const num = (v: number) => String(Number(v.toPrecision(6)));
const qty = (v: Q) => (v ? `${num(v.value)} ${v.unit}` : '-');

function pixelSize(p: { x: Q; y: Q; z: Q }): string {
  if (!p.x && !p.y && !p.z) return '-';
  const xy = p.x && p.y && p.x.unit === p.y.unit ? `${num(p.x.value)}×${num(p.y.value)} ${p.x.unit}` : null;
  const parts = xy ? [xy] : [`x ${qty(p.x)}`, `y ${qty(p.y)}`];
  if (p.z) parts.push(`z ${qty(p.z)}`);
  return parts.join(', ');
}

/** A details value on one line: objects as `key=value` pairs, lists joined. */
function detail(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.map((x) => detail(x, depth + 1)).join(depth ? ', ' : '; ');
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x)}`)
      .join(' ');
  return String(v);
}

/**
 * Backends list some details once per series (Bio-Formats' series layouts, Zarr axes and chunks): such a
 * list, one entry per series, is shown for the selected series.
 */
function perSeries(v: unknown, seriesCount: number): v is unknown[] {
  return (
    Array.isArray(v) &&
    v.length === seriesCount &&
    (seriesCount > 1 || v.every((x) => typeof x === 'object' && x !== null))
  );
}

export interface InfoText {
  file: string;
  format: string;
  backend: string;
  selected: number;
  series: SeriesRow[];
  channels: ChannelRow[];
  levels: LevelRow[];
  details: Readonly<Record<string, unknown>>;
}

/** The human report. */
export function formatInfo(r: InfoText): string {
  const out = [`file     ${r.file}`, `format   ${r.format} (backend: ${r.backend})`, ''];
  const shown = r.series.slice(0, MAX_SERIES_ROWS);
  out.push(
    `Series (${r.series.length}; * = described below)`,
    ...table([
      ['', '#', 'name', 'X×Y×Z×C×T', 'dtype', 'levels', 'pixel size'],
      ...shown.map((s) => [
        s.index === r.selected ? '*' : '',
        String(s.index),
        s.name || '-',
        `${s.X}×${s.Y}×${s.Z}×${s.C}×${s.T}`,
        s.dtype,
        String(s.levels),
        pixelSize(s.physicalSize),
      ]),
    ]).map((l) => `  ${l}`),
  );
  if (r.series.length > shown.length)
    out.push(`  … ${r.series.length - shown.length} more (bfio info --json lists every series)`);
  out.push(
    '',
    `Channels of series ${r.selected}`,
    ...table([
      ['#', 'name', 'colour', 'excitation', 'emission'],
      ...r.channels.map((c) => [
        String(c.index),
        c.name || '-',
        c.color ?? '-',
        qty(c.excitationWavelength),
        qty(c.emissionWavelength),
      ]),
    ]).map((l) => `  ${l}`),
    '',
    `Levels of series ${r.selected}`,
    ...table([
      ['level', 'X×Y×Z', 'pixel size', 'tile'],
      ...r.levels.map((l) => [
        String(l.level),
        `${l.X}×${l.Y}×${l.Z}`,
        pixelSize(l.physicalSize),
        l.tileSize ? `${l.tileSize[1]}×${l.tileSize[0]}` : '-',
      ]),
    ]).map((l) => `  ${l}`),
  );
  const details = Object.entries(r.details).map(([k, v]) =>
    perSeries(v, r.series.length)
      ? [k, `${detail(v[r.selected], 1)} (series ${r.selected})`]
      : [k, detail(v)],
  );
  if (details.length)
    out.push(
      '',
      'Details',
      ...table([['key', 'value'], ...details])
        .slice(1)
        .map((l) => `  ${l}`),
    );
  return out.join('\n');
}
