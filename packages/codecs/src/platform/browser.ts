/**
 * The browser side of @bfio/codecs (package.json `imports` "#platform", condition `browser`): module Web
 * Workers that run worker/web-worker.mjs (bundlers such as Vite and esbuild follow the `new URL(…,
 * import.meta.url)` pattern and emit the worker), the core count from `navigator.hardwareConcurrency`, and
 * the browser codec table.
 */
import { codecs } from '../table.browser.mjs';
import { webIo } from '../worker/io-web.mjs';
import type { CodecTable, PlatformWorker } from './types.js';

export const platformName = 'browser';

export function availableLanes(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 2;
}

export function spawnWorker(modules: string[]): PlatformWorker {
  const worker = new Worker(new URL('../worker/web-worker.mjs', import.meta.url), {
    type: 'module',
    name: 'bfio-codec',
  });
  if (modules.length > 0) worker.postMessage({ modules });
  let exited: ((code: number) => void) | undefined;
  return {
    post: (msg, transfer) => worker.postMessage(msg, transfer as Transferable[]),
    onMessage: (fn) => worker.addEventListener('message', (e) => fn((e as MessageEvent).data)),
    onError: (fn) =>
      worker.addEventListener('error', (e) => {
        e.preventDefault();
        fn(new Error(`a codec worker failed: ${(e as ErrorEvent).message ?? 'error'}`));
      }),
    onExit: (fn) => {
      exited = fn;
    },
    // A page does not exit while workers run: nothing to ref or unref.
    ref: () => {},
    unref: () => {},
    terminate: async () => {
      worker.terminate();
      exited?.(0);
    },
  };
}

export const table: CodecTable = codecs as CodecTable;

export function implementation(codec: string): string {
  if (codec.startsWith('zstd') || codec.startsWith('blosc') || codec.startsWith('lz4')) return 'wasm';
  if (codec === 'jpeg-encode') return 'none';
  if (codec === 'jpeg-decode') return 'wasm';
  return codec.startsWith('lzw') || codec.startsWith('packbits') ? 'js' : 'platform';
}

/** Sources and sinks of tasks run on this thread (see run-task.mjs). */
export const io = webIo;

/** No chunk lane in a browser: chunks decode on the Web Workers. */
export function laneAddon(): undefined {
  return undefined;
}
