/**
 * One browser test file's whole set-up in one call: its page built from a TS entry, the page and data
 * servers, one headless Chromium, the page opened; and the matching tear-down (a screenshot first).
 */
import type { Browser } from 'playwright-core';
import { bundlePage, type PageBundle } from './bundle.js';
import { launchChromium } from './chromium.js';
import { openTestPage, saveScreenshot, type TestPage } from './page.js';
import { type BrowserTestServers, startBrowserTestServers } from './servers.js';

export interface BrowserSession {
  bundle: PageBundle;
  servers: BrowserTestServers;
  browser: Browser;
  /** The opened test page (the bundle has loaded). */
  page: TestPage;
  /** Saves a screenshot as `<artifacts>/<name>.png` (when given), then closes page, browser and servers. */
  close(screenshot?: { artifacts: string; name: string }): Promise<void>;
}

/**
 * Bundles `entry` into `pageDir`, serves it with the data folders (`folders` by name, see
 * startBrowserTestServers), launches Chromium and opens the page. What started is closed again when a
 * later step fails.
 */
export async function startBrowserSession(
  entry: string,
  pageDir: string,
  folders: Record<string, string> = {},
): Promise<BrowserSession> {
  const bundle = await bundlePage(entry, pageDir);
  const servers = await startBrowserTestServers(bundle.dir, folders);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await openTestPage(browser, servers.pageUrl);
    const opened = browser;
    return {
      bundle,
      servers,
      browser: opened,
      page,
      async close(screenshot) {
        if (screenshot)
          await saveScreenshot(page.page, screenshot.artifacts, screenshot.name).catch(() => {});
        await page.close().catch(() => {});
        await opened.close();
        await servers.close();
      },
    };
  } catch (err) {
    await browser?.close();
    await servers.close();
    throw err;
  }
}
