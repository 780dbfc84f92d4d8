/**
 * The HTTP server of `bfio serve`: read-only OME-Zarr over HTTP for every image of a file or folder
 * (`/<name>.ome.zarr/<zarr key>`), with HEAD, single byte ranges (206/416), CORS for browser viewers, a bound
 * on requests in flight (a queue, then 503), one log line per error, and a graceful shutdown that finishes
 * the requests in flight and closes every reader.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isBfioError } from '@bfio/core';
import type { StoreViewOptions } from '@bfio/zarr';
import { Admission } from './admission.js';
import { Catalog, type CatalogEntry } from './catalog.js';
import { answerRange } from './http-range.js';
import { ViewCache } from './views.js';

export interface ServeOptions {
  /** A file or folder. */
  target: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  ngffVersion: '0.4' | '0.5';
  codec: NonNullable<StoreViewOptions['codec']>;
  /** A folder symlinks in the served folder may also lead into (default: only the folder itself). */
  symlinksInto?: string;
  /** Access-Control-Allow-Origin to send (e.g. '*' or 'https://viewer.example'); none when undefined. */
  cors?: string;
  /** Requests served at once; more wait in a queue of 8× this, and beyond it get 503. */
  maxConcurrent: number;
  /** Images kept open at once (default 8). */
  maxOpen?: number;
  /** Chunk cache per open image (default 64 MiB). */
  cacheBytes?: number;
  log: (line: string) => void;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const METHODS = 'GET, HEAD, OPTIONS';

/** Thrown to answer a request with an error status (logged unless it is a plain 404). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Whether `s` holds a slash, a backslash or a control character (NUL included). */
function hasControlOrSlash(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x2f || code === 0x5c) return true;
  }
  return false;
}

/** A request target as one printable log token. */
function printable(s: string): string {
  return Array.from(s.slice(0, 200), (ch) =>
    ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? '?' : ch,
  ).join('');
}

/** Path segments of a request target, percent-decoded, or an HttpError for anything but a plain path. */
export function pathSegments(rawUrl: string): string[] {
  const path = rawUrl.split('?')[0]!;
  if (!path.startsWith('/')) throw new HttpError(400, 'the request target is not an absolute path');
  if (path === '/') return [];
  const raw = path.slice(1).split('/');
  // A trailing slash names the folder itself ('/x.ome.zarr/').
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop();
  return raw.map((segment) => {
    let s: string;
    try {
      s = decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, 'the path has a malformed percent-encoding');
    }
    // Checked after decoding, so %2e%2e, %2f and %00 are caught as well as their plain forms.
    if (s === '' || s === '.' || s === '..' || hasControlOrSlash(s)) {
      throw new HttpError(400, 'the path has an empty, ., .. or control-character segment');
    }
    return s;
  });
}

function contentType(key: string): string {
  if (/(^|\/)(zarr\.json|\.zattrs|\.zgroup|\.zarray|\.zmetadata)$/.test(key)) return 'application/json';
  if (key.endsWith('.xml')) return 'application/xml';
  return 'application/octet-stream';
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class ImageServer {
  private readonly server: Server;
  private readonly views: ViewCache;
  private readonly admission: Admission;
  private inFlight = 0;
  private drained: Array<() => void> = [];
  private stopping: Promise<void> | undefined;
  /** Requests answered, by status class, for the shutdown summary. */
  readonly counts = { ok: 0, clientError: 0, serverError: 0 };

  private constructor(
    private readonly options: ServeOptions,
    readonly catalog: Catalog,
  ) {
    this.views = new ViewCache(
      {
        ngffVersion: options.ngffVersion,
        codec: options.codec,
        cacheBytes: options.cacheBytes ?? 64 * 2 ** 20,
      },
      options.maxOpen ?? 8,
    );
    this.admission = new Admission(options.maxConcurrent, options.maxConcurrent * 8);
    this.server = createServer((req, res) => this.track(req, res));
    this.server.keepAliveTimeout = 5000;
    // Each connection costs a socket and buffers: bound them as requests are bounded.
    this.server.maxConnections = 1024;
  }

  static async start(options: ServeOptions): Promise<ImageServer> {
    const catalog = await Catalog.open(
      options.target,
      (line) => options.log(`bfio serve: ${line}`),
      options.symlinksInto,
    );
    const server = new ImageServer(options, catalog);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') return reject(err);
        const why = err.code === 'EADDRINUSE' ? 'is in use' : 'needs privileges';
        reject(
          new Error(
            `port ${options.port} on ${options.host} ${why}; choose another with --port (0 picks a free one)`,
          ),
        );
      });
      server.server.listen(options.port, options.host, () => {
        server.server.removeAllListeners('error');
        resolve();
      });
    });
    return server;
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return `http://${host}:${port}/`;
  }

  /** Stops accepting, lets the requests in flight finish (10 s at most), then closes every reader. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      if (this.inFlight > 0) {
        const drained = new Promise<void>((resolve) => this.drained.push(resolve));
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.options.log(
              `bfio serve: ${this.inFlight} request(s) still running after 10 s; closing them`,
            );
            resolve();
          }, 10_000);
        });
        await Promise.race([drained, late]);
        clearTimeout(timer);
      }
      this.server.closeAllConnections();
      await closed;
      await this.views.close();
    })();
    return this.stopping;
  }

  private track(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (res.statusCode < 400) this.counts.ok++;
      else if (res.statusCode < 500) this.counts.clientError++;
      else this.counts.serverError++;
      if (this.inFlight === 0) for (const resolve of this.drained.splice(0)) resolve();
    };
    res.on('finish', finish);
    res.on('close', finish);
    this.handle(req, res).catch((err: unknown) => this.fail(req, res, err));
  }

  private corsHeaders(res: ServerResponse): void {
    const origin = this.options.cors;
    if (!origin) return;
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (origin !== '*') res.setHeader('Vary', 'Origin');
    res.setHeader(
      'Access-Control-Expose-Headers',
      'Content-Length, Content-Range, Accept-Ranges, Content-Type',
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.stopping) {
      res.setHeader('Connection', 'close');
      throw new HttpError(503, 'the server is shutting down');
    }
    this.corsHeaders(res);
    this.checkHost(req);
    const method = req.method ?? '';
    if (method === 'OPTIONS') {
      res.setHeader('Allow', METHODS);
      if (this.options.cors) {
        res.setHeader('Access-Control-Allow-Methods', METHODS);
        res.setHeader('Access-Control-Allow-Headers', 'Range, If-None-Match, Content-Type');
        res.setHeader('Access-Control-Max-Age', '86400');
      }
      res.writeHead(204).end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', METHODS);
      throw new HttpError(405, `${method.slice(0, 20)} is not allowed: the server is read-only`);
    }
    const segments = pathSegments(req.url ?? '');
    if (segments.length === 0) return this.index(req, res);
    const entry = await this.catalog.lookup(segments[0]!);
    if (!entry) throw new HttpError(404, 'no such image');
    const key = segments.slice(1).join('/');
    if (!(await this.admission.enter())) {
      res.setHeader('Retry-After', '1');
      throw new HttpError(503, 'too many requests in flight; retry');
    }
    try {
      await this.serveKey(req, res, entry, key);
    } finally {
      this.admission.leave();
    }
  }

  /** Only names of this machine when bound to loopback: a page elsewhere cannot rebind its DNS name to us. */
  private checkHost(req: IncomingMessage): void {
    if (!LOOPBACK_HOSTS.has(this.options.host)) return;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (!LOOPBACK_HOSTS.has(host))
      throw new HttpError(421, `Host '${host.slice(0, 80)}' is not this loopback server`);
  }

  private async serveKey(
    req: IncomingMessage,
    res: ServerResponse,
    entry: CatalogEntry,
    key: string,
  ): Promise<void> {
    const real = await this.catalog.realPath(entry);
    if (!real) throw new HttpError(403, `${entry.source} now resolves outside the served folder`);
    const bytes = await this.views.with(real, async (view) => {
      if (key !== '') return view.get(`/${key}`);
      // The image's folder itself: the metadata keys, for clients that list before they read.
      const keys = await view.metadataKeys();
      return new TextEncoder().encode(JSON.stringify({ name: entry.name, source: entry.source, keys }));
    });
    if (!bytes) throw new HttpError(404, 'no such key');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', key === '' ? 'application/json' : contentType(key));
    const range = answerRange(req.headers.range, bytes.byteLength);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${bytes.byteLength}`);
      throw new HttpError(416, range.why);
    }
    const [start, end, status] =
      range.kind === 'part' ? [range.start, range.end, 206] : [0, bytes.byteLength, 200];
    if (status === 206) res.setHeader('Content-Range', `bytes ${start}-${end - 1}/${bytes.byteLength}`);
    res.setHeader('Content-Length', String(end - start));
    res.writeHead(status);
    res.end(req.method === 'HEAD' ? undefined : bytes.subarray(start, end));
  }

  private index(req: IncomingMessage, res: ServerResponse): void {
    const images = this.catalog.list().map((e) => ({
      name: e.name,
      source: e.source,
      url: `/${encodeURIComponent(e.name)}/`,
    }));
    const html = (req.headers.accept ?? '').includes('text/html');
    const body = html
      ? `<!doctype html><meta charset="utf-8"><title>bfio serve</title><h1>bfio serve</h1><ul>${images
          .map(
            (i) =>
              `<li><a href="${escapeHtml(i.url)}">${escapeHtml(i.name)}</a> (${escapeHtml(i.source)})</li>`,
          )
          .join('')}</ul>`
      : JSON.stringify({ images });
    res.setHeader('Content-Type', html ? 'text/html; charset=utf-8' : 'application/json');
    res.setHeader('Content-Length', String(Buffer.byteLength(body)));
    res.writeHead(200);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Answers an error (JSON body) and logs one line for it, unless it is a plain 404. */
  private fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    let status = 500;
    let message = err instanceof Error ? err.message : String(err);
    if (err instanceof HttpError) status = err.status;
    else if (isBfioError(err, 'not-found')) status = 404;
    else if (isBfioError(err, 'unknown-format', 'unsupported', 'missing-backend', 'java-unavailable'))
      status = 415;
    else if (isBfioError(err, 'closed') || (err as Error)?.name === 'AbortError') status = 503;
    // Clients see paths relative to the served folder; the log keeps one line per error (Java traces too).
    message = message
      .split(this.catalog.root)
      .join('.')
      .replace(/\s*\n\s*/g, ' ');
    if (status !== 404) {
      const target = printable(req.url ?? '');
      this.options.log(`bfio serve: ${status} ${(req.method ?? '').slice(0, 10)} ${target}: ${message}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: message });
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', String(Buffer.byteLength(body)));
    res.writeHead(status);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
