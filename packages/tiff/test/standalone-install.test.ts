/**
 * The design promise: installing only @bfio/core + @bfio/tiff (and what they depend on: @bfio/ome-xml,
 * @bfio/codecs) from their published tarballs, with publishConfig applied, gives a working reader and
 * writer, in a plain Node app outside the monorepo. Builds the four packages, packs them, npm-installs the tarballs into a temp app and runs it; tifffile
 * checks the file it wrote.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { available, REPO_ROOT } from '../../../test-support/env.js';
import { runPythonJson } from '../../../test-support/python.js';

const ok = available('python');

describe.skipIf(!ok)('@bfio/core + @bfio/tiff installed alone', () => {
  it('reads and writes an OME-TIFF from the packed tarballs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bfio-standalone-'));
    const tgz = join(dir, 'tgz');
    const app = join(dir, 'app');
    mkdirSync(tgz);
    mkdirSync(app);
    const run = (cmd: string, args: string[], cwd: string) =>
      execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
    run('pnpm', ['turbo', 'run', 'build', '--filter=@bfio/tiff...'], REPO_ROOT);
    for (const p of ['ome-xml', 'codecs', 'core', 'tiff'])
      run('pnpm', ['pack', '--pack-destination', tgz], join(REPO_ROOT, 'packages', p));
    const files = readdirSync(tgz);
    const file = (name: string) => `file:${join(tgz, files.find((f) => f.startsWith(`bfio-${name}-`))!)}`;
    const deps = {
      '@bfio/core': file('core'),
      '@bfio/tiff': file('tiff'),
      '@bfio/ome-xml': file('ome-xml'),
      '@bfio/codecs': file('codecs'),
    };
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: deps, overrides: deps }),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], app);
    const out = resolve(app, 'written.ome.tif');
    writeFileSync(
      join(app, 'main.mjs'),
      `import { BioReader, BioWriter } from '@bfio/core';
import '@bfio/tiff';
const bw = await BioWriter.create(${JSON.stringify(out)}, { X: 100, Y: 80, C: 2, dtype: 'uint16', tileSize: 64, channelNames: ['a', 'b'] });
const d = new Uint16Array(100 * 80 * 2).map((_, i) => (i * 7) % 65536);
await bw.write({ data: d, shape: [80, 100, 1, 2] });
await bw.close();
// Plain Node 20 has no \`await using\` syntax: close explicitly.
const br = await BioReader.open(${JSON.stringify(out)});
const a = (await br.read({}, { squeeze: false })).toContiguous();
await br.close();
// LZW goes through @bfio/codecs' worker pool: its worker files must be in the tarball.
const lzwPath = ${JSON.stringify(out)}.replace('written', 'lzw');
const big = new Uint16Array(1024 * 1024).map((_, i) => (i * 13) % 4099);
const lw = await BioWriter.create(lzwPath, { X: 1024, Y: 1024, dtype: 'uint16', tileSize: 512, compression: 'lzw' });
await lw.write({ data: big, shape: [1024, 1024] });
await lw.close();
const lr = await BioReader.open(lzwPath);
const b = (await lr.read()).toContiguous();
await lr.close();
console.log(JSON.stringify({ backend: br.backendName, shape: br.shape, names: br.channelNames, same: a.data.every((v, i) => v === d[i]), lzw: b.data.every((v, i) => v === big[i]) }));
process.exit(0);
`,
    );
    const result = JSON.parse(run('node', ['main.mjs'], app).trim());
    expect(result).toEqual({
      backend: 'tiff',
      shape: [80, 100, 1, 2, 1],
      names: ['a', 'b'],
      same: true,
      lzw: true,
    });
    const peer = await runPythonJson<{ shape: number[]; ok: boolean }>(
      `import json, sys, numpy as np, tifffile
p = json.load(sys.stdin)
a = tifffile.imread(p)  # (C, Y, X)
want = (np.arange(100 * 80 * 2, dtype=np.int64) * 7 % 65536).astype(np.uint16).reshape(80, 100, 2).transpose(2, 0, 1)
print(json.dumps({"shape": list(a.shape), "ok": bool(np.array_equal(a, want))}))`,
      out,
    );
    expect(peer).toEqual({ shape: [2, 80, 100], ok: true });
  });
});
