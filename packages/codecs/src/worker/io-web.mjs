/** The task sources and sinks of run-task.mjs in a browser: HTTP ranges only (no file system). */
import { fetchRange } from './fetch-range.mjs';

const nodeOnly = (what) => () => {
  throw new Error(`${what} is not available in a browser`);
};

export const webIo = {
  readFd: nodeOnly('reading a file descriptor'),
  readFile: nodeOnly('reading a file'),
  writeFile: nodeOnly('writing a file'),
  fetchRange,
};
