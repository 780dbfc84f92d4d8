/**
 * A loopback HTTP proxy in front of an S3 server (test-support/minio.ts) for fault injection. Point the client
 * at `proxy.endpoint`: every request is forwarded unchanged, Host header included (SigV4 signs it, so the
 * server must see what the client signed), unless the mutable policy says otherwise:
 *
 * - `throttle(n)` / `throttle(predicate, times?)`: answer with S3's `503 SlowDown` error instead of forwarding;
 * - `cutAfter(bytes, predicate?, times?)`: forward, but destroy the client's connection (and the upstream
 *   request) once `bytes` of the request body went through: a network cut in the middle of an upload.
 *
 * Every request is logged in `requests` with what happened to it.
 */
import { randomBytes } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Decoded path: `/bucket/key`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** What the proxy did: forwarded, answered 503 SlowDown, or cut the connection mid-body. */
  outcome: 'forwarded' | 'throttled' | 'cut';
  /** The upstream status for forwarded requests (undefined while in flight or when cut). */
  status?: number;
  /** Request-body bytes passed on to the server. */
  bytesIn: number;
}

export type RequestPredicate = (r: ProxiedRequest) => boolean;

/** PutObject and UploadPart (both PUT with a body). */
export const isUpload: RequestPredicate = (r) => r.method === 'PUT' && !r.headers['x-amz-copy-source'];
/** UploadPart only (PUT with partNumber and uploadId). */
export const isUploadPart: RequestPredicate = (r) =>
  r.method === 'PUT' && r.query.has('partNumber') && r.query.has('uploadId');

interface Rule {
  match: RequestPredicate;
  left: number;
  action: 'throttle' | { cutAfter: number };
}

export interface ThrottleProxy {
  /** `http://127.0.0.1:PORT`: give this to the client instead of the server's endpoint. */
  endpoint: string;
  /** Everything the proxy has seen, oldest first. */
  requests: ProxiedRequest[];
  /** How many requests were seen (matching `predicate` when given). */
  count(predicate?: RequestPredicate): number;
  /** The next `n` requests (or: requests matching `predicate`, at most `times` of them) get 503 SlowDown. */
  throttle(what: number | RequestPredicate, times?: number): void;
  /** The next `times` requests matching `predicate` (default: uploads) lose their connection after `bytes`. */
  cutAfter(bytes: number, predicate?: RequestPredicate, times?: number): void;
  /** Drops every throttle and cut rule (the log stays; `requests.length = 0` clears it). */
  reset(): void;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

function slowDownXml(path: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
    '<Message>Please reduce your request rate.</Message>' +
    `<Resource>${path.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Resource>` +
    `<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`
  );
}

/** Starts the proxy on a free loopback port, forwarding to `upstream` (e.g. `minio.endpoint`). */
export function startThrottleProxy(upstream: string): Promise<ThrottleProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  let rules: Rule[] = [];

  const take = (r: ProxiedRequest): Rule['action'] | undefined => {
    const rule = rules.find((x) => x.left > 0 && x.match(r));
    if (!rule) return undefined;
    rule.left--;
    return rule.action;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      outcome: 'forwarded',
      bytesIn: 0,
    };
    requests.push(entry);
    const action = take(entry);

    if (action === 'throttle') {
      entry.outcome = 'throttled';
      const body = slowDownXml(entry.path);
      const headers: OutgoingHttpHeaders = {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
        'retry-after': '0',
      };
      if (expectsContinue) {
        // The client holds its body back until "100 Continue", which it never gets: answer and close.
        res.writeHead(503, 'Slow Down', { ...headers, connection: 'close' }).end(body);
        return;
      }
      req.resume(); // read and drop the body, then answer (the connection stays usable)
      req.on('end', () => res.writeHead(503, 'Slow Down', headers).end(body));
      return;
    }
    if (expectsContinue) res.writeContinue();

    // Forward: same method, path, query and headers (Host as the client sent it: it is signed).
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k) || k === 'expect') continue; // "Expect" was answered here
      headers[k] = v;
    }
    if (req.headers['transfer-encoding']) headers['transfer-encoding'] = req.headers['transfer-encoding'];
    const up = httpRequest({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
      setHost: false,
    });
    const cutAt = typeof action === 'object' ? action.cutAfter : Number.POSITIVE_INFINITY;
    let cut = false;
    up.on('response', (upRes) => {
      if (cut) return upRes.destroy();
      entry.status = upRes.statusCode;
      const out: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(upRes.headers)) {
        if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
      upRes.pipe(res);
    });
    up.on('error', (e) => {
      if (cut) return;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${e.message}`);
      else res.destroy();
    });
    req.on('data', (chunk: Buffer) => {
      if (cut) return;
      const room = cutAt - entry.bytesIn;
      if (chunk.length < room) {
        entry.bytesIn += chunk.length;
        if (!up.write(chunk)) {
          req.pause();
          up.once('drain', () => req.resume());
        }
        return;
      }
      // The cut: pass on what fits, then both connections go down without an answer.
      cut = true;
      entry.outcome = 'cut';
      if (room > 0) up.write(chunk.subarray(0, room));
      entry.bytesIn += Math.max(0, room);
      up.destroy();
      req.socket.destroy();
    });
    req.on('end', () => {
      if (!cut) up.end();
    });
    req.on('error', () => up.destroy());
  };

  const server = createServer((req, res) => handle(req, res, false));
  server.on('checkContinue', (req, res) => handle(req, res, true));
  server.keepAliveTimeout = 5000;

  return new Promise((resolveProxy) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolveProxy({
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        count: (predicate) => (predicate ? requests.filter(predicate).length : requests.length),
        throttle(what, times = Number.POSITIVE_INFINITY) {
          if (typeof what === 'number') rules.push({ match: () => true, left: what, action: 'throttle' });
          else rules.push({ match: what, left: times, action: 'throttle' });
        },
        cutAfter(bytes, predicate = isUpload, times = 1) {
          rules.push({ match: predicate, left: times, action: { cutAfter: bytes } });
        },
        reset() {
          rules = [];
        },
        stop: () =>
          new Promise<void>((done) => {
            agent.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
