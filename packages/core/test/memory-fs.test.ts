/**
 * The in-memory file system browser builds write to, checked against node:fs/promises itself: the same
 * sequence of operations runs on a temporary folder and in memory, and each step must give the same result
 * or fail with the same error code (what bfio's writers and readers rely on: ENOENT for absent metadata,
 * EEXIST, ENOTEMPTY when a store is renamed onto a non-empty folder, positional FileHandle reads and writes).
 */
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as memFs from '../src/platform/memory-fs.js';

type Fs = Pick<
  typeof nodeFs,
  'mkdir' | 'writeFile' | 'readFile' | 'rename' | 'rm' | 'unlink' | 'readdir' | 'stat' | 'open' | 'link'
>;

const root = await nodeFs.mkdtemp(join(tmpdir(), 'bfio-memfs-'));
afterAll(() => nodeFs.rm(root, { recursive: true, force: true }));

/** Runs `steps` on `fs` under `base`, recording each result or error code. */
async function script(fs: Fs, base: string): Promise<unknown[]> {
  const p = (rel: string) => `${base}/${rel}`;
  const log: unknown[] = [];
  const step = async (what: string, run: () => Promise<unknown>) => {
    try {
      const value = await run();
      log.push([what, value instanceof Uint8Array ? [...value] : value]);
    } catch (err) {
      log.push([what, 'error', (err as { code?: string }).code]);
    }
  };
  const names = async (rel: string) => ((await fs.readdir(p(rel))) as string[]).sort();
  await step('mkdir nested without recursive', () => fs.mkdir(p('a/b')));
  await step('mkdir recursive', async () =>
    (await fs.mkdir(p('a/b/c'), { recursive: true }))?.slice(base.length),
  );
  await step('mkdir existing recursive', () => fs.mkdir(p('a/b'), { recursive: true }));
  await step('mkdir existing', () => fs.mkdir(p('a/b')));
  await step('write', () => fs.writeFile(p('a/b/x.json'), '{"zarr_format":3}'));
  await step('write into missing folder', () => fs.writeFile(p('nope/x'), 'x'));
  await step('write under a file', () => fs.writeFile(p('a/b/x.json/y'), 'x'));
  await step('read text', () => fs.readFile(p('a/b/x.json'), 'utf8'));
  await step('read bytes', async () => new Uint8Array(await fs.readFile(p('a/b/x.json'))));
  await step('read missing', () => fs.readFile(p('a/b/none.json')));
  await step('read a folder', () => fs.readFile(p('a/b')));
  await step('stat', async () => {
    const s = await fs.stat(p('a/b/x.json'));
    return [s.isFile(), s.isDirectory(), s.size];
  });
  await step('stat folder', async () => (await fs.stat(p('a/b'))).isDirectory());
  await step('readdir', () => names('a/b'));
  await step('readdir typed', async () =>
    (await fs.readdir(p('a/b'), { withFileTypes: true })).map((d) => [d.name, d.isDirectory()]).sort(),
  );
  await step('readdir a file', () => fs.readdir(p('a/b/x.json')));
  await step('rename file', () => fs.rename(p('a/b/x.json'), p('a/y.json')));
  await step('rename folder', () => fs.rename(p('a/b'), p('a/moved')));
  await step('moved contents', () => names('a/moved'));
  await step('mkdir target', async () =>
    (await fs.mkdir(p('t/inner'), { recursive: true }))?.slice(base.length),
  );
  await step('rename onto non-empty folder', () => fs.rename(p('a/moved'), p('t')));
  await step('rename onto empty folder', () => fs.rename(p('a/moved'), p('t/inner')));
  await step('after', () => names('t/inner'));
  await step('rename missing', () => fs.rename(p('missing'), p('other')));
  await step('link', () => fs.link(p('a/y.json'), p('a/z.json')));
  await step('link onto existing', () => fs.link(p('a/y.json'), p('a/z.json')));
  await step('unlink', () => fs.unlink(p('a/z.json')));
  await step('unlink missing', () => fs.unlink(p('a/z.json')));
  await step('rm folder without recursive', () => fs.rm(p('t')));
  await step('rm recursive', () => fs.rm(p('t'), { recursive: true }));
  await step('rm missing', () => fs.rm(p('t')));
  await step('rm missing force', () => fs.rm(p('t'), { force: true }));
  await step('handle', async () => {
    const h = await fs.open(p('a/shard'), 'w+');
    await h.write(new Uint8Array([1, 2, 3, 4]), 0, 4, 10);
    await h.write(new Uint8Array([9, 9]), 0, 2, 0);
    const size1 = (await h.stat()).size;
    const out = new Uint8Array(6);
    const { bytesRead } = await h.read(out, 0, 6, 8);
    await h.truncate(12);
    const size2 = (await h.stat()).size;
    await h.close();
    return [size1, bytesRead, [...out], size2, [...new Uint8Array(await fs.readFile(p('a/shard')))]];
  });
  await step('open missing for reading', () => fs.open(p('a/none'), 'r'));
  await step('open exclusive existing', () => fs.open(p('a/shard'), 'wx'));
  await step('open w truncates', async () => {
    const h = await fs.open(p('a/shard'), 'w');
    await h.close();
    return (await fs.stat(p('a/shard'))).size;
  });
  return log;
}

describe('memory-fs', () => {
  it('behaves as node:fs/promises for what bfio calls', async () => {
    await nodeFs.mkdir(join(root, 'base'));
    await memFs.mkdir('/base');
    const want = await script(nodeFs, join(root, 'base'));
    const got = await script(memFs as unknown as Fs, '/base');
    expect(got).toEqual(want);
  });

  it('memoryFiles lists, reads, writes and removes what is in memory', async () => {
    memFs.memoryFiles.write('/up/load/img.bin', new Uint8Array([5, 6, 7]));
    expect(memFs.memoryFiles.list('/up')).toEqual(['/up/load/img.bin']);
    expect([...memFs.memoryFiles.read('/up/load/img.bin')!]).toEqual([5, 6, 7]);
    expect((await memFs.stat('/up/load')).isDirectory()).toBe(true);
    memFs.memoryFiles.remove('/up');
    expect(memFs.memoryFiles.list('/up')).toEqual([]);
    expect(memFs.existsSync('/up')).toBe(false);
  });
});
