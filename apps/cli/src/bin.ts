#!/usr/bin/env node
import { main } from './cli.js';

// Exit explicitly: once the Java bridge is loaded the process would not end by itself.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bfio: unexpected error: ${err?.stack ?? err}\n`);
    process.exit(2);
  },
);
