import { ImageServer } from '../serve/server.js';
import { parseIntFlag, UsageError } from '../usage-error.js';

export const SERVE_HELP = `bfio serve FILE|DIR [--port N] [--host 127.0.0.1] [--ngff-version 0.5|0.4] [--cors ORIGIN]
                [--max-concurrent N] [--codec none|zstd|blosc|gzip] [--symlinks-into DIR]

Serves every image of FILE, or of DIR's top level (every file a backend reads: OME-TIFF, TIFF, OME-Zarr, and
with Bio-Formats CZI, LIF, ND2, DV, ...), as OME-Zarr over HTTP, without converting anything: an image
'a.czi' is the store http://HOST:PORT/a.ome.zarr/ for zarr-python, ome-zarr-py, napari or a browser viewer.
Chunks are the file's own tiles, read when asked for. GET / lists the images (JSON, or HTML for browsers).

Read-only (GET, HEAD, OPTIONS; byte ranges), bound to loopback unless --host says otherwise, and nothing
outside DIR is ever served (no '..', no symlinks leading out, unless into --symlinks-into DIR). Ctrl-C (SIGINT) or SIGTERM stops it after
the requests in flight.

  --port N            port to listen on (default 8000; 0 picks a free one)
  --host ADDR         address to bind (default 127.0.0.1; 0.0.0.0 exposes the images to the network)
  --ngff-version V    0.5 (Zarr v3, default) or 0.4 (Zarr v2)
  --cors ORIGIN       send Access-Control-Allow-Origin: ORIGIN ('*' for any web viewer); default none
  --max-concurrent N  requests served at once (default 16); more wait in a queue, then get 503
  --codec NAME        chunks as raw bytes (none, default) or compressed (zstd, blosc, gzip)
  --symlinks-into DIR symlinks in the served folder may also lead into DIR (e.g. a folder of links to a
                      data share); any other symlink leading out of the folder is not served

Examples:
  bfio serve images/ --cors https://hms-dbmi.github.io
  python -c "import zarr; print(zarr.open_group('http://127.0.0.1:8000/a.ome.zarr', mode='r').tree())"`;

export interface ServeFlags {
  port?: string;
  host?: string;
  'ngff-version'?: string;
  cors?: string;
  'max-concurrent'?: string;
  codec?: string;
  'symlinks-into'?: string;
}

const CODECS = ['none', 'zstd', 'blosc', 'gzip'] as const;

/**
 * The JVM Bio-Formats runs in installs its own SIGINT/SIGTERM handlers (and exits without our shutdown);
 * -Xrs leaves those signals to Node.
 */
async function keepSignalsFromJava(): Promise<void> {
  try {
    const bf = await import('@bfio/bioformats-java');
    if (!bf.jvmStarted()) bf.configureJvm({ jvmOptions: ['-Xrs'] });
  } catch {
    // Bio-Formats is not installed: no JVM, nothing to configure.
  }
}

/** Serves until SIGINT or SIGTERM, then shuts down gracefully and returns (exit code 0). */
export async function serve(target: string, flags: ServeFlags, print: (s: string) => void): Promise<void> {
  const port = parseIntFlag('port', flags.port) ?? 8000;
  if (port > 65535) throw new UsageError(`--port takes 0..65535, got ${port}`);
  const version = flags['ngff-version'] ?? '0.5';
  if (version !== '0.4' && version !== '0.5') {
    throw new UsageError(`--ngff-version takes 0.4 or 0.5, got '${version}'`);
  }
  const codec = (flags.codec ?? 'none') as (typeof CODECS)[number];
  if (!CODECS.includes(codec))
    throw new UsageError(`--codec takes ${CODECS.join(', ')}, got '${flags.codec}'`);
  const maxConcurrent = parseIntFlag('max-concurrent', flags['max-concurrent']) ?? 16;
  if (maxConcurrent < 1) throw new UsageError('--max-concurrent takes a positive integer');
  await keepSignalsFromJava();
  const server = await ImageServer.start({
    target,
    host: flags.host ?? '127.0.0.1',
    port,
    ngffVersion: version,
    codec,
    cors: flags.cors,
    symlinksInto: flags['symlinks-into'],
    maxConcurrent,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const images = server.catalog.list();
  print(`bfio serve: ${images.length} image(s) at ${server.url} (Ctrl-C stops)`);
  for (const image of images) print(`  ${server.url}${encodeURIComponent(image.name)}/  ← ${image.source}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await server.shutdown();
  const { ok, clientError, serverError } = server.counts;
  print(
    `bfio serve: stopped on ${signal} (${ok} ok, ${clientError} client errors, ${serverError} server errors)`,
  );
}
