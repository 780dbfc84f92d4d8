/**
 * prefaultAhead (placement.mjs, native-copy/prefault.c): a large shared result's pages made present ahead of
 * the workers, without changing what is in them, and never for memory it must leave alone; a 4–64 MiB
 * result on transparent huge pages.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nativeCopy } from '../src/codecs/native-addons.mjs';
import { prefaultAhead } from '../src/placement.mjs';

const MiB = 2 ** 20;
const turn = () => new Promise((r) => setImmediate(r));

describe('prefaultAhead', () => {
  it('is built here (CI builds the addon; without it nothing is prefaulted)', () => {
    if (process.env.CI === 'true') expect(typeof nativeCopy()?.prefault).toBe('function');
  });

  it('starts nothing for memory that is not shared or is small', () => {
    expect(prefaultAhead(new Uint8Array(80 * MiB))).toBeUndefined();
    expect(prefaultAhead(new Uint16Array(new SharedArrayBuffer(8 * MiB)))).toBeUndefined();
  });

  it.skipIf(!nativeCopy()?.prefault)(
    'makes a 96 MiB shared result resident and leaves its contents alone',
    async () => {
      const target = new Uint16Array(new SharedArrayBuffer(96 * MiB + 6));
      // A few values written first (as a worker placing its first block would), at both ends and in between.
      const marks = [0, 1, 4097, 20 * MiB + 3, target.length - 1];
      for (const i of marks) target[i] = i % 65521;
      const before = process.memoryUsage().rss;
      const stop = prefaultAhead(target);
      expect(typeof stop).toBe('function');
      let grown = 0;
      for (let i = 0; i < 200 && grown < 90 * MiB; i++) {
        await turn();
        grown = process.memoryUsage().rss - before;
      }
      expect(grown).toBeGreaterThanOrEqual(90 * MiB);
      for (const i of marks) expect(target[i]).toBe(i % 65521);
      // Everything else is still zero (sampled every 4093 elements: pages, not just the marks).
      for (let i = 2; i < target.length; i += 4093) if (!marks.includes(i)) expect(target[i]).toBe(0);
      stop?.();
    },
  );

  it.skipIf(!nativeCopy()?.prefault)('stops when told to (the read is over)', async () => {
    const target = new Uint8Array(new SharedArrayBuffer(256 * MiB));
    const before = process.memoryUsage().rss;
    const stop = prefaultAhead(target);
    stop?.();
    for (let i = 0; i < 50; i++) await turn();
    // At most the band it was in when stopped (16 MiB), not the 256 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
  });

  // Where the kernel gives huge pages on request ("madvise", Debian's default) or always; not with "never".
  const thp = (() => {
    try {
      return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
    } catch {
      return undefined;
    }
  })();
  const anonHuge = () =>
    Number(/AnonHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1]) * 1024;
  if (thp !== 'madvise' && thp !== 'always')
    console.warn(`SKIPPED: transparent huge pages are "${thp}" here`);

  it.skipIf(!nativeCopy()?.hugePages || (thp !== 'madvise' && thp !== 'always'))(
    'puts a 32 MiB result on huge pages before it is written, and leaves its contents alone',
    () => {
      const target = new Uint16Array(new SharedArrayBuffer(32 * MiB));
      const before = anonHuge();
      expect(prefaultAhead(target)).toBeUndefined(); // under 64 MiB: advised, not prefaulted
      for (let i = 0; i < target.length; i += 512) target[i] = i & 0xffff; // a write in every 1 KiB
      // Every whole 2 MiB-aligned stretch of the 32 MiB: at least 30 MiB.
      expect(anonHuge() - before).toBeGreaterThanOrEqual(30 * MiB);
      for (let i = 0; i < target.length; i += 4093) expect(target[i]).toBe(i % 512 === 0 ? i & 0xffff : 0);
    },
  );
});
