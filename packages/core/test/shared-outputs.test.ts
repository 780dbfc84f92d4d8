/**
 * Large read results on SharedArrayBuffers are released once dropped: V8 counts no SharedArrayBuffer as
 * memory to collect for, so a program reading big regions one after another kept every dropped result
 * (RSS grew by each result's size). Run in a child process, so its peak RSS is this loop's alone.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

describe('shared read results', () => {
  it('twelve dropped 256 MiB results do not stay in memory (peak RSS under 2 GiB, not 3+)', () => {
    const code = `
import { sharedMemory } from ${JSON.stringify(join(here, '..', 'src', 'shared-outputs.ts'))};
for (let i = 0; i < 12; i++) {
  const a = new Uint8Array(sharedMemory(256 * 2 ** 20));
  for (let j = 0; j < a.length; j += 4096) a[j] = 1; // fault every page in, as a read does
  await new Promise((done) => setTimeout(done, 10));
}
console.log(JSON.stringify({ peakMiB: process.resourceUsage().maxRSS / 1024 }));
`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      cwd: join(here, '..'),
    });
    expect(r.status, r.stderr).toBe(0);
    const { peakMiB } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { peakMiB: number };
    expect(peakMiB).toBeLessThan(2048);
  }, 60_000);
});
