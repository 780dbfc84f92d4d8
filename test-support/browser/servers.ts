/**
 * The two loopback servers of a browser test: one serves the test page (its bundle), the other the data
 * (sample files, folders a test wrote) with Range and CORS, on another origin, as a viewer reads from a bucket.
 */
import type { Server } from 'node:http';
import { DATA_DIR } from '../env.js';
import { type RequestLog, serveLikeObjectStore } from '../http-server.js';

export interface BrowserTestServers {
  /** The test page, e.g. `${pageUrl}` opens `index.html` of the page folder. */
  pageUrl: string;
  /** `${dataBase}/data/<MANIFEST path>` for samples, `${dataBase}/<name>/...` for the extra folders. */
  dataBase: string;
  /** Every request the data server saw (method, path, Range). */
  log: RequestLog;
  close(): Promise<void>;
}

/**
 * Starts both servers. `pageDir` holds index.html and the bundle; `folders` are extra data roots by name
 * (e.g. `{ tmp: dir }`; `data` is the shared sample folder). The page is cross-origin isolated (COOP/COEP,
 * so SharedArrayBuffer exists in it) unless `isolated: false`.
 */
export async function startBrowserTestServers(
  pageDir: string,
  folders: Record<string, string> = {},
  options: { isolated?: boolean } = {},
): Promise<BrowserTestServers> {
  const isolation: Record<string, string> =
    options.isolated === false
      ? {}
      : { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
  const page = await serveLikeObjectStore({ page: pageDir }, [], undefined, {
    headers: { ...isolation, 'cache-control': 'no-store' },
  });
  const log: RequestLog = [];
  const data = await serveLikeObjectStore({ data: DATA_DIR, ...folders }, log, undefined, {
    cors: true,
    headers: { 'cache-control': 'no-store' },
  });
  // Another host name for the data than for the page: a different origin, so the page's reads are CORS reads.
  const dataBase = data.base.replace('127.0.0.1', 'localhost');
  return {
    pageUrl: `${page.base}/page/index.html`,
    dataBase,
    log,
    close: async () => {
      await Promise.all([closeServer(page.server), closeServer(data.server)]);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}
