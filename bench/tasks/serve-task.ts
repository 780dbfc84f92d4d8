/**
 * The remote bench's file server, in its own process (so it does not share an event loop with the reader
 * being measured): answers like an object store (test-support/http-server.ts) for `/out/...` from ROOT,
 * each request after DELAY_MS (default 0: loopback's own latency). Prints its base URL on stdout, then
 * serves until killed; each line on stdin is answered with the number of GET requests since the last one.
 *   tsx serve-task.ts ROOT [DELAY_MS]
 */
import { createInterface } from 'node:readline';
import { type RequestLog, serveLikeObjectStore } from '../../test-support/http-server.js';

const log: RequestLog = [];
const { base } = await serveLikeObjectStore({ out: process.argv[2]! }, log, undefined, {
  delayMs: Number(process.argv[3] ?? 0),
});
console.log(base);
createInterface({ input: process.stdin }).on('line', () => {
  console.log(log.filter((r) => r.method === 'GET').length);
  log.length = 0;
});
