/**
 * Node's HTTP GET for the bulk of a remote read (remote.ts `streamRange`): node:http/node:https with
 * keep-alive connections, the body handed on as the Buffers the socket delivers. Node's `fetch` (undici) puts
 * every chunk of a body through web streams and promises: this client reads the remote bench's 512 MiB
 * OME-TIFF in ~0.7 CPU-s less (2.9 → 2.1–2.2 CPU-s, the local read ~2.0). Browsers keep `fetch`
 * (platform/browser.ts has no twin of this module).
 *
 * One attempt, no retries and no error wording: remote.ts retries and words errors as it does for `fetch`.
 * Redirects are followed as `fetch` follows them (up to 20; only GET is sent, so every redirect is one).
 */
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** One answer, its body not read yet. */
export interface GetAnswer {
  status: number;
  statusText: string;
  /** A response header (lower- or any-case name), or undefined. */
  header(name: string): string | undefined;
  /**
   * Passes the body on chunk by chunk; resolves at its end. Rejects when it breaks off (the error's `code`
   * says how), when the server sends nothing for `timeoutMs` (`code` 'BFIO_SILENT'), or with what `onChunk`
   * threw (the connection is then closed).
   */
  body(onChunk: (chunk: Uint8Array) => void): Promise<void>;
  /** Lets the body go unread (closes the connection). */
  discard(): void;
}

export interface GetOptions {
  headers: Record<string, string>;
  /** Silence allowed before the answer's headers (`code` 'BFIO_NO_RESPONSE') and between body chunks. */
  timeoutMs: number;
}

/** A GET of `url` (http: or https:), resolved with the answer once its headers are in. */
export type HttpGet = (url: string, options: GetOptions) => Promise<GetAnswer>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

// Keep-alive: the requests of a read reuse their connections (no handshake per request). Free sockets are
// unref'd by the agent, so they never keep a process alive.
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

export const httpGet: HttpGet = async (url, options) => {
  let target = new URL(url);
  for (let hops = 0; ; hops++) {
    const { req, res } = await send(target, options).catch((err: { code?: string; reused?: boolean }) => {
      // A kept-alive connection the server closed as this request went out: once more, on a new one (what
      // fetch does too), not a failure that costs a retry's backoff.
      if (err.reused && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return send(target, options);
      throw err;
    });
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return answer(req, res, options);
    res.resume();
    req.destroy();
    if (hops >= MAX_REDIRECTS) throw coded(`more than ${MAX_REDIRECTS} redirects`, 'BFIO_REDIRECTS');
    target = new URL(location, target);
  }
};

function send(target: URL, options: GetOptions): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  const { timeoutMs } = options;
  const https = target.protocol === 'https:';
  if (!https && target.protocol !== 'http:')
    return Promise.reject(coded(`unsupported protocol ${target.protocol}`, 'BFIO_PROTOCOL'));
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(target, {
      method: 'GET',
      agent: https ? agents.https : agents.http,
      // What fetch sends, less Accept-Encoding: a byte range is wanted as the file's bytes.
      headers: { accept: '*/*', 'user-agent': 'node', ...options.headers },
    });
    // Until the headers are in, the whole wait counts (connecting included), as fetchWithRetry's timer.
    const timer = setTimeout(
      () => req.destroy(coded(`no response in ${timeoutMs / 1000} s`, 'BFIO_NO_RESPONSE')),
      timeoutMs,
    );
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(Object.assign(err, { reused: req.reusedSocket }));
    });
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve({ req, res });
    });
    req.end();
  });
}

function answer(req: ClientRequest, res: IncomingMessage, options: GetOptions): GetAnswer {
  const { timeoutMs } = options;
  // Errors after the answer are the body's (see body()); until then, one must not go unhandled.
  req.on('error', () => {});
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    discard: () => {
      res.destroy();
      req.destroy();
    },
    body: (onChunk) =>
      new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (err?: unknown) => {
          if (settled) return;
          settled = true;
          if (err === undefined) resolve();
          else {
            req.destroy();
            reject(err);
          }
        };
        // The socket's idle timer: refreshed by every read, so it costs nothing per chunk.
        req.setTimeout(timeoutMs, () => finish(coded(`no data for ${timeoutMs / 1000} s`, 'BFIO_SILENT')));
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          try {
            onChunk(chunk);
          } catch (err) {
            finish(err);
          }
        });
        res.once('end', () => finish(res.complete ? undefined : coded('the body ended early', 'ECONNRESET')));
        res.once('error', (err) => finish(err));
        res.once('close', () => finish(coded('the connection closed mid-body', 'ECONNRESET')));
      }),
  };
}
