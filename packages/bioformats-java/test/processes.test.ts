/**
 * Ten processes starting at once each start a JVM and open a file with two Java readers (no start race; the
 * second reader of each goes through the Memoizer cache they all share);
 * a jar that is not Bio-Formats gives a typed 'java-unavailable' error in a fresh process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { available, dataPath, REPO_ROOT } from '../../../test-support/env.js';

const ok = available('data', 'java', 'bioformats-jar');
const INDEX = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.ts');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

function run(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    // Not vitest's worker IPC channel: a child inheriting NODE_CHANNEL_FD would talk on it.
    const { NODE_CHANNEL_FD: _fd, NODE_CHANNEL_SERIALIZATION_MODE: _mode, ...parent } = process.env;
    const child = spawn(TSX, [script], {
      env: { ...parent, ...env },
      cwd: dirname(INDEX),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe.skipIf(!ok)('processes', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bfio-procs-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('ten processes starting at once each open a file', async () => {
    const script = join(tmp, 'child.mts');
    writeFileSync(
      script,
      `import { bioformatsBackend } from ${JSON.stringify(INDEX)};
const r = await bioformatsBackend.open(process.argv[2] ?? ${JSON.stringify(dataPath('aicspylibczi/CD_s_1_t_3_c_2_z_5.czi'))}, { memoDir: ${JSON.stringify(join(tmp, 'memo'))}, readers: 2 });
const l = r.series[0].levels[0];
const out = new Uint16Array(l.sizeX * l.sizeY * 5);
await r.readRegion({ series: 0, level: 0 }, { x: [0, l.sizeX], y: [0, l.sizeY], z: [0, 5], c: [1], t: [2] }, out);
let sum = 0; for (const v of out) sum += v;
// The second reader (asked for by the read, opened through the shared Memoizer cache) may still be opening.
for (let i = 0; i < 400 && r.readerCount < 2; i++) await new Promise((res) => setTimeout(res, 50));
console.log(JSON.stringify({ shape: [l.sizeT, l.sizeC, l.sizeZ, l.sizeY, l.sizeX], sum, readers: r.readerCount }));
await r.close();
process.exit(0); // the Java bridge keeps a process alive
`,
    );
    const results = await Promise.all(
      Array.from({ length: 10 }, () => run(script, { BFIO_JAVA_HEAP: '256m' })),
    );
    for (const r of results) expect(r.code, r.err).toBe(0);
    const parsed = results.map((r) => JSON.parse(r.out.trim().split('\n').pop()!));
    expect(parsed[0].shape).toEqual([3, 2, 5, 170, 240]);
    expect(parsed[0].sum).toBeGreaterThan(0);
    expect(parsed[0].readers).toBe(2);
    for (const p of parsed) expect(p).toEqual(parsed[0]);
  });

  test('a jar that is not Bio-Formats gives a java-unavailable error', async () => {
    const fake = join(tmp, 'not-bioformats.jar');
    writeFileSync(fake, 'PK\u0003\u0004 not really a jar');
    const script = join(tmp, 'bad.mts');
    writeFileSync(
      script,
      `import { start } from ${JSON.stringify(INDEX)};
try { await start(); console.log(JSON.stringify({ ok: true })); }
catch (e) { console.log(JSON.stringify({ tag: e.tag, message: e.message })); }
process.exit(0);
`,
    );
    const r = await run(script, { BFIO_BIOFORMATS_JAR: fake });
    const res = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(res.tag).toBe('java-unavailable');
    expect(res.message).toContain(fake);
    expect(res.message).toMatch(/bfio bioformats install/);
  });
});
