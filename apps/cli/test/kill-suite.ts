/**
 * SIGKILL at random points of a real `bfio convert` (faults-kill-*.test.ts, one file per output format so
 * each stays under a minute): 20 kills per format, 10 converting into an empty folder and 10 replacing a
 * different image with --overwrite. The points are seeded, spread over the time the converter writes (from
 * its temporary appearing to its exit, measured first, under the same load).
 *
 * After each kill the target must be absent, the previous image byte for byte, or (a kill after the
 * rename) the complete new image — pixel-equal to the source through tifffile/zarr-python and our reader.
 * Anything else beside it must be a hidden temporary named for its writer (`isWriterTemp`); a later
 * conversion to the same target succeeds and sweeps those.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { available, dataPath } from '../../../test-support/env.js';
import {
  isWriterTemp,
  ourDigest,
  peerDigests,
  type Run,
  runCli,
  seeded,
  startCli,
  treeDigest,
} from './fault-support.js';

/** 35 planes of 439×167: ~1 s of writing in 64-pixel tiles, a few hundred tiles or chunk files. */
const SOURCE = 'exampletiffs/ometiff_testdata/singles/4D-series.ome.tif';
/** The image already at the target in the --overwrite runs (another size and dtype). */
const PREVIOUS = 'polus-image-tools/r01_c01_x01_y01_z01.ome.tif';
/** Kills per scenario (fresh, overwrite): 20 per output format. */
const KILLS = 10;
/** Conversions at once (this machine has 2 cores; the write window is measured at the same load). */
const AT_ONCE = 2;

interface Outcome {
  scenario: 'fresh' | 'overwrite';
  dir: string;
  run: Run;
  /** Entries beside the target after the kill. */
  others: string[];
  /** absent | previous | present (to be checked as the complete new image). */
  target: 'absent' | 'previous' | 'present';
}

/** Runs `jobs` with at most AT_ONCE at a time. */
async function pool<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

/**
 * Converts into `dir/name`, killing the process `killAfter` ms after its temporary appears (never, when
 * undefined); resolves with the run and the ms from the temporary's appearance to the exit.
 */
async function convertAndKill(
  dir: string,
  name: string,
  args: string[],
  killAfter: number | undefined,
): Promise<{ run: Run; window: number }> {
  let appeared: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const { child, done } = startCli(['convert', dataPath(SOURCE), join(dir, name), ...args]);
  const onTemp = () => {
    if (appeared !== undefined) return;
    appeared = performance.now();
    if (killAfter !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfter);
  };
  const watcher = watch(dir, (_event, file) => {
    if (file && isWriterTemp(file.toString(), name)) onTemp();
  });
  const run = await done;
  watcher.close();
  clearTimeout(timer);
  return { run, window: appeared === undefined ? 0 : performance.now() - appeared };
}

export function describeKills(format: string, name: string, args: string[], seed: number): void {
  describe.skipIf(!available('data', 'python'))(`SIGKILL during bfio convert to ${format}`, () => {
    let root: string;
    let previousDigest: string;
    let sourcePeer: string;
    let sourceOurs: string;
    const outcomes: Outcome[] = [];
    const present: Outcome[] = [];
    let window = 0;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'bfio-kill-'));
      mkdirSync(join(root, 'previous'));
      const prev = await runCli(['convert', dataPath(PREVIOUS), join(root, 'previous', name), ...args]);
      expect(prev.code, prev.stderr).toBe(0);
      previousDigest = treeDigest(join(root, 'previous', name));

      // The write window, measured at the load the kills run under.
      const refs = await pool(
        [0, 1].map((i) => async () => {
          const dir = join(root, `ref${i}`);
          mkdirSync(dir);
          return convertAndKill(dir, name, args, undefined);
        }),
      );
      for (const r of refs) expect(r.run.code, r.run.stderr).toBe(0);
      // The shorter of the two: a kill that lands after the exit proves nothing.
      window = Math.min(...refs.map((r) => r.window));
      expect(window).toBeGreaterThan(0);

      const random = seeded(seed);
      const jobs = (['fresh', 'overwrite'] as const).flatMap((scenario) =>
        Array.from({ length: KILLS }, (_, i) => {
          // Up to 10% past the measured window, so kills during the final renames are in the sample.
          const delay = random() * window * 1.1;
          return async (): Promise<Outcome> => {
            const dir = join(root, `${scenario}${i}`);
            mkdirSync(dir);
            if (scenario === 'overwrite')
              cpSync(join(root, 'previous', name), join(dir, name), { recursive: true });
            const extra = scenario === 'overwrite' ? ['--overwrite'] : [];
            const { run } = await convertAndKill(dir, name, [...args, ...extra], delay);
            const target = join(dir, name);
            const state = !existsSync(target)
              ? 'absent'
              : scenario === 'overwrite' && treeDigest(target) === previousDigest
                ? 'previous'
                : 'present';
            return { scenario, dir, run, others: readdirSync(dir).filter((e) => e !== name), target: state };
          };
        }),
      );
      outcomes.push(...(await pool(jobs)));
      present.push(...outcomes.filter((o) => o.target === 'present'));
      const digests = await peerDigests([dataPath(SOURCE), ...present.map((o) => join(o.dir, name))]);
      sourcePeer = digests[0] as string;
      present.forEach((o, i) => {
        (o as Outcome & { peer?: string }).peer = digests[i + 1];
      });
      sourceOurs = await ourDigest(dataPath(SOURCE));
      const count = (f: (o: Outcome) => boolean) => outcomes.filter(f).length;
      console.log(
        `${format}: write window ${window.toFixed(0)} ms; of ${outcomes.length} runs ${count((o) => o.run.signal === 'SIGKILL')} killed, ` +
          `${count((o) => o.others.length > 0)} left temporaries; target absent ${count((o) => o.target === 'absent')}, ` +
          `previous ${count((o) => o.target === 'previous')}, new ${present.length}`,
      );
    }, 240_000);

    afterAll(() => {
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('kills land while the converter writes, in both scenarios', () => {
      for (const scenario of ['fresh', 'overwrite'] as const) {
        const mine = outcomes.filter((o) => o.scenario === scenario);
        expect(mine).toHaveLength(KILLS);
        const killed = mine.filter((o) => o.run.signal === 'SIGKILL');
        // Otherwise the test would prove nothing: most kills must interrupt a conversion mid-write.
        expect(killed.length, `window ${window.toFixed(0)} ms`).toBeGreaterThanOrEqual(KILLS / 2);
        expect(mine.filter((o) => o.others.length > 0).length).toBeGreaterThanOrEqual(KILLS / 4);
        // A run the kill missed finished normally.
        for (const o of mine) if (o.run.signal !== 'SIGKILL') expect(o.run.code, o.run.stderr).toBe(0);
      }
    });

    it('leaves the target absent, the previous image byte for byte, or the complete new image', async () => {
      expect(sourcePeer).toMatch(/^[0-9a-f]{64}$/);
      for (const o of outcomes) {
        if (o.scenario === 'fresh') expect(o.target).not.toBe('previous');
      }
      for (const o of present) {
        const target = join(o.dir, name);
        // Present and not the previous image: only the finished conversion may be there.
        expect((o as Outcome & { peer?: string }).peer, `${target} (peer)`).toBe(sourcePeer);
        expect(await ourDigest(target), `${target} (ours)`).toBe(sourceOurs);
      }
    });

    it('leaves nothing beside the target but hidden temporaries named for their writer', () => {
      for (const o of outcomes) {
        for (const entry of o.others) expect(isWriterTemp(entry, name), `${o.dir}/${entry}`).toBe(true);
      }
    });

    it('a later conversion to the same target succeeds and sweeps the leftovers', async () => {
      const withLeftovers = (['fresh', 'overwrite'] as const).flatMap((s) =>
        outcomes.filter((o) => o.scenario === s && o.others.length > 0).slice(0, 1),
      );
      expect(withLeftovers.length).toBeGreaterThan(0);
      const runs = await pool(
        withLeftovers.map((o) => () => {
          const again = existsSync(join(o.dir, name)) ? ['--overwrite'] : [];
          return runCli(['convert', dataPath(SOURCE), join(o.dir, name), ...args, ...again]);
        }),
      );
      runs.forEach((r, i) => {
        const o = withLeftovers[i] as Outcome;
        expect(r.code, r.stderr).toBe(0);
        expect(readdirSync(o.dir), o.dir).toEqual([name]);
      });
      const digests = await peerDigests(withLeftovers.map((o) => join(o.dir, name)));
      for (const d of digests) expect(d).toBe(sourcePeer);
    });
  });
}
