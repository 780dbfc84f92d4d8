/**
 * Test helpers: one batched xmllint run against the 2016-06 schema, a minimal TIFF IFD0 ImageDescription
 * reader (classic and BigTIFF, both byte orders) and the sample lists.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DATA_DIR } from '../../../test-support/env.js';

export const SCHEMA_DIR = join(DATA_DIR, 'ome-xml-schema', 'released-schema');
export const OME_XSD = join(SCHEMA_DIR, '2016-06', 'ome.xsd');

export interface Validation {
  valid: boolean;
  /** xmllint's error lines for this document (file prefix removed). */
  errors: string[];
}

/**
 * Validate many documents with ONE xmllint process. The OME catalog maps xml.xsd to the local copy, so no
 * network is needed (--nonet).
 */
export function validateMany(docs: Record<string, string>): Record<string, Validation> {
  const dir = mkdtempSync(join(tmpdir(), 'ome-xml-lint-'));
  const names = Object.keys(docs);
  const paths = names.map((_, i) => join(dir, `doc${i}.xml`));
  names.forEach((n, i) => {
    writeFileSync(paths[i] as string, docs[n] as string);
  });
  const r = spawnSync('xmllint', ['--nonet', '--noout', '--schema', OME_XSD, ...paths], {
    env: { ...process.env, XML_CATALOG_FILES: join(SCHEMA_DIR, 'catalog.xml') },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  rmSync(dir, { recursive: true, force: true });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n');
  const out: Record<string, Validation> = {};
  names.forEach((n, i) => {
    const p = paths[i] as string;
    const errors = lines.filter((l) => l.startsWith(`${p}:`)).map((l) => l.slice(p.length + 1));
    const valid = lines.includes(`${p} validates`);
    if (!valid && !lines.includes(`${p} fails to validate`)) {
      throw new Error(`xmllint said nothing about ${n}:\n${r.stderr.slice(0, 2000)}`);
    }
    out[n] = { valid, errors };
  });
  return out;
}

/** ImageDescription (tag 270) of IFD0, or undefined. Reads only the header, the IFD and the string. */
export function imageDescription(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const read = (pos: number, len: number): Buffer => {
      const b = Buffer.alloc(len);
      readSync(fd, b, 0, len, pos);
      return b;
    };
    const head = read(0, 16);
    const le = head.toString('latin1', 0, 2) === 'II';
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const magic = u16(head, 2);
    const big = magic === 43;
    if (magic !== 42 && !big) throw new Error(`${path}: not a TIFF (magic ${magic})`);
    const ifd = big ? u64(head, 8) : u32(head, 4);
    const countBytes = read(ifd, 8);
    const n = big ? u64(countBytes, 0) : u16(countBytes, 0);
    const entrySize = big ? 20 : 12;
    const entries = read(ifd + (big ? 8 : 2), n * entrySize);
    for (let i = 0; i < n; i++) {
      const e = i * entrySize;
      if (u16(entries, e) !== 270) continue;
      const count = big ? u64(entries, e + 4) : u32(entries, e + 4);
      const inline = big ? 8 : 4;
      const bytes =
        count <= inline
          ? entries.subarray(e + (big ? 12 : 8), e + (big ? 12 : 8) + count)
          : read(big ? u64(entries, e + 12) : u32(entries, e + 8), count);
      return bytes.toString('utf8').replace(/\0+$/, '');
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!name.endsWith('.zarr')) walk(p, out);
    } else out.push(p);
  }
  return out;
}

/** Every standalone OME-XML sample (schema samples and ome-types fixtures; .xsd and catalogs excluded). */
export function xmlSamples(): string[] {
  const roots = [join(DATA_DIR, 'ome-xml-schema', 'samples'), join(DATA_DIR, 'ome-types')];
  return roots
    .flatMap((r) => walk(r))
    .filter((p) => p.endsWith('.xml'))
    .sort();
}

/** Every .ome.tif / .ome.tiff under the data dir (plus ome-types/ome.tiff). */
export function omeTiffs(): string[] {
  return walk(DATA_DIR)
    .filter((p) => /\.ome\.tiff?$/i.test(p) || p.endsWith(join('ome-types', 'ome.tiff')))
    .sort();
}

export function rel(p: string): string {
  return relative(DATA_DIR, p);
}
