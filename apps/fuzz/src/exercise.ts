/**
 * What every fuzz input goes through: open, touch all metadata, and read a few cheap regions (the first
 * and last corner of a plane) of every series and level, within a small read budget. Returns the outcome
 * seen from inside the process (success / typed / untyped error); hangs, crashes and memory are judged by
 * the runner from outside.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BioReader, isBfioError } from '@bfio/core';
import { OmeXmlError, parseOmeXml } from '@bfio/ome-xml';
import '@bfio/tiff';
import '@bfio/zarr';
import { readDescription } from './mutate-xml.js';

/** The read budget of one region: far above what a seed needs, far below what hurts the machine. */
export const READ_BUDGET = 64 * 2 ** 20;
const MAX_SERIES = 4;
const MAX_LEVELS = 6;
const CORNER = 96;

export interface Exercised {
  outcome: 'success' | 'typed-error' | 'untyped-error';
  detail?: string;
  pixels?: string;
}

async function readAll(br: BioReader, hash: ReturnType<typeof createHash>): Promise<void> {
  void br.metadata;
  void br.format;
  void br.details;
  void br.channelNames;
  void br.physicalSizeX;
  void br.physicalSizeY;
  void br.physicalSizeZ;
  for (let s = 0; s < Math.min(br.seriesCount, MAX_SERIES); s++) {
    br.series = s;
    void br.image;
    for (let l = 0; l < Math.min(br.levelCount, MAX_LEVELS); l++) {
      br.level = l;
      void br.tileSize;
      const [X, Y] = [br.X, br.Y];
      const c = [...Array(Math.min(br.C, 2)).keys()];
      const corners: Array<[number, number]> = [
        [0, 0],
        [Math.max(0, X - CORNER), Math.max(0, Y - CORNER)],
      ];
      for (const [x, y] of corners) {
        const px = await br.read(
          {
            X: [x, Math.min(X, x + CORNER)],
            Y: [y, Math.min(Y, y + CORNER)],
            Z: [br.Z - 1, br.Z],
            C: c,
            T: [0],
          },
          { maxBytes: READ_BUDGET, shared: false, squeeze: false },
        );
        hash.update(new Uint8Array(px.data.buffer, px.data.byteOffset, px.data.byteLength));
      }
    }
  }
}

/**
 * The TIFF reader falls back to reading a file as plain TIFF when its OME-XML does not parse or fit (with a
 * warning), which would hide an untyped error inside the parser: the OME-XML is also parsed on its own,
 * where only an OmeXmlError is acceptable.
 */
function parseDescription(path: string): void {
  if (!/\.tiff?$/i.test(path) || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return;
  const xml = readDescription(new Uint8Array(readFileSync(path)));
  if (xml === undefined || !xml.includes('<')) return;
  try {
    parseOmeXml(xml, { file: path });
  } catch (err) {
    if (!OmeXmlError.isInstance(err)) throw err;
  }
}

export async function exercise(path: string): Promise<Exercised> {
  try {
    parseDescription(path);
    const hash = createHash('sha256');
    const br = await BioReader.open(path);
    try {
      await readAll(br, hash);
    } finally {
      await br.close();
    }
    return { outcome: 'success', pixels: hash.digest('hex') };
  } catch (err) {
    const e = err as Error;
    const text = `${e?.name}: ${e?.message}`.slice(0, 600);
    if (isBfioError(err)) return { outcome: 'typed-error', detail: `[${err.tag}] ${text}` };
    return {
      outcome: 'untyped-error',
      detail: `${text}\n${(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}`,
    };
  }
}
