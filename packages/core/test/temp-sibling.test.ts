/**
 * Temporaries of a writer's target: names that say who made them, and the sweep that removes only those of
 * this host whose process is gone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { sweepStaleTemps, tempSibling } from '../src/backend-api.js';

const dir = mkdtempSync(join(tmpdir(), 'bfio-temps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has already exited (so it is not running). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

it('names a hidden sibling with kind, host, pid and a random part', () => {
  const target = join(dir, 'image.ome.tif');
  const a = tempSibling(target);
  const b = tempSibling(target, 'old');
  expect(dirname(a)).toBe(dir);
  const host = hostname().replace(/[^A-Za-z0-9_.]/g, '_');
  expect(basename(a)).toMatch(
    new RegExp(`^\\.image\\.ome\\.tif\\.bfio-tmp-${host.replace(/\./g, '\\.')}-${process.pid}-[0-9a-f]{8}$`),
  );
  expect(basename(b)).toContain('.bfio-old-');
  expect(a).not.toBe(tempSibling(target));
});

it('sweeps only temporaries of this target, this host and a dead process', async () => {
  const target = join(dir, 'scan.ome.zarr');
  const host = hostname().replace(/[^A-Za-z0-9_.]/g, '_');
  const dead = deadPid();
  const names = {
    deadFile: `.scan.ome.zarr.bfio-tmp-${host}-${dead}-0badc0de`,
    deadDir: `.scan.ome.zarr.bfio-old-${host}-${dead}-00c0ffee`,
    live: `.scan.ome.zarr.bfio-tmp-${host}-${process.pid}-11111111`,
    parent: `.scan.ome.zarr.bfio-tmp-${host}-${process.ppid}-22222222`,
    otherHost: `.scan.ome.zarr.bfio-tmp-elsewhere_lab-${dead}-33333333`,
    otherTarget: `.other.ome.zarr.bfio-tmp-${host}-${dead}-44444444`,
    userFile: '.scan.ome.zarr.notes',
  };
  for (const [key, name] of Object.entries(names)) {
    if (key === 'deadDir') {
      mkdirSync(join(dir, name, '0', 'c'), { recursive: true });
      writeFileSync(join(dir, name, '0', 'c', '0'), 'chunk');
    } else writeFileSync(join(dir, name), 'x');
  }
  const removed = await sweepStaleTemps(target);
  expect(removed.map((p) => basename(p)).sort()).toEqual([names.deadFile, names.deadDir].sort());
  const left = readdirSync(dir);
  for (const key of ['live', 'parent', 'otherHost', 'otherTarget', 'userFile'] as const)
    expect(left).toContain(names[key]);
  expect(left).not.toContain(names.deadFile);
  expect(left).not.toContain(names.deadDir);
  // A folder that does not exist is not an error.
  expect(await sweepStaleTemps(join(dir, 'missing', 'x.ome.tif'))).toEqual([]);
});
