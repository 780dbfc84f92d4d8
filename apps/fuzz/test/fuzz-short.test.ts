/**
 * The short fuzz run (issue 15): a few thousand mutated inputs across TIFF, OME-XML, Zarr v2, Zarr v3
 * (sharded included) and HTTP with a misbehaving server, each opened and read in a capped child process.
 * Any untyped error, crash, hang, over-budget run or wrong pixels fails the test; the failing inputs are
 * saved (files, seed, plan) and listed for `tsx apps/fuzz/src/cli.ts replay <dir>`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { available } from '../../../test-support/env.js';
import { failureCount, formatTable, runSuite } from '../src/index.js';

/** Fixed, so a failure here is reproduced by the same run (FUZZ_SEED picks another). */
const BASE_SEED = Number(process.env.FUZZ_SEED ?? 20261206);

describe.skipIf(!available('data', 'python'))('fuzzing, short run', () => {
  // About 2.5 minutes on the 2-core machine; the timeout leaves room for a machine shared with other work
  // (hangs are judged by CPU time, so load does not turn slow inputs into failures).
  it('gives only successes and typed errors', { timeout: 900_000 }, async () => {
    const failuresDir = mkdtempSync(join(tmpdir(), 'bfio-fuzz-failures-'));
    const reports = await runSuite({
      counts: { tiff: 900, 'ome-xml': 500, zarr2: 500, zarr3: 500, http: 100 },
      baseSeed: BASE_SEED,
      failuresDir,
      runners: 2,
    });
    console.log(`fuzz short run, seed ${BASE_SEED}\n${formatTable(reports)}`);
    const failures = reports.flatMap((r) =>
      r.failures.map(
        (f) => `${r.format} #${f.index} (${f.seed}): ${f.outcome} ${f.detail?.split('\n')[0]} → ${f.saved}`,
      ),
    );
    expect(failures, failures.join('\n')).toEqual([]);
    for (const r of reports) {
      expect(failureCount(r.counts)).toBe(0);
      // Inputs that were not all refused: the mutations leave some files readable.
      expect(r.counts.success, `${r.format}: no input read successfully`).toBeGreaterThan(0);
      // Damaged OME-XML makes the TIFF reader fall back to the plain TIFF (with a warning), so OME-XML
      // inputs may all read; the XML itself is parsed separately by the exercise.
      if (r.format !== 'ome-xml')
        expect(r.counts['typed-error'], `${r.format}: no input was refused`).toBeGreaterThan(0);
    }
  });
});
