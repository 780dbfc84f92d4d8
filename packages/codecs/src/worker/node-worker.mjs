/**
 * A codec worker on Node (worker_threads), started by the pool (pool/worker-pool.ts). Plain ESM: it loads the
 * same way from the sources (under tsx/vitest) and from dist, with no TypeScript loader; it imports codec code
 * only — never the Java addon, which crashes inside worker_threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { codecs } from '../table.node.mjs';
import { nodeIo } from './io-node.mjs';
import { addModules, reply } from './reply.mjs';

const table = { ...codecs };
await addModules(table, workerData?.modules);

parentPort.on('message', (task) =>
  reply(table, nodeIo, task, (msg, transfer) => parentPort.postMessage(msg, transfer)),
);
