/**
 * A misbehaving loopback HTTP server for fuzzing remote reads: it serves directories like an object store
 * (GET with Range, HEAD, 404) but answers a chosen share of requests wrongly: 500s, dropped connections,
 * Range ignored (200 with the whole file), a Content-Range for other bytes than were asked for, a wrong
 * total size, bodies cut short (with an honest or a lying Content-Length), and stalls (no headers, or
 * headers and half a body, then nothing). Which requests fail is a hash of (salt, method, path, Range),
 * so a retried request fails the same way and a run is reproducible.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export const FAULTS = [
  'status-500',
  'drop',
  'ignore-range',
  'wrong-content-range',
  'wrong-total',
  'short-body',
  'truncated-body',
  'stall-headers',
  'stall-body',
] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultPlan {
  /** Directory served under `/<id>/`. */
  root: string;
  faults: readonly Fault[];
  /** Percentage (0-100) of distinct requests that get a fault. */
  percent: number;
  salt: number;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export interface FaultyServer {
  server: Server;
  base: string;
  /** Serves `plan` under `${base}/${id}/`; returns the URL prefix. */
  register(id: string, plan: FaultPlan): string;
  /** Forgets `id` and ends its stalled responses. */
  release(id: string): void;
  close(): Promise<void>;
}

export function serveWithFaults(): Promise<FaultyServer> {
  const plans = new Map<string, FaultPlan>();
  const stalled = new Map<string, Set<ServerResponse>>();
  const stall = (id: string, res: ServerResponse) => {
    const set = stalled.get(id) ?? new Set<ServerResponse>();
    stalled.set(id, set);
    set.add(res);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, id, ...rest] = decodeURIComponent(url.pathname).split('/');
    const plan = plans.get(id ?? '');
    const file = plan ? normalize(join(plan.root, ...rest)) : '';
    let size = -1;
    try {
      if (plan && file.startsWith(plan.root) && statSync(file).isFile()) size = statSync(file).size;
    } catch {}
    if (!plan || size < 0) {
      res.writeHead(404).end();
      return;
    }
    const rangeHeader = req.headers.range ?? '';
    const h = hash(`${plan.salt} ${req.method} ${url.pathname} ${rangeHeader}`);
    const fault =
      h % 100 < plan.percent && plan.faults.length ? plan.faults[(h >>> 8) % plan.faults.length] : undefined;
    const range = /^bytes=(\d*)-(\d*)$/.exec(rangeHeader);
    let start = 0;
    let end = size - 1;
    if (range) {
      if (range[1] === '') start = Math.max(0, size - Number(range[2]));
      else {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(end, Number(range[2]));
      }
    }
    if (range && start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    const whole = readFileSync(file);
    let body = whole.subarray(start, end + 1);
    let status = range ? 206 : 200;
    let contentRange = range ? `bytes ${start}-${end}/${size}` : undefined;
    let length = body.length;
    switch (fault) {
      case 'status-500':
        res.writeHead(500).end('internal error');
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'stall-headers':
        stall(id!, res);
        return;
      case 'ignore-range':
        status = 200;
        contentRange = undefined;
        body = whole;
        length = whole.length;
        break;
      case 'wrong-content-range': {
        // Other bytes than asked for, and a Content-Range that says so.
        const shift = 1 + ((h >>> 16) % 64);
        const s = Math.min(Math.max(0, size - body.length), start + shift);
        body = whole.subarray(s, s + body.length);
        contentRange = `bytes ${s}-${s + body.length - 1}/${size}`;
        status = 206;
        length = body.length;
        break;
      }
      case 'wrong-total':
        if (contentRange)
          contentRange = `bytes ${start}-${end}/${(h >>> 16) % 2 ? size * 2 + 7 : Math.max(1, size >> 1)}`;
        break;
      case 'short-body':
        body = body.subarray(0, body.length >> 1);
        length = body.length;
        if (contentRange) contentRange = `bytes ${start}-${start + Math.max(0, body.length - 1)}/${size}`;
        break;
      case 'truncated-body':
      case 'stall-body':
        break;
    }
    const headers: Record<string, string> = { 'content-length': String(length), 'accept-ranges': 'bytes' };
    if (contentRange) headers['content-range'] = contentRange;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (fault === 'truncated-body') {
      res.write(body.subarray(0, body.length >> 1));
      setImmediate(() => req.socket.destroy());
      return;
    }
    if (fault === 'stall-body') {
      res.write(body.subarray(0, body.length >> 1));
      stall(id!, res);
      return;
    }
    res.end(body);
  };
  const server = createServer(handle);
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const release = (id: string) => {
        plans.delete(id);
        for (const res of stalled.get(id) ?? []) res.socket?.destroy();
        stalled.delete(id);
      };
      done({
        server,
        base,
        register(id, plan) {
          plans.set(id, plan);
          return `${base}/${id}`;
        },
        release,
        close() {
          for (const id of [...stalled.keys()]) release(id);
          server.closeAllConnections();
          return new Promise((closed) => server.close(() => closed()));
        },
      });
    }),
  );
}
