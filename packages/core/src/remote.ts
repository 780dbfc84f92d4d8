/**
 * HTTP for remote files. Object stores and web servers fail now and then (a dropped connection, 503 Slow Down,
 * 429, a gateway timeout): `fetchWithRetry` retries those with exponential backoff (honouring Retry-After) and
 * gives up with a `network` BfioError naming the URL. Answers that are answers (200, 206, 404, 403, 416, …)
 * come back to the caller as they are.
 */
import { env, httpGet } from '#platform';
import { BfioError } from './errors/index.js';
import { isObjectStoreUrl, objectStoreFor } from './object-store.js';
import type { GetAnswer } from './platform/http-get.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 3, or BFIO_HTTP_RETRIES). */
  retries?: number;
  /** First backoff in ms (default 250, or BFIO_HTTP_BACKOFF_MS); each next one is 4× longer, at most 5 s. */
  baseDelayMs?: number;
  /**
   * How long a server may be silent, in ms: before the response headers, and between two pieces of the body
   * (default 30 s, or BFIO_HTTP_TIMEOUT_MS). A stalled server is otherwise waited on for minutes.
   */
  timeoutMs?: number;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * The response with its body watched: a gap of more than `ms` between two pieces, or a connection that
 * breaks off, ends the body with a `network` error naming the URL, instead of a read that never finishes
 * or a bare `TypeError: terminated`.
 */
function watchBody(response: Response, url: string, ms: number, abort: () => void): Response {
  const source = response.body;
  if (!source) return response;
  const reader = source.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let fired = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      timer = setTimeout(() => {
        fired = true;
        abort();
      }, ms);
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        if (!fired && (err as { name?: string })?.name === 'AbortError') controller.error(err);
        else controller.error(bodyError(url, fired ? ms : undefined, err));
      } finally {
        clearTimeout(timer);
      }
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** A body that stopped (`silentMs`: no data for that long) or broke off, as a `network` error naming the URL. */
function bodyError(url: string, silentMs: number | undefined, err: unknown): BfioError {
  return new BfioError(
    'network',
    silentMs !== undefined
      ? `${url} stopped sending (no data for ${silentMs / 1000} s in the middle of a response); check the server or the network, or retry later (BFIO_HTTP_TIMEOUT_MS sets the limit)`
      : `${url}: the response broke off (${causeOf(err)}); check the network, or retry later`,
    { file: url, cause: err },
  );
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}

const envNumber = (name: string, ok: (n: number) => boolean): number | undefined => {
  const value = env(name);
  const n = Number(value);
  return value !== undefined && ok(n) ? n : undefined;
};

/** `fetch` that retries transient failures; throws BfioError('network') once they persist. */
export async function fetchWithRetry(
  input: string | Request,
  init?: RequestInit,
  options: RetryOptions = {},
): Promise<Response> {
  const { retries, base, timeout } = settings(options);
  const url = typeof input === 'string' ? input : input.url;
  const callerSignal = init?.signal ?? (typeof input === 'string' ? undefined : input.signal);
  let why = '';
  for (let attempt = 0; ; attempt++) {
    let response: Response | undefined;
    // Our own abort, for a server that stays silent; the caller's signal still aborts as before.
    const silent = new AbortController();
    const signal = callerSignal ? AbortSignal.any([callerSignal, silent.signal]) : silent.signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      silent.abort();
    }, timeout);
    try {
      // A Request can be sent once: send copies (GET and HEAD have no body to lose).
      response = isObjectStoreUrl(url)
        ? await (await objectStoreFor(url)).fetch(url, { ...requestInit(input, init), signal })
        : await fetch(typeof input === 'string' ? input : input.clone(), { ...init, signal });
      if (!RETRYABLE.has(response.status)) return watchBody(response, url, timeout, () => silent.abort());
      why = `HTTP ${response.status} ${response.statusText}`.trim();
    } catch (err) {
      // Aborts, and misconfiguration a provider words itself (no bucket, access denied), are final.
      if (!timedOut && ((err as { name?: string }).name === 'AbortError' || BfioError.isInstance(err)))
        throw err;
      why = timedOut ? `no response in ${timeout / 1000} s` : causeOf(err);
    } finally {
      clearTimeout(timer);
    }
    if (attempt >= retries) {
      await response?.body?.cancel();
      throw unreachable(url, why, attempt);
    }
    const after = response?.headers.get('retry-after');
    await response?.body?.cancel();
    await sleep(backoffMs(attempt, base, after));
  }
}

/** The retry settings: the caller's, else the environment's, else the defaults. */
function settings(options: RetryOptions): { retries: number; base: number; timeout: number } {
  return {
    retries: options.retries ?? envNumber('BFIO_HTTP_RETRIES', (n) => Number.isInteger(n) && n >= 0) ?? 3,
    base:
      options.baseDelayMs ?? envNumber('BFIO_HTTP_BACKOFF_MS', (n) => Number.isFinite(n) && n >= 0) ?? 250,
    timeout:
      options.timeoutMs ?? envNumber('BFIO_HTTP_TIMEOUT_MS', (n) => Number.isFinite(n) && n > 0) ?? 30_000,
  };
}

/** The wait before attempt `attempt + 1`: the server's Retry-After (seconds, at most 10), else backoff. */
function backoffMs(attempt: number, base: number, retryAfter: string | null | undefined): number {
  const after = Number(retryAfter);
  if (retryAfter && Number.isFinite(after) && after > 0) return Math.min(10_000, after * 1000);
  return Math.min(5000, base * 4 ** attempt) * (0.75 + Math.random() / 2);
}

/** The error once the retries are spent. */
function unreachable(url: string, why: string, attempt: number): BfioError {
  return new BfioError(
    'network',
    `${url} could not be fetched: ${why} (${attempt + 1} attempt${attempt ? 's' : ''}); check the URL and the network, or retry later`,
    { file: url },
  );
}

/** The method and headers of a request given as a Request or as (url, init). */
function requestInit(input: string | Request, init?: RequestInit): RequestInit | undefined {
  if (typeof input === 'string') return init;
  return { method: input.method, headers: input.headers, signal: input.signal, ...init };
}

/** Bytes `offset..offset+length` of a file, or its last `suffix` bytes. */
export type ByteRange = { offset: number; length: number } | { suffix: number };

/**
 * The bytes of `url` (only `range` of them when given), or undefined when there is nothing there: 404, or 403
 * as object stores answer for keys they will not list. A server that ignores Range sends the whole file: the
 * range is cut out of it here. Transient failures are retried (`fetchWithRetry`); another status, or fewer
 * bytes than asked for, is an Error for the caller to word (a corrupt file, a missing chunk, …).
 */
export async function fetchBytes(url: string, range?: ByteRange): Promise<Uint8Array | undefined> {
  const header =
    range === undefined
      ? undefined
      : 'suffix' in range
        ? `bytes=-${range.suffix}`
        : `bytes=${range.offset}-${range.offset + range.length - 1}`;
  const response = await fetchWithRetry(url, header ? { headers: { Range: header } } : undefined);
  if (response.status === 404 || response.status === 403) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  }
  if (range && response.status === 206) {
    // A server (or proxy) answering with other bytes than were asked for would give wrong pixels silently.
    const got = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
    const total = got && got[3] !== '*' ? Number(got[3]) : undefined;
    const start =
      'suffix' in range
        ? total === undefined
          ? undefined
          : Math.max(0, total - range.suffix)
        : range.offset;
    if (got && start !== undefined && Number(got[1]) !== start) {
      await response.body?.cancel();
      throw new Error(`the server sent bytes ${got[1]}-${got[2]} for a request of ${header!.slice(6)}`);
    }
  }
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (range && response.status === 200) {
    bytes =
      'suffix' in range
        ? bytes.slice(Math.max(0, bytes.length - range.suffix))
        : bytes.slice(range.offset, range.offset + range.length);
  }
  const want = range === undefined ? bytes.length : 'suffix' in range ? range.suffix : range.length;
  if (bytes.length !== want) throw new Error(`${bytes.length} of ${want} bytes came back`);
  return bytes;
}

/** Passes on a body's chunks in order; `at` counts bytes from the start of the range. */
export type RangeSink = (chunk: Uint8Array, at: number) => void;

/**
 * One GET of bytes `offset..offset+length` of `url`, its body passed to `sink` as it comes (no buffer of the
 * whole range is made). Resolves once exactly those bytes came. Transient failures before the body are
 * retried as by `fetchWithRetry`, and a server that stays unreachable, falls silent mid-body or breaks off is
 * a `network` BfioError naming the URL; any other answer (not 206, another range, a short or long body) is a
 * plain Error for the caller to word or to recover from (fetching the bytes another way).
 *
 * On Node an http(s) URL is read with node:http (platform/http-get.ts: the socket's Buffers, no web streams;
 * ~0.7 CPU-s less than fetch per 512 MiB); object stores and browsers go through `fetchWithRetry`.
 */
export async function streamRange(
  url: string,
  offset: number,
  length: number,
  sink: RangeSink,
  options: RetryOptions = {},
): Promise<void> {
  const range = `bytes=${offset}-${offset + length - 1}`;
  let at = 0;
  const take = (chunk: Uint8Array) => {
    if (at + chunk.length > length) throw new Error(`more than the ${length} bytes asked for came back`);
    sink(chunk, at);
    at += chunk.length;
  };
  const checkStart = (status: number, contentRange: string | null | undefined) => {
    const start = /^bytes (\d+)-/.exec(contentRange ?? '')?.[1];
    if (status !== 206 || Number(start) !== offset)
      throw new Error(`HTTP ${status} (${start ?? 'no'} range start) for bytes at ${offset}`);
  };
  if (httpGet && /^https?:\/\//i.test(url))
    await streamByNodeHttp(httpGet, url, range, checkStart, take, options);
  else {
    const response = await fetchWithRetry(url, { headers: { Range: range } }, options);
    try {
      checkStart(response.status, response.headers.get('content-range'));
    } catch (err) {
      await response.body?.cancel();
      throw err;
    }
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      try {
        take(value);
      } catch (err) {
        await reader.cancel();
        throw err;
      }
    }
  }
  if (at !== length) throw new Error(`${at} of ${length} bytes came back`);
}

/** streamRange's request with Node's own client: fetchWithRetry's retries, backoff and errors. */
async function streamByNodeHttp(
  get: NonNullable<typeof httpGet>,
  url: string,
  range: string,
  checkStart: (status: number, contentRange: string | undefined) => void,
  take: (chunk: Uint8Array) => void,
  options: RetryOptions,
): Promise<void> {
  const { retries, base, timeout } = settings(options);
  for (let attempt = 0; ; attempt++) {
    let answer: GetAnswer | undefined;
    let why: string;
    try {
      answer = await get(url, { headers: { range }, timeoutMs: timeout });
    } catch (err) {
      // A Node error's code (ECONNREFUSED, ECONNRESET, …) as fetch's cause tells it; ours say more.
      const code = (err as { code?: string }).code;
      why = code && !code.startsWith('BFIO_') ? code : (err as Error).message;
    }
    if (answer && !RETRYABLE.has(answer.status)) {
      try {
        checkStart(answer.status, answer.header('content-range'));
        // fetch would decode a compressed body; the caller then fetches the bytes with it.
        const encoding = answer.header('content-encoding');
        if (encoding && encoding !== 'identity') throw new Error(`a ${encoding}-encoded answer`);
      } catch (err) {
        answer.discard();
        throw err;
      }
      let refused: unknown;
      try {
        return await answer.body((chunk) => {
          try {
            take(chunk);
          } catch (err) {
            refused = err;
            throw err;
          }
        });
      } catch (err) {
        if (err === refused) throw err;
        const silent = (err as { code?: string }).code === 'BFIO_SILENT';
        throw bodyError(url, silent ? timeout : undefined, err);
      }
    }
    const retryAfter = answer?.header('retry-after');
    if (answer) {
      why = `HTTP ${answer.status} ${answer.statusText}`.trim();
      answer.discard();
    }
    if (attempt >= retries) throw unreachable(url, why!, attempt);
    await sleep(backoffMs(attempt, base, retryAfter));
  }
}
