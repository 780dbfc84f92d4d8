/**
 * Serves files of a folder to the viewer page (GET and HEAD, byte ranges, no directory listings, nothing
 * outside the folder), as the object stores and web servers it reads images from do in real use.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';

/** A Connect-style middleware for the requests under its mount point (Vite's `server.middlewares.use`). */
export function staticFiles(root: string) {
  const base = normalize(root + sep);
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(base, path));
    let size: number;
    try {
      if (!file.startsWith(base)) throw new Error('outside the folder');
      const info = statSync(file);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    if (range?.[1]) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
    } else if (range?.[2]) {
      start = Math.max(0, size - Number(range[2])); // the last N bytes
    }
    if (start > end) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    const headers = {
      'accept-ranges': 'bytes',
      'content-length': String(end - start + 1),
      'content-type': 'application/octet-stream',
      // The page is cross-origin isolated: same-origin files need no CORS, but say they may be embedded.
      'cross-origin-resource-policy': 'cross-origin',
    };
    if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else createReadStream(file, { start, end }).pipe(res);
  };
}
