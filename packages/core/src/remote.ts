/**
 * HTTP for remote files. Object stores and web servers fail now and then (a dropped connection, 503 Slow Down,
 * 429, a gateway timeout): `fetchWithRetry` retries those with exponential backoff (honouring Retry-After) and
 * gives up with a `network` BfioError naming the URL. Answers that are answers (200, 206, 404, 403, 416, …)
 * come back to the caller as they are.
 */
import { BfioError } from './errors/index.js';
import { isObjectStoreUrl, objectStoreFor } from './object-store.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 3, or BFIO_HTTP_RETRIES). */
  retries?: number;
  /** First backoff in ms (default 250, or BFIO_HTTP_BACKOFF_MS); each next one is 4× longer, at most 5 s. */
  baseDelayMs?: number;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** `fetch` that retries transient failures; throws BfioError('network') once they persist. */
export async function fetchWithRetry(
  input: string | Request,
  init?: RequestInit,
  options: RetryOptions = {},
): Promise<Response> {
  const envRetries = Number(process.env.BFIO_HTTP_RETRIES);
  const retries = options.retries ?? (Number.isInteger(envRetries) && envRetries >= 0 ? envRetries : 3);
  const envBase = Number(process.env.BFIO_HTTP_BACKOFF_MS);
  const base = options.baseDelayMs ?? (Number.isFinite(envBase) && envBase >= 0 ? envBase : 250);
  const url = typeof input === 'string' ? input : input.url;
  let why = '';
  for (let attempt = 0; ; attempt++) {
    let response: Response | undefined;
    try {
      // A Request can be sent once: send copies (GET and HEAD have no body to lose).
      response = isObjectStoreUrl(url)
        ? await (await objectStoreFor(url)).fetch(url, requestInit(input, init))
        : await fetch(typeof input === 'string' ? input : input.clone(), init);
      if (!RETRYABLE.has(response.status)) return response;
      why = `HTTP ${response.status} ${response.statusText}`.trim();
    } catch (err) {
      // Aborts, and misconfiguration a provider words itself (no bucket, access denied), are final.
      if ((err as { name?: string }).name === 'AbortError' || BfioError.isInstance(err)) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      why = cause?.code ?? cause?.message ?? (err as Error).message;
    }
    if (attempt >= retries) {
      await response?.body?.cancel();
      throw new BfioError(
        'network',
        `${url} could not be fetched: ${why} (${attempt + 1} attempt${attempt ? 's' : ''}); check the URL and the network, or retry later`,
        { file: url },
      );
    }
    const after = Number(response?.headers.get('retry-after'));
    await response?.body?.cancel();
    const backoff = Math.min(5000, base * 4 ** attempt) * (0.75 + Math.random() / 2);
    await sleep(Number.isFinite(after) && after > 0 ? Math.min(10_000, after * 1000) : backoff);
  }
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
