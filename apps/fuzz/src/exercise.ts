/**
 * What every fuzz input goes through: open, touch all metadata, and read a few cheap regions (the first
 * and last corner of a plane) of every series and level, within a small read budget. Returns the outcome
 * seen from inside the process (success / typed / untyped error); hangs, crashes and memory are judged by
 * the runner from outside.
 */
import { createHash } from 'node:crypto';
import { BioReader, isBfioError } from '@bfio/core';
import '@bfio/tiff';
import '@bfio/zarr';

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

export async function exercise(path: string): Promise<Exercised> {
  try {
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
