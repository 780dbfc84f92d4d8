/**
 * Readers racing a writer that replaces the image: while this process writes image A to the target, then
 * B over it (`overwrite`), again and again, two other processes read the target whole in a loop — our
 * BioReader (poll-reader.ts) and, for OME-TIFF, tifffile. Every read must be all of A or all of B: never a
 * mix of the two, never a partial image, never an untyped error.
 *
 * An OME-Zarr is a folder replaced by renaming a new one into its place, and its chunks are read by path,
 * so a reader that opened A can meet B's chunks (or none, between the renames). Our reader notices (the
 * folder's identity is checked after each read) and says to open it again — a typed error, never a mix.
 * zarr-python does not: it can return a mix, which no writer can prevent for a folder store, so it is not
 * polled here.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BioReader, BioWriter, copyImage } from '@bfio/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath, REPO_ROOT } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';
import { ourDigest, PEER_DIGEST_FN, peerDigests } from './fault-support.js';

const SOURCE = dataPath('polus-image-tools/r01_c01_x01_y01_z01.ome.tif');
/** Two same-sized crops of the source: a mix of A and B would read without error, so it must be caught. */
const CROPS = { A: [0, 0, 512, 384], B: [512, 512, 512, 384] } as const;
const REPLACEMENTS = 6;

/** Writes the crop `which` of the source to `target` (replacing it), in 64-pixel tiles. */
async function writeCrop(target: string, which: 'A' | 'B'): Promise<void> {
  const [x, y, w, h] = CROPS[which];
  await using reader = await BioReader.open(SOURCE);
  const writer = await BioWriter.create(target, {
    metadata: reader.metadata,
    overwrite: true,
    tileSize: 64,
    X: w,
    Y: h,
  });
  writer.dtype = reader.dtype;
  try {
    await copyImage(reader, writer, { tileSize: 64, X: [x, x + w], Y: [y, y + h] });
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

const PEER_POLL = `${PEER_DIGEST_FN}
target, stop = json.load(sys.stdin)
reads = []
while not os.path.exists(stop):
    reads.append(digest(target))
    if len(reads) == 1:
        open(stop + '.peer', 'w').close()
print(json.dumps(reads))
`;

/** Our reader polling `target` in its own process until `stop` exists. */
function pollOurs(target: string, stop: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'poll-reader.ts'), target, stop],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`poll-reader exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop() as string) as string[]);
    });
  });
}

/** Our reader's answer when the store it opened was replaced under it: open it again. */
const REPLACED = /^typed io-error: Cannot read .*: it was replaced or changed while open .*\(ESTALE\)$/;
/** Any typed error (a folder opened in the instant between the writer's two renames is not there). */
const TYPED = /^typed /;

describe.skipIf(!available('data', 'python')).each([
  { format: 'OME-TIFF', name: 'image.ome.tif', folder: false },
  { format: 'OME-Zarr', name: 'image.ome.zarr', folder: true },
])('readers while a writer replaces an $format', ({ name, folder }) => {
  let root: string;
  const expected: Record<'A' | 'B', { ours: string; peer: string }> = {
    A: { ours: '', peer: '' },
    B: { ours: '', peer: '' },
  };
  let ours: string[] = [];
  let peer: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'bfio-replace-'));
    // The two images alone, for their digests.
    const alone = { A: join(root, `A-${name}`), B: join(root, `B-${name}`) };
    await writeCrop(alone.A, 'A');
    await writeCrop(alone.B, 'B');
    const peers = await peerDigests([alone.A, alone.B]);
    expected.A = { ours: await ourDigest(alone.A), peer: peers[0] as string };
    expected.B = { ours: await ourDigest(alone.B), peer: peers[1] as string };

    const target = join(root, name);
    const stop = join(root, 'stop');
    await writeCrop(target, 'A');
    if (folder) writeFileSync(`${stop}.peer`, '');
    const polls = [
      pollOurs(target, stop),
      folder ? Promise.resolve([]) : runPythonJson<string[]>(PEER_POLL, [target, stop]),
    ];
    try {
      // The readers running (they start in about a second) before the replacements begin.
      for (let waited = 0; !existsSync(`${stop}.ours`) || !existsSync(`${stop}.peer`); waited += 50) {
        if (waited > 60_000) throw new Error('the polling readers did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      for (let i = 0; i < REPLACEMENTS; i++) await writeCrop(target, i % 2 === 0 ? 'B' : 'A');
    } finally {
      writeFileSync(stop, '');
    }
    [ours, peer] = await Promise.all(polls);
    const tally = (reads: string[]) =>
      `${reads.filter((d) => d === expected.A.ours || d === expected.A.peer).length} A, ` +
      `${reads.filter((d) => d === expected.B.ours || d === expected.B.peer).length} B, ` +
      `${reads.filter((d) => REPLACED.test(d)).length} replaced-while-open, ` +
      `${reads.filter((d) => TYPED.test(d) && !REPLACED.test(d)).length} other typed errors`;
    console.log(`${name}: our reader ${tally(ours)}${folder ? '' : `; tifffile ${tally(peer)}`}`);
  }, 180_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('the two images differ, and each reads as itself', () => {
    expect(expected.A.peer).toMatch(/^[0-9a-f]{64}$/);
    expect(expected.B.peer).toMatch(/^[0-9a-f]{64}$/);
    expect(expected.A.peer).not.toBe(expected.B.peer);
    expect(expected.A.ours).not.toBe(expected.B.ours);
  });

  it(`every read by our reader is all of A or all of B${folder ? ', or a typed error' : ''}`, () => {
    // Both images seen: the reads overlapped the replacements.
    expect(ours).toContain(expected.A.ours);
    expect(ours).toContain(expected.B.ours);
    const bad = ours.filter(
      (d) => d !== expected.A.ours && d !== expected.B.ours && !(folder && TYPED.test(d)),
    );
    expect(bad).toEqual([]);
  });

  // Only for the single-file format: a folder store is read chunk by chunk by path, so zarr-python can mix
  // two images and no writer can prevent it (there is no such test for it, rather than a skipped one).
  if (!folder) {
    it('every read by tifffile is all of A or all of B', () => {
      expect(peer).toContain(expected.A.peer);
      expect(peer).toContain(expected.B.peer);
      const bad = peer.filter((d) => d !== expected.A.peer && d !== expected.B.peer);
      expect(bad).toEqual([]);
    });
  }
});
