/**
 * Table-driven check that bad writer options fail at `BioWriter.create` (typed, naming the target, nothing
 * written), shared by the TIFF and Zarr packages: each passes its own table and extension.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

export interface CreateRefusal {
  name: string;
  options: Record<string, unknown>;
  tag: string;
  message: RegExp;
}

/** What the check needs of @bfio/core, passed in: test-support sits outside the packages' dependencies. */
export interface CoreApi {
  BioWriter: { create(path: string, options: never): Promise<{ abort(): Promise<void> }> };
  isBfioError(err: unknown, tag: never): boolean;
}

/** One test per case: `BioWriter.create(dir/<name><ext>, { X: 64, Y: 64, dtype: 'uint16', ...options })`. */
export function itRefusesAtCreate(core: CoreApi, ext: string, cases: CreateRefusal[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'bfio-create-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const c of cases) {
    it(c.name, async () => {
      const path = join(dir, `${c.name.replaceAll(' ', '-')}${ext}`);
      const options = { X: 64, Y: 64, dtype: 'uint16', ...c.options } as never;
      const err = await core.BioWriter.create(path, options).then(
        async (w) => {
          await w.abort();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(core.isBfioError(err, c.tag as never), String(err)).toBe(true);
      expect((err as Error).message).toMatch(c.message);
      expect((err as Error).message).toContain(path);
      expect(existsSync(path)).toBe(false);
    });
  }
}
