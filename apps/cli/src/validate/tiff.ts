/**
 * Structural rules of a TIFF (TIFF 6.0 and BigTIFF), one function per rule id. Each returns the places the rule
 * is broken (empty: ok). They read only the structure walked by tiff-structure.ts.
 */
import type { Problem, Report } from './report.js';
import { type Ifd, TAG, type TiffStructure } from './tiff-structure.js';

type Rule = (s: TiffStructure) => Problem[];

function allIfds(s: TiffStructure): Ifd[] {
  return [...s.ifds, ...[...s.subIfds.values()].flat()];
}

function one(s: TiffStructure, ifd: Ifd, tag: number): number | undefined {
  return s.values(ifd, tag)?.[0];
}

/** tiff.ifd-offset-in-file: every IFD (main chain and SubIFDs) starts and ends inside the file. */
const ifdOffsetInFile: Rule = (s) =>
  s.badLinks
    .filter((b) => b.reason !== 'loop' && !b.from.includes('SubIFD'))
    .map((b) => ({
      where: `${b.from} → IFD at ${b.offset}`,
      message:
        b.reason === 'outside'
          ? `the IFD offset ${b.offset} is outside the file (${s.size} bytes)`
          : `the IFD at ${b.offset} has more entries than the file holds (${s.size} bytes)`,
      fix: 'the file is truncated or its IFD pointer is corrupt: rewrite it from the source (bfio convert)',
    }));

/** tiff.ifd-loop: no IFD is reached twice (a chain that loops never ends for naive readers). */
const ifdLoop: Rule = (s) =>
  s.badLinks
    .filter((b) => b.reason === 'loop')
    .map((b) => ({
      where: `${b.from} → IFD at ${b.offset}`,
      message: `points back to an IFD already in the chain (offset ${b.offset}): the chain loops`,
      fix: 'set the last IFD’s next-IFD offset to 0 (rewrite the file with bfio convert or tifffile)',
    }));

/** tiff.subifd-offset-in-file: every SubIFDs entry points at an IFD inside the file. */
const subIfdOffsetInFile: Rule = (s) =>
  s.badLinks
    .filter((b) => b.reason !== 'loop' && b.from.includes('SubIFD'))
    .map((b) => ({
      where: b.from,
      message: `the SubIFD offset ${b.offset} is outside the file (${s.size} bytes) or its entries are`,
      fix: 'rewrite the pyramid (bfio convert --pyramid) or drop the SubIFDs tag',
    }));

/** tiff.tag-value-in-file: out-of-line tag values lie inside the file. */
const tagValueInFile: Rule = (s) =>
  s.badValues.map((v) => ({
    where: `${v.ifd} tag ${v.tag}`,
    message: `its ${v.bytes} value bytes at offset ${v.pos} run past the end of the file (${s.size} bytes)`,
    fix: 'the file is truncated or the tag is corrupt: rewrite the file from its source',
  }));

/** tiff.required-tags: width, length and either strips or tiles (offsets and byte counts). */
const requiredTags: Rule = (s) => {
  const out: Problem[] = [];
  for (const ifd of allIfds(s)) {
    const missing: string[] = [];
    if (!ifd.entries.has(TAG.ImageWidth)) missing.push('ImageWidth (256)');
    if (!ifd.entries.has(TAG.ImageLength)) missing.push('ImageLength (257)');
    const tiled = isTiled(ifd);
    const [offsets, counts] = blockTags(ifd);
    if (!ifd.entries.has(offsets)) missing.push('StripOffsets (273) or TileOffsets (324)');
    if (!ifd.entries.has(counts)) missing.push(tiled ? 'TileByteCounts (325)' : 'StripByteCounts (279)');
    if (tiled && !ifd.entries.has(TAG.TileWidth)) missing.push('TileWidth (322)');
    if (tiled && !ifd.entries.has(TAG.TileLength)) missing.push('TileLength (323)');
    if (missing.length) {
      out.push({
        where: ifd.name,
        message: `missing ${missing.join(', ')}`,
        fix: 'every image IFD needs these tags; rewrite the file with a conforming writer',
      });
    }
  }
  return out;
};

function isTiled(ifd: Ifd): boolean {
  return ifd.entries.has(TAG.TileOffsets) || ifd.entries.has(TAG.TileWidth);
}

/**
 * The offset and byte-count tags of an IFD's blocks. Tiled images written by old libtiff keep their tile tables
 * in the strip tags (libtiff and tifffile read them so), and are accepted.
 */
function blockTags(ifd: Ifd): [number, number] {
  if (isTiled(ifd) && ifd.entries.has(TAG.TileOffsets)) return [TAG.TileOffsets, TAG.TileByteCounts];
  if (isTiled(ifd) && !ifd.entries.has(TAG.StripOffsets)) return [TAG.TileOffsets, TAG.TileByteCounts];
  return [TAG.StripOffsets, TAG.StripByteCounts];
}

/** tiff.tile-size: tile width and length are positive multiples of 16 (TIFF 6.0, section 15). */
const tileSize: Rule = (s) => {
  const out: Problem[] = [];
  for (const ifd of allIfds(s)) {
    if (!isTiled(ifd)) continue;
    const tw = one(s, ifd, TAG.TileWidth);
    const th = one(s, ifd, TAG.TileLength);
    if (tw === undefined || th === undefined) continue;
    if (tw <= 0 || th <= 0 || tw % 16 || th % 16) {
      out.push({
        where: ifd.name,
        message: `tiles are ${tw}×${th}; they must be positive multiples of 16`,
        fix: 'rewrite with a valid tile size (bfio convert --tile-size 512)',
      });
    }
  }
  return out;
};

/** Planes of separately stored samples (PlanarConfiguration 2) each have their own tiles/strips. */
function planes(s: TiffStructure, ifd: Ifd): number {
  return one(s, ifd, TAG.PlanarConfiguration) === 2 ? (one(s, ifd, TAG.SamplesPerPixel) ?? 1) : 1;
}

/** tiff.tile-count: TileOffsets and TileByteCounts hold tiles across × tiles down × planes values. */
const tileCount: Rule = (s) => {
  const out: Problem[] = [];
  for (const ifd of allIfds(s)) {
    if (!isTiled(ifd)) continue;
    const [offTag, cntTag] = blockTags(ifd);
    const off = ifd.entries.get(offTag);
    const cnt = ifd.entries.get(cntTag);
    const w = one(s, ifd, TAG.ImageWidth);
    const h = one(s, ifd, TAG.ImageLength);
    const tw = one(s, ifd, TAG.TileWidth);
    const th = one(s, ifd, TAG.TileLength);
    if (!off || !cnt || !w || !h || !tw || !th) continue;
    const across = Math.ceil(w / tw);
    const down = Math.ceil(h / th);
    const want = across * down * planes(s, ifd);
    if (off.count !== want || cnt.count !== want) {
      out.push({
        where: ifd.name,
        message: `${off.count} tile offsets and ${cnt.count} byte counts, but a ${w}×${h} image in ${tw}×${th} tiles has ${across} × ${down} × ${planes(s, ifd)} = ${want} tiles`,
        fix: 'the tile tables do not match the image size: rewrite the file (bfio convert)',
      });
    }
  }
  return out;
};

/** tiff.strip-count: StripOffsets and StripByteCounts hold ceil(length / RowsPerStrip) × planes values. */
const stripCount: Rule = (s) => {
  const out: Problem[] = [];
  for (const ifd of allIfds(s)) {
    if (isTiled(ifd)) continue;
    const off = ifd.entries.get(TAG.StripOffsets);
    const cnt = ifd.entries.get(TAG.StripByteCounts);
    const h = one(s, ifd, TAG.ImageLength);
    if (!off || !cnt || !h) continue;
    const rps = Math.min(one(s, ifd, TAG.RowsPerStrip) ?? h, h) || h;
    const want = Math.ceil(h / rps) * planes(s, ifd);
    if (off.count !== want || cnt.count !== want) {
      out.push({
        where: ifd.name,
        message: `${off.count} strip offsets and ${cnt.count} byte counts, but ${h} rows in strips of ${rps} rows make ${want} strips`,
        fix: 'the strip tables do not match ImageLength/RowsPerStrip: rewrite the file',
      });
    }
  }
  return out;
};

/** tiff.{tile,strip}-{offset,bytes}-in-file: each block starts, and ends, inside the file. */
function blocksInFile(kind: 'tile' | 'strip', check: 'offset' | 'bytes'): Rule {
  return (s) => {
    const out: Problem[] = [];
    for (const ifd of allIfds(s)) {
      if (isTiled(ifd) !== (kind === 'tile')) continue;
      const [offTag, cntTag] = blockTags(ifd);
      const offs = s.values(ifd, offTag);
      const counts = s.values(ifd, cntTag);
      if (!offs || !counts) continue;
      for (let i = 0; i < Math.min(offs.length, counts.length); i++) {
        const o = offs[i] as number;
        const n = counts[i] as number;
        if (o === 0 && n === 0) continue; // a sparse (never written) block
        if (check === 'offset' && o >= s.size) {
          out.push({
            where: `${ifd.name} ${kind} ${i}`,
            message: `starts at byte ${o}, past the end of the file (${s.size} bytes)`,
            fix: 'the file is truncated or its offsets are corrupt: rewrite it from the source',
          });
        } else if (check === 'bytes' && o < s.size && o + n > s.size) {
          out.push({
            where: `${ifd.name} ${kind} ${i}`,
            message: `${n} bytes from byte ${o} run ${o + n - s.size} bytes past the end of the file (${s.size} bytes)`,
            fix: 'the file is truncated (an interrupted copy or write?): copy or write it again',
          });
        }
      }
    }
    return out;
  };
}

/**
 * tiff.subifd-size: a SubIFD marked as a reduced resolution (NewSubfileType bit 0) is no larger than its parent.
 * (Other SubIFDs may be larger: DNG keeps the full image in a SubIFD under a thumbnail.)
 */
const subIfdSize: Rule = (s) => {
  const out: Problem[] = [];
  for (const [i, subs] of s.subIfds) {
    const parent = s.ifds[i] as Ifd;
    const pw = one(s, parent, TAG.ImageWidth) ?? 0;
    const ph = one(s, parent, TAG.ImageLength) ?? 0;
    for (const sub of subs) {
      if (!((one(s, sub, TAG.NewSubfileType) ?? 0) & 1)) continue;
      const w = one(s, sub, TAG.ImageWidth) ?? 0;
      const h = one(s, sub, TAG.ImageLength) ?? 0;
      if (w > pw || h > ph) {
        out.push({
          where: sub.name,
          message: `${w}×${h} is larger than its parent ${parent.name} (${pw}×${ph})`,
          fix: 'SubIFDs hold reduced resolutions, largest first: rewrite the pyramid (bfio convert --pyramid)',
        });
      }
    }
  }
  return out;
};

export const TIFF_RULES: Array<[string, Rule]> = [
  ['tiff.ifd-offset-in-file', ifdOffsetInFile],
  ['tiff.ifd-loop', ifdLoop],
  ['tiff.tag-value-in-file', tagValueInFile],
  ['tiff.required-tags', requiredTags],
  ['tiff.tile-size', tileSize],
  ['tiff.tile-count', tileCount],
  ['tiff.strip-count', stripCount],
  ['tiff.tile-offset-in-file', blocksInFile('tile', 'offset')],
  ['tiff.tile-bytes-in-file', blocksInFile('tile', 'bytes')],
  ['tiff.strip-offset-in-file', blocksInFile('strip', 'offset')],
  ['tiff.strip-bytes-in-file', blocksInFile('strip', 'bytes')],
  ['tiff.subifd-offset-in-file', subIfdOffsetInFile],
  ['tiff.subifd-size', subIfdSize],
];

/** Runs every structural rule; the target names the file and what it holds. */
export function checkTiff(s: TiffStructure, report: Report): void {
  const subs = [...s.subIfds.values()].reduce((n, l) => n + l.length, 0);
  const target = `${s.bigTiff ? 'BigTIFF' : 'TIFF'}, ${s.ifds.length} IFDs${subs ? ` + ${subs} SubIFDs` : ''}`;
  for (const [id, rule] of TIFF_RULES) report.check(id, target, rule(s));
}
