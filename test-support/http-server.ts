/**
 * A loopback HTTP server that answers like an object store (S3, GCS): GET with Range (including suffix
 * ranges), HEAD, 404 for keys that do not exist, no directory listings. Tests of remote reading serve real
 * sample files through it.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

/** Browsers run a module script only when it comes with a JavaScript type. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
};

/** Requests seen by the server: method, path, Range header. */
export type RequestLog = Array<{ method: string; path: string; range?: string }>;

/**
 * A flaky store: the first `times` requests for each path (and range) fail, with `status` (e.g. 503 Slow
 * Down, with Retry-After: 0) or, with 'drop', a connection closed without an answer.
 */
export interface Flaky {
  times: number;
  failWith: number | 'drop';
}

/** Serves `/<name>/...` from `roots[name]`; resolves with the server and its base URL. */
export function serveLikeObjectStore(
  roots: Record<string, string>,
  log: RequestLog = [],
  flaky?: Flaky,
  /**
   * `ranges: false`: ignore Range headers and always send the whole file (as `python -m http.server`).
   * `cors`: answer cross-origin requests (preflights too) as a bucket with a CORS rule for GET/HEAD does, so
   * a page from another origin can read byte ranges. `headers`: sent with every answer. `delayMs`: every
   * request waits this long before it is answered, as over a network to an object store (its first-byte
   * latency) — loopback alone has none, and hides what a client's request count costs.
   */
  options: { ranges?: boolean; cors?: boolean; headers?: Record<string, string>; delayMs?: number } = {},
): Promise<{ server: Server; base: string }> {
  const failures = new Map<string, number>();
  const server = createServer((req, res) => {
    if (options.delayMs) setTimeout(() => answer(req, res), options.delayMs);
    else answer(req, res);
  });
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
    if (options.cors) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', 'content-range, content-length, accept-ranges, etag');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, HEAD',
          'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'range',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, top, ...rest] = decodeURIComponent(url.pathname).split('/');
    log.push({ method: req.method ?? '', path: url.pathname, range: req.headers.range });
    if (flaky) {
      const key = `${req.method} ${url.pathname} ${req.headers.range ?? ''}`;
      const seen = failures.get(key) ?? 0;
      if (seen < flaky.times) {
        failures.set(key, seen + 1);
        if (flaky.failWith === 'drop') req.socket.destroy();
        else res.writeHead(flaky.failWith, { 'retry-after': '0' }).end();
        return;
      }
    }
    const root = roots[top ?? ''];
    const file = root ? normalize(join(root, ...rest)) : '';
    let size: number;
    try {
      if (!root || !file.startsWith(root)) throw new Error('outside');
      const info = statSync(file);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const range = options.ranges === false ? null : /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range) {
      if (range[1] === '')
        start = Math.max(0, size - Number(range[2])); // suffix: the last N bytes
      else {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(end, Number(range[2]));
      }
    }
    const headers = {
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    };
    if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else createReadStream(file, { start, end }).pipe(res);
  };
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}
