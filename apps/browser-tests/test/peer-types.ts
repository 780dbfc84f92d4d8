/** What the tests share: the Python peer script, the shape of its answers, where screenshots go. */
import { readFileSync } from 'node:fs';

/** test/peers.py, run once per test file with runPythonJson. */
export const PEERS = readFileSync(new URL('./peers.py', import.meta.url), 'utf8');

/** One image level as peers.py and the pages describe it: (T, C, Z, Y, X) shape, dtype, per-plane SHA-256. */
export interface Planes {
  shape: number[];
  dtype: string;
  planes: string[];
  /** Every sample (T, C, Z, Y, X order), where the test asked for them. */
  values?: number[];
}

/** Screenshots and other artefacts of a run (git-ignored). */
export const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
