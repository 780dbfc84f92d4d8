/**
 * Launching the Chromium the browser tests drive: Debian's `chromium` (scripts/setup installs it; BFIO_CHROMIUM
 * overrides), headless, through playwright-core. Playwright's own browser download cannot work on our machines
 * (no network for it), so playwright-core only drives the browser we point it at.
 */
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_BIN } from '../env.js';

/**
 * A headless Chromium. Without the sandbox: the tests and CI run as root, where Chromium refuses to start
 * sandboxed (it needs a user namespace or a setuid helper; the pages it loads are our own test pages).
 */
export async function launchChromium(options: { timeoutMs?: number } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    chromiumSandbox: false,
    timeout: options.timeoutMs ?? 60_000,
    // No GPU on our machines: software rendering keeps canvas pixels the same from run to run.
    args: ['--disable-gpu', '--disable-dev-shm-usage'],
  });
}
