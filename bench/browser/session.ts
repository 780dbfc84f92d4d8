/**
 * The browser bench's set-up, shared by run.ts (the measurement) and profile.ts (looking into it): its page
 * and data servers (test-support/browser), Chromium with `gc()` exposed, and where each reader reads.
 */
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { openTestPage } from '../../test-support/browser/page.js';
import { type BrowserTestServers, startBrowserTestServers } from '../../test-support/browser/servers.js';
import { CHROMIUM_BIN } from '../../test-support/env.js';
import { ROOT } from '../lib/run.js';
import type { ReaderName } from './page.js';

export const SIZE = 16384;
export const OUT = join(ROOT, 'bench', 'out');
export const TIFF_NAME = `src-${SIZE}.ome.tif`;
/** bench/zarr.ts's store, written under its own name: a concurrent `pnpm bench:zarr` rewrites ours.ome.zarr. */
export const ZARR_NAME = `browser-${SIZE}.ome.zarr`;

export interface BenchSession {
  page: Page;
  /** The URL `reader` opens (served from bench/out, another origin than the page). */
  url(reader: ReaderName): string;
  close(): Promise<void>;
}

/** Serves `pageDir` (cross-origin isolated or not) and bench/out, and opens the page in headless Chromium. */
export async function openBenchPage(pageDir: string, isolated: boolean): Promise<BenchSession> {
  const servers: BrowserTestServers = await startBrowserTestServers(pageDir, { out: OUT }, { isolated });
  let browser: Browser | undefined;
  const closeAll = async () => {
    await browser?.close();
    await servers.close();
  };
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_BIN,
      headless: true,
      chromiumSandbox: false,
      // gc() between reads, so that freeing the last 512 MiB array does not land in the next one's timing.
      args: ['--disable-gpu', '--disable-dev-shm-usage', '--js-flags=--expose-gc'],
    });
    const { page } = await openTestPage(browser, servers.pageUrl);
    const base = `${servers.dataBase}/out`;
    return {
      page,
      url: (reader) =>
        reader === 'ours-tiff' || reader === 'geotiff'
          ? `${base}/${TIFF_NAME}`
          : reader === 'zarrita'
            ? `${base}/${ZARR_NAME}/0`
            : `${base}/${ZARR_NAME}`,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
