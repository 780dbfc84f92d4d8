/**
 * A codec worker in a browser (a module Web Worker), started by the pool (pool/worker-pool.ts). The first
 * message carries the extra codec modules (`{ modules }`); tasks follow. Sources are the task's bytes or an
 * HTTP range the worker fetches itself.
 */
import { codecs } from '../table.browser.mjs';
import { webIo as io } from './io-web.mjs';
import { addModules, reply } from './reply.mjs';

const table = { ...codecs };
let ready;
self.onmessage = async (event) => {
  const data = event.data;
  if (data?.modules && data.id === undefined) {
    ready = addModules(table, data.modules);
    return;
  }
  await ready;
  await reply(table, io, data, (msg, transfer) => self.postMessage(msg, transfer));
};
