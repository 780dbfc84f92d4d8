/**
 * Plane mapping for TIFFs without OME-XML, following tifffile so both agree on what a file contains:
 * - ImageJ hyperstacks (`ImageJ=` description): images/channels/slices/frames → C, Z, T; pages in ImageJ
 *   order (C fastest, then Z, then T); RGB samples are the channels. Hyperstacks larger than the page count
 *   store all planes contiguously after the first page's data (ImageJ's > 4 GiB files).
 * - Anything else: pages (and their SubIFDs) with the same structure form one series, pages → Z and
 *   samples → C; a series whose size is the previous level's divided by 2, 3 or 4 (same factor down the
 *   pyramid) becomes a lower resolution level of it (tifffile's `pyramidize_series`).
 */
import { CorruptFileError, type DType, UnsupportedError } from '@bfio/core';
import { blockLayout, type LevelLayout, type PageRef, type SeriesLayout } from './layout.js';
import type { TiffFile, TiffPage } from './tiff-file.js';

export interface ImageJInfo {
  images: number;
  channels: number;
  slices: number;
  frames: number;
  unit?: string;
  spacing?: number;
  finterval?: number;
}

export function parseImageJ(description: string | undefined): ImageJInfo | undefined {
  if (!description?.startsWith('ImageJ=')) return undefined;
  const kv = new Map<string, string>();
  for (const line of description.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const int = (k: string) => {
    const v = Number.parseInt(kv.get(k) ?? '', 10);
    return Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const num = (k: string) => {
    const v = Number.parseFloat(kv.get(k) ?? '');
    return Number.isFinite(v) ? v : undefined;
  };
  return {
    images: int('images') ?? 1,
    channels: int('channels') ?? 1,
    slices: int('slices') ?? 1,
    frames: int('frames') ?? 1,
    unit: kv.get('unit'),
    spacing: num('spacing'),
    finterval: num('finterval'),
  };
}

interface PageEntry {
  ifd: number;
  subIfd: number;
  page: TiffPage;
}

function dtypeOf(file: TiffFile, page: TiffPage): DType {
  // An unsupported page may still have a dtype (its bits are fine but its sizes are not).
  if (!page.dtype || page.unsupported)
    throw new UnsupportedError(`${file.path}: ${page.unsupported ?? 'unknown pixel type'}`, file.path);
  return page.dtype;
}

function levelFrom(
  pages: PageEntry[],
  fileIndex: number,
  sizeC: number,
  dims?: { z: number; t: number; order: 'czt' },
): LevelLayout {
  const first = pages[0]!.page;
  const spp = first.samplesPerPixel;
  const sizeZ = dims ? dims.z : pages.length;
  const sizeT = dims ? dims.t : 1;
  const planes: Array<PageRef | undefined> = new Array(sizeZ * sizeC * sizeT);
  for (let t = 0; t < sizeT; t++) {
    for (let z = 0; z < sizeZ; z++) {
      for (let c = 0; c < sizeC; c++) {
        // Pages hold (C / spp) channels in ImageJ order; each sample of a page is one channel.
        const pageC = Math.floor(c / spp);
        const perPage = sizeC / spp;
        const pi = dims ? (t * sizeZ + z) * perPage + pageC : z;
        const e = pages[pi];
        planes[(t * sizeC + c) * sizeZ + z] = e
          ? {
              file: fileIndex,
              ifd: e.ifd,
              subIfd: e.subIfd,
              sample: c % spp,
              ...(e.ifd < 0 ? { virtual: e.page } : {}),
            }
          : undefined;
      }
    }
  }
  return { sizeX: first.width, sizeY: first.height, sizeZ, sizeC, sizeT, ...blockLayout(first), planes };
}

/** ImageJ hyperstack layout, or undefined when the description does not fit the pages. */
export async function imagejLayout(
  file: TiffFile,
  fileIndex: number,
  info: ImageJInfo,
): Promise<SeriesLayout | undefined> {
  const offsets = await file.ifdOffsets();
  const page0 = await file.page(0);
  const spp = page0.samplesPerPixel;
  // RGB ImageJ files have no channels= (the samples are the channels); images = slices × frames.
  let C = spp > 1 ? spp : info.channels;
  let Z = info.slices;
  let T = info.frames;
  const n = info.images;
  if ((spp > 1 ? Z * T : C * Z * T) !== n) {
    // Inconsistent description: every image is a Z plane.
    if (spp === 1) C = 1;
    Z = n;
    T = 1;
  }
  const total = spp > 1 ? Z * T : C * Z * T;
  const entries: PageEntry[] = [];
  if (offsets.length >= total) {
    for (let i = 0; i < total; i++) entries.push({ ifd: i, subIfd: -1, page: await file.page(i) });
  } else {
    // Contiguous hyperstack: planes follow the first page's (uncompressed, contiguous) data.
    if (page0.compression !== 1 || page0.bitsPerSample % 8 !== 0) return undefined;
    const bytes = page0.width * page0.height * spp * (page0.bitsPerSample / 8);
    const start = Number(page0.offsets[0]);
    if (start + bytes * total > file.source.size) {
      throw new CorruptFileError(
        file.path,
        `the ImageJ hyperstack needs ${total} planes of ${bytes} bytes from byte ${start}, past the end of the file`,
        start,
      );
    }
    for (let i = 0; i < total; i++) {
      const virtual: TiffPage = {
        ...page0,
        offset: -(i + 1),
        tiled: false,
        blockWidth: page0.width,
        blockHeight: page0.height,
        blocksAcross: 1,
        blocksDown: 1,
        planar: spp > 1 ? page0.planar : 1,
        offsets:
          page0.planar === 2 && spp > 1
            ? Array.from({ length: spp }, (_, s) => start + i * bytes + (s * bytes) / spp)
            : [start + i * bytes],
        byteCounts: page0.planar === 2 && spp > 1 ? Array.from({ length: spp }, () => bytes / spp) : [bytes],
        subIfds: [],
      };
      entries.push({ ifd: -1, subIfd: -1, page: virtual });
    }
  }
  return {
    imageIndex: 0,
    dtype: dtypeOf(file, page0),
    levels: [levelFrom(entries, fileIndex, C, { z: Z, t: T, order: 'czt' })],
  };
}

function pageKey(p: TiffPage): string {
  return [
    p.width,
    p.height,
    p.samplesPerPixel,
    p.bitsPerSample,
    p.sampleFormat,
    p.tiled ? `t${p.blockWidth}x${p.blockHeight}` : `s${p.blockHeight}`,
    p.compression,
    p.predictor,
    p.photometric,
    p.planar,
    p.fillOrder,
  ].join(':');
}

function subresolutionLevel(a: TiffPage, b: TiffPage, p: number): number | undefined {
  let level: number | undefined;
  for (const [i, j] of [
    [a.height, b.height],
    [a.width, b.width],
  ] as const) {
    if (level === undefined) {
      for (let r = 0; r < 16; r++) {
        const d = p ** r;
        if (d > i) return undefined;
        if (Math.floor(i / d) === j || Math.floor((i + d - 1) / d) === j) {
          level = r;
          break;
        }
      }
      if (level === undefined) return undefined;
    } else {
      const d = p ** level;
      if (!(Math.floor(i / d) === j || Math.floor((i + d - 1) / d) === j)) return undefined;
    }
  }
  return level;
}

/** Plain TIFF: tifffile's generic series, pyramidized. */
export async function genericLayout(file: TiffFile, fileIndex: number): Promise<SeriesLayout[]> {
  const offsets = await file.ifdOffsets();
  const groups = new Map<string, PageEntry[]>();
  const seen = new Set<number>();
  const add = (e: PageEntry) => {
    if (seen.has(e.page.offset)) return;
    seen.add(e.page.offset);
    const key = pageKey(e.page);
    const list = groups.get(key) ?? [];
    list.push(e);
    groups.set(key, list);
  };
  for (let i = 0; i < offsets.length; i++) {
    const page = await file.page(i);
    add({ ifd: i, subIfd: -1, page });
    for (let s = 0; s < page.subIfds.length; s++) {
      const off = page.subIfds[s]!;
      if (off < 8) continue;
      add({ ifd: i, subIfd: s, page: await file.pageAt(off) });
    }
  }
  interface Candidate {
    pages: PageEntry[];
    levels: PageEntry[][];
  }
  const list: Candidate[] = [...groups.values()].map((pages) => ({ pages, levels: [pages] }));
  const sameKind = (a: PageEntry[], b: PageEntry[]) =>
    a.length === b.length &&
    a[0]!.page.samplesPerPixel === b[0]!.page.samplesPerPixel &&
    a[0]!.page.dtype === b[0]!.page.dtype &&
    (a[0]!.page.planar === 2) === (b[0]!.page.planar === 2);
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (a.pages[0]!.subIfd >= 0) continue; // SubIFDs cannot be pyramid top levels
    let factor: number | undefined;
    for (let j = i + 1; j < list.length; ) {
      const b = list[j]!;
      const last = a.levels[a.levels.length - 1]!;
      let ok = false;
      if (sameKind(last, b.pages)) {
        if (factor === undefined) {
          for (const f of [2, 3, 4]) {
            if (subresolutionLevel(last[0]!.page, b.pages[0]!.page, f) === 1) {
              factor = f;
              ok = true;
              break;
            }
          }
        } else {
          ok = subresolutionLevel(last[0]!.page, b.pages[0]!.page, factor) === 1;
        }
      }
      if (ok) {
        a.levels.push(b.pages);
        list.splice(j, 1);
      } else {
        j++;
      }
    }
  }
  return list.map((cand, index) => ({
    imageIndex: index,
    dtype: dtypeOf(file, cand.pages[0]!.page),
    levels: cand.levels.map((pages) => levelFrom(pages, fileIndex, pages[0]!.page.samplesPerPixel)),
  }));
}
