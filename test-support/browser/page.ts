/**
 * A test page in Chromium: open it, wait until its bundle has loaded, run functions in it that return JSON,
 * and keep what it printed and threw (a test failure shows the page's own errors).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export interface TestPage {
  page: Page;
  /** console.error/warn lines and uncaught errors of the page, in order. */
  problems: string[];
  close(): Promise<void>;
}

/** Opens `url` in a new page and waits for the bundle's `__pageReady` (throws with `__pageError`). */
export async function openTestPage(browser: Browser, url: string, timeoutMs = 60_000): Promise<TestPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning')
      problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.stack ?? err.message}`));
  await page.goto(url, { timeout: timeoutMs });
  const state = await page.waitForFunction(
    () => {
      const w = globalThis as unknown as { __pageReady?: boolean; __pageError?: string };
      return w.__pageReady ? 'ready' : (w.__pageError ?? false);
    },
    undefined,
    { timeout: timeoutMs },
  );
  const outcome = await state.jsonValue();
  if (outcome !== 'ready') {
    await page.close();
    throw new Error(`the test page's bundle failed to load: ${outcome}\n${problems.join('\n')}`);
  }
  return { page, problems, close: () => page.close() };
}

/**
 * Runs `fn(arg)` in the page and returns its (JSON-serialisable) result. `fn` is sent as source text: it
 * sees only the page's globals (what the bundle put on `window`) and `arg`, not the test's closures. A throw
 * in the page becomes an Error here whose message carries the page's message (a typed error's name and code
 * when `fn` returns them instead, see `describeError` in page entries).
 */
export async function runInPage<A, R>(page: Page, fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
  // The page sees `arg` after a JSON-like round trip; callers pass plain data, so A is what arrives.
  return page.evaluate(fn as (arg: unknown) => Promise<R>, arg as unknown);
}

/** Saves a PNG of the page under `dir` (created) as `<name>.png`; returns its path. */
export async function saveScreenshot(page: Page, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
