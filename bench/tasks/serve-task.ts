/**
 * The remote bench's file server, in its own process (so it does not share an event loop with the reader
 * being measured): answers like an object store (test-support/http-server.ts) for `/out/...` from ROOT.
 * Prints its base URL on stdout, then serves until killed.
 *   tsx serve-task.ts ROOT
 */
import { serveLikeObjectStore } from '../../test-support/http-server.js';

const { base } = await serveLikeObjectStore({ out: process.argv[2]! });
console.log(base);
