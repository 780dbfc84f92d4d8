/**
 * A `filepattern` reader backend: many files named by a file pattern read as ONE 5-D image. Grid variables
 * (`grid: ['r', 'c']`, row then column) place same-sized tiles side by side in Y and X; variables named z, c
 * and t stack files along those axes. As a backend, `BioReader.open(pattern, { backend: 'filepattern' })`
 * serves the sequence like any file, so `copyImage` converts it tile by tile: a read touches only the files
 * under its region, and at most OPEN_READERS member files stay open, so memory never holds the mosaic.
 */
import { BioReader, type DType, InvalidDataError, registerBackend, type TypedArray } from '@bfio/core';
import { type Backend, type ReaderBackend, type Region, SPECIFICATION_VERSION } from '@bfio/core/backend';
import { createOme, type OME } from '@bfio/ome-xml';
import {
  type FilePattern,
  isFilePattern,
  matchFiles,
  type PatternMatch,
  parseFilePattern,
} from './pattern.js';

export const SEQUENCE_BACKEND = 'filepattern';

/** Member files kept open between reads (the tiles of one row of output tiles share files). */
const OPEN_READERS = 8;
/**
 * Decoded-block cache of each open member (TIFF's default is 256 MiB per reader, which times OPEN_READERS
 * would hold a mosaic's worth): two 1024² uint16 tiles, enough for the output tiles that cut one block.
 */
const MEMBER_CACHE_BYTES = 4 * 2 ** 20;
/** Member files probed for their sizes at once. */
const PROBE_CONCURRENCY = 4;

export interface SequenceOptions {
  /** The row and column variables of a grid of tiles, e.g. ['r', 'c'] (or 'r,c'). */
  grid?: readonly string[] | string;
  /** Pixel value of tiles or planes the pattern lacks (default 0). */
  fillValue?: number;
  /** Told about missing files (the CLI prints it on stderr). */
  warn?: (message: string) => void;
  maxWorkers?: number;
  strict?: boolean;
}

type Axis = 'row' | 'col' | 'z' | 'c' | 't';
const AXES: Axis[] = ['row', 'col', 'z', 'c', 't'];

interface MemberShape {
  X: number;
  Y: number;
  Z: number;
  C: number;
  T: number;
  dtype: DType;
}

/** The distinct values of a variable, in order; a file's index on the axis is its value's rank. */
function ranks(matches: PatternMatch[], name: string): Map<number | string, number> {
  const values = [...new Set(matches.map((m) => m.values[name]!))];
  values.sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1,
  );
  return new Map(values.map((v, i) => [v, i]));
}

/** Assigns each pattern variable to an axis: the grid's two, then z/c/t by name; others must not vary. */
function axisVariables(
  pattern: FilePattern,
  matches: PatternMatch[],
  grid: string[] | undefined,
): Partial<Record<Axis, string>> {
  const names = pattern.variables.map((v) => v.name);
  const byAxis: Partial<Record<Axis, string>> = {};
  if (grid) {
    if (grid.length !== 2 || grid[0] === grid[1])
      throw new InvalidDataError(
        `--grid takes two variables of the pattern, the row one then the column one (e.g. r,c), got '${grid.join(',')}'`,
        pattern.source,
      );
    for (const g of grid)
      if (!names.includes(g))
        throw new InvalidDataError(
          `--grid names '${g}', which is not a variable of ${pattern.source} (its variables: ${names.join(', ')})`,
          pattern.source,
        );
    byAxis.row = grid[0];
    byAxis.col = grid[1];
  }
  for (const name of names) {
    if (grid?.includes(name)) continue;
    const axis = name.toLowerCase();
    if ((axis === 'z' || axis === 'c' || axis === 't') && !byAxis[axis]) {
      byAxis[axis] = name;
      continue;
    }
    const distinct = new Set(matches.map((m) => m.values[name])).size;
    if (distinct > 1)
      throw new InvalidDataError(
        `variable '${name}' of ${pattern.source} takes ${distinct} values but maps to no axis: name the grid's row and column variables with --grid ROW,COL, or call stacked variables z, c or t`,
        pattern.source,
      );
  }
  return byAxis;
}

async function probe(file: string, options: SequenceOptions): Promise<MemberShape> {
  await using br = await BioReader.open(file, { maxWorkers: options.maxWorkers, cacheBytes: 0 });
  return { X: br.X, Y: br.Y, Z: br.Z, C: br.C, T: br.T, dtype: br.dtype };
}

/** Opens member files on demand and keeps the most recently used ones open; never closes one being read. */
class ReaderPool {
  #open = new Map<string, { reader: Promise<BioReader>; users: number }>();
  constructor(private readonly options: SequenceOptions) {}

  async use<T>(file: string, fn: (br: BioReader) => Promise<T>): Promise<T> {
    let entry = this.#open.get(file);
    if (entry) this.#open.delete(file);
    else
      entry = {
        reader: BioReader.open(file, {
          maxWorkers: this.options.maxWorkers,
          strict: this.options.strict,
          cacheBytes: MEMBER_CACHE_BYTES,
        }),
        users: 0,
      };
    this.#open.set(file, entry); // most recently used last
    entry.users++;
    try {
      return await fn(await entry.reader);
    } finally {
      entry.users--;
      await this.#evict();
    }
  }

  async #evict(): Promise<void> {
    for (const [file, entry] of this.#open) {
      if (this.#open.size <= OPEN_READERS) return;
      if (entry.users > 0) continue;
      this.#open.delete(file);
      await (await entry.reader.catch(() => undefined))?.close();
    }
  }

  async close(): Promise<void> {
    const entries = [...this.#open.values()];
    this.#open.clear();
    for (const e of entries) await (await e.reader.catch(() => undefined))?.close();
  }
}

/** One file's share of a read: its region, and the output plane (T×C index), Z, Y and X it lands at. */
interface Piece {
  file: string;
  part: Region;
  plane: number;
  z: number;
  y: number;
  x: number;
}

/** Whether a file's part has the region's whole extent (so its planar layout is the region's). */
const covers = (part: Region, region: Region) =>
  (['x', 'y', 'z'] as const).every((a) => part[a][1] - part[a][0] === region[a][1] - region[a][0]) &&
  region.c.length === 1 &&
  region.t.length === 1;

const describe = (s: MemberShape) => `X=${s.X} Y=${s.Y} Z=${s.Z} C=${s.C} T=${s.T} ${s.dtype}`;

export async function openSequence(source: string, options: SequenceOptions = {}): Promise<ReaderBackend> {
  const pattern = parseFilePattern(source);
  const matches = await matchFiles(pattern);
  const grid =
    typeof options.grid === 'string'
      ? options.grid.split(',').map((s) => s.trim())
      : options.grid
        ? [...options.grid]
        : undefined;
  const byAxis = axisVariables(pattern, matches, grid);
  const rankOf = Object.fromEntries(AXES.map((a) => [a, byAxis[a] ? ranks(matches, byAxis[a]) : undefined]));
  const count = (a: Axis) => rankOf[a]?.size ?? 1;

  // Every file must have the first one's shape: check them all before any pixel is written.
  const shapes: MemberShape[] = new Array(matches.length);
  for (let i = 0; i < matches.length; i += PROBE_CONCURRENCY)
    await Promise.all(
      matches.slice(i, i + PROBE_CONCURRENCY).map(async (m, k) => {
        shapes[i + k] = await probe(m.file, options);
      }),
    );
  const first = shapes[0]!;
  matches.forEach((m, i) => {
    const s = shapes[i]!;
    if (describe(s) !== describe(first))
      throw new InvalidDataError(
        `${m.file} is ${describe(s)}, but ${matches[0]!.file} is ${describe(first)}: every file of the sequence ${pattern.source} must have the same size and pixel type`,
        m.file,
      );
  });
  for (const [axis, size] of [
    ['z', first.Z],
    ['c', first.C],
    ['t', first.T],
  ] as const)
    if (byAxis[axis] && size > 1)
      throw new InvalidDataError(
        `${matches[0]!.file} has ${axis.toUpperCase()}=${size}, but variable '${byAxis[axis]}' of ${pattern.source} stacks files along ${axis.toUpperCase()}: each file must be one ${axis.toUpperCase()} plane`,
        matches[0]!.file,
      );

  const cellKey = (idx: number[]) => idx.join(',');
  const cells = new Map<string, string>();
  for (const m of matches) {
    const idx = AXES.map((a) => (byAxis[a] ? rankOf[a]!.get(m.values[byAxis[a]]!)! : 0));
    const key = cellKey(idx);
    const other = cells.get(key);
    if (other)
      throw new InvalidDataError(
        `${other} and ${m.file} take the same place in ${pattern.source} (their variables have equal values, e.g. 01 and 1 with d+)`,
        m.file,
      );
    cells.set(key, m.file);
  }
  const total = AXES.reduce((n, a) => n * count(a), 1);
  const missing = total - cells.size;
  const fillValue = options.fillValue ?? 0;
  if (missing > 0) {
    const examples: string[] = [];
    const valuesOf = (a: Axis) => [...(rankOf[a]?.keys() ?? [undefined])];
    for (const row of valuesOf('row'))
      for (const col of valuesOf('col'))
        for (const z of valuesOf('z'))
          for (const c of valuesOf('c'))
            for (const t of valuesOf('t')) {
              const values: Record<string, number | string> = { ...matches[0]!.values };
              const picked = { row, col, z, c, t };
              for (const a of AXES) if (byAxis[a]) values[byAxis[a]] = picked[a]!;
              const idx = AXES.map((a) => (byAxis[a] ? rankOf[a]!.get(values[byAxis[a]]!)! : 0));
              if (!cells.has(cellKey(idx)) && examples.length < 5) examples.push(pattern.format(values));
            }
    const which = `${missing} of ${total} files of ${pattern.source} are missing (${examples.join(', ')}${missing > examples.length ? ', …' : ''})`;
    if (options.strict) throw new InvalidDataError(`${which}; --strict asks for every file`, pattern.source);
    options.warn?.(`${which}; their pixels are the fill value ${fillValue}`);
  }

  const W = first.X;
  const H = first.Y;
  const size = {
    X: W * count('col'),
    Y: H * count('row'),
    Z: byAxis.z ? count('z') : first.Z,
    C: byAxis.c ? count('c') : first.C,
    T: byAxis.t ? count('t') : first.T,
  };
  const metadata = await sequenceMetadata(
    matches[0]!.file,
    pattern,
    size,
    options,
    byAxis.c ? rankOf.c : undefined,
  );
  const pool = new ReaderPool(options);

  /** The files under `region` and, for each, what to read from it and where it goes (Z, Y, X origin). */
  function piecesOf(region: Region): Piece[] {
    const pieces: Piece[] = [];
    const zPlanes = byAxis.z
      ? Array.from({ length: region.z[1] - region.z[0] }, (_, k) => region.z[0] + k)
      : [undefined];
    const rows = { from: Math.floor(region.y[0] / H), to: Math.ceil(region.y[1] / H) };
    const cols = { from: Math.floor(region.x[0] / W), to: Math.ceil(region.x[1] / W) };
    for (const [ti, t] of region.t.entries())
      for (const [ci, c] of region.c.entries())
        for (const zPlane of zPlanes)
          for (let row = rows.from; row < rows.to; row++)
            for (let col = cols.from; col < cols.to; col++) {
              // Stacked axes pick the file (whose plane 0 is read); the others pass through to the file.
              const file = cells.get(cellKey([row, col, zPlane ?? 0, byAxis.c ? c : 0, byAxis.t ? t : 0]));
              if (!file) continue;
              const x0 = Math.max(region.x[0], col * W);
              const y0 = Math.max(region.y[0], row * H);
              pieces.push({
                file,
                part: {
                  x: [x0 - col * W, Math.min(region.x[1], (col + 1) * W) - col * W],
                  y: [y0 - row * H, Math.min(region.y[1], (row + 1) * H) - row * H],
                  z: zPlane === undefined ? region.z : [0, 1],
                  c: [byAxis.c ? 0 : c],
                  t: [byAxis.t ? 0 : t],
                },
                plane: ti * region.c.length + ci,
                z: zPlane === undefined ? 0 : zPlane - region.z[0],
                y: y0 - region.y[0],
                x: x0 - region.x[0],
              });
            }
    return pieces;
  }

  async function readRegion(_sel: unknown, region: Region, out: TypedArray): Promise<void> {
    const w = region.x[1] - region.x[0];
    const h = region.y[1] - region.y[0];
    const nz = region.z[1] - region.z[0];
    const pieces = piecesOf(region);
    // A read inside one file (output tiles within the files' tiles) goes straight into `out`.
    const only = pieces.length === 1 ? pieces[0]! : undefined;
    if (only && covers(only.part, region)) {
      await pool.use(only.file, (br) => br.readRegion(only.part, { out }));
      return;
    }
    if (missing > 0) out.fill(fillValue as never);
    await Promise.all(
      pieces.map((p) =>
        pool.use(p.file, async (br) => {
          const data = (await br.readRegion(p.part)).data;
          const pw = p.part.x[1] - p.part.x[0];
          const ph = p.part.y[1] - p.part.y[0];
          for (let z = 0; z < p.part.z[1] - p.part.z[0]; z++)
            for (let y = 0; y < ph; y++) {
              const src = (z * ph + y) * pw;
              const dst = ((p.plane * nz + p.z + z) * h + p.y + y) * w + p.x;
              out.set(data.subarray(src, src + pw) as never, dst);
            }
        }),
      ),
    );
  }

  return {
    format: 'File pattern sequence',
    metadata,
    series: [
      {
        imageIndex: 0,
        dtype: first.dtype,
        levels: [
          {
            sizeX: size.X,
            sizeY: size.Y,
            sizeZ: size.Z,
            sizeC: size.C,
            sizeT: size.T,
            tileWidth: W,
            tileHeight: H,
          },
        ],
      },
    ],
    details: {
      pattern: pattern.source,
      files: matches.length,
      missing,
      variables: byAxis,
      fileShape: describe(first),
    },
    readRegion,
    close: () => pool.close(),
  };
}

/** OME for the whole sequence: the first file's pixel type and pixel sizes, the sequence's sizes. */
async function sequenceMetadata(
  file: string,
  pattern: FilePattern,
  size: { X: number; Y: number; Z: number; C: number; T: number },
  options: SequenceOptions,
  channelValues: Map<number | string, number> | undefined,
): Promise<OME> {
  await using br = await BioReader.open(file, { maxWorkers: options.maxWorkers });
  const pixels = br.image.pixels;
  const fileNames = br.channelNames;
  const channelNames = channelValues
    ? [...channelValues.keys()].map(String)
    : fileNames.length === size.C
      ? fileNames
      : undefined;
  return createOme({
    sizeX: size.X,
    sizeY: size.Y,
    sizeZ: size.Z,
    sizeC: size.C,
    sizeT: size.T,
    type: pixels.type,
    channelNames,
    physicalSizeX: pixels.physicalSizeX,
    physicalSizeY: pixels.physicalSizeY,
    physicalSizeZ: pixels.physicalSizeZ,
    name: pattern.source.split('/').pop(),
  });
}

export const sequenceBackend: Backend = {
  specificationVersion: SPECIFICATION_VERSION,
  name: SEQUENCE_BACKEND,
  packageName: 'bfio-cli',
  extensions: [],
  // Only ever chosen for a path holding {name:type} variables (the CLI forces it for those).
  sniff: () => false,
  canOpen: async (input) => (isFilePattern(input.path) ? true : 'not a file pattern'),
  open: (path, options) =>
    openSequence(path, {
      grid: options.grid as SequenceOptions['grid'],
      fillValue: options.fillValue as number | undefined,
      warn: options.warn as SequenceOptions['warn'],
      maxWorkers: options.maxWorkers,
      strict: options.strict,
    }),
};

registerBackend(sequenceBackend);
