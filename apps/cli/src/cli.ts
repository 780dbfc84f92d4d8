/**
 * The `bfio` command: argument parsing, dispatch and exit codes (0 ok, 1 usage error, 2 input error,
 * 3 output error). `main` returns the code instead of exiting so tests can call it in-process.
 */
import { parseArgs } from 'node:util';
import { isBfioError } from '@bfio/core';
import '@bfio/s3';
import '@bfio/tiff';
import '@bfio/zarr';
import { BIOFORMATS_HELP, bioformats } from './commands/bioformats.js';
import { CONVERT_HELP, convert } from './commands/convert.js';
import { FINALIZE_HELP, finalize } from './commands/convert-parts.js';
import { INFO_HELP, info } from './commands/info.js';
import { READ_HELP, read } from './commands/read.js';
import { REFS_HELP, refs } from './commands/refs.js';
import { SERVE_HELP, serve } from './commands/serve.js';
import { VALIDATE_HELP, validate } from './commands/validate.js';
import { OutputError } from './output-error.js';
import { UsageError } from './usage-error.js';

export const HELP = `bfio: read and write bioimages of any size

Usage: bfio <command> [options]

Commands:
  info FILE        what the file holds (sizes, dtype, levels, channels)
  read FILE        save a region as a NumPy .npy file
  convert IN OUT   convert to tiled OME-TIFF or OME-Zarr, tile by tile (or in parts: --part i/N)
  finalize OUT     complete an OME-Zarr written in parts (checks every part, writes the metadata)
  refs FILE        kerchunk/fsspec references: zarr-python reads a TIFF in place as OME-Zarr
  serve FILE|DIR   serve images as OME-Zarr over HTTP, without converting (zarr-python, napari, viewers)
  validate FILE    check a TIFF, OME-TIFF, OME-Zarr or OME-XML rule by rule (exit 1 names the broken rules)
  bioformats install|status   get Bio-Formats (Java) for the 150+ formats it reads

FILE and IN may be http(s) URLs of OME-TIFF files and OME-Zarr stores (read by byte ranges and chunks).
FILE, IN and OUT may be s3://bucket/key (credentials and endpoint as the AWS CLI takes them:
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, AWS_PROFILE).

Run 'bfio <command> --help' for the options and examples of a command.`;

const HELPS: Record<string, string> = {
  info: INFO_HELP,
  read: READ_HELP,
  convert: CONVERT_HELP,
  finalize: FINALIZE_HELP,
  bioformats: BIOFORMATS_HELP,
  refs: REFS_HELP,
  serve: SERVE_HELP,
  validate: VALIDATE_HELP,
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  omexml: { type: 'boolean' },
  thumbnail: { type: 'string' },
  'thumbnail-size': { type: 'string' },
  series: { type: 'string' },
  level: { type: 'string' },
  backend: { type: 'string' },
  out: { type: 'string', short: 'o' },
  x: { type: 'string' },
  y: { type: 'string' },
  z: { type: 'string' },
  c: { type: 'string' },
  t: { type: 'string' },
  format: { type: 'string' },
  channels: { type: 'string' },
  crop: { type: 'string' },
  grid: { type: 'string' },
  'tile-size': { type: 'string' },
  compression: { type: 'string' },
  pyramid: { type: 'string' },
  resolutions: { type: 'string' },
  'target-min-size': { type: 'string' },
  downsample: { type: 'string' },
  'use-existing-resolutions': { type: 'boolean' },
  'fill-value': { type: 'string' },
  'compression-level': { type: 'string' },
  timepoint: { type: 'string' },
  channel: { type: 'string' },
  'no-hcs': { type: 'boolean' },
  'ngff-version': { type: 'string' },
  'shard-size': { type: 'string' },
  overwrite: { type: 'boolean' },
  wipp: { type: 'boolean' },
  'max-workers': { type: 'string' },
  quality: { type: 'string' },
  rgb: { type: 'boolean' },
  url: { type: 'string' },
  sha256: { type: 'string' },
  'cache-dir': { type: 'string' },
  force: { type: 'boolean' },
  part: { type: 'string' },
  plan: { type: 'string' },
  resume: { type: 'boolean' },
  strict: { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  cors: { type: 'string' },
  'max-concurrent': { type: 'string' },
  codec: { type: 'string' },
  'symlinks-into': { type: 'string' },
  'schema-dir': { type: 'string' },
} as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
};

/** Bio-Formats is optional: load it only when installed, so the CLI works without Java. */
async function loadOptionalBackends(): Promise<void> {
  try {
    await import('@bfio/bioformats-java');
  } catch {
    // Not installed, or its native bridge failed to load: files only it reads will say so.
  }
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`bfio: ${(err as Error).message}\n\n${HELP}`);
    return 1;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (!command) {
    (values.help ? io.out : io.err)(HELP);
    return values.help ? 0 : 1;
  }
  const help = HELPS[command];
  if (!help) {
    io.err(`bfio: unknown command '${command}'\n\n${HELP}`);
    return 1;
  }
  if (values.help) {
    io.out(help);
    return 0;
  }
  const need = command === 'convert' ? 2 : 1;
  if (command === 'bioformats' && !['install', 'status'].includes(args[0] ?? '')) {
    io.err(`bfio bioformats: say 'install' or 'status'\n\n${help}`);
    return 1;
  }
  if (args.length !== need) {
    io.err(`bfio ${command}: expected ${need} path argument(s), got ${args.length}\n\n${help}`);
    return 1;
  }
  await loadOptionalBackends();
  try {
    if (command === 'bioformats') await bioformats(args[0]!, values, io.out);
    else if (command === 'info') await info(args[0]!, values, io.out);
    else if (command === 'read') await read(args[0]!, values, io.out);
    else if (command === 'finalize') await finalize(args[0]!, values, io.out);
    else if (command === 'refs') await refs(args[0]!, values, io.out);
    else if (command === 'serve') await serve(args[0]!, values, io.out);
    else if (command === 'validate') return (await validate(args[0]!, values, io.out)) ? 0 : 1;
    else await convert(args[0]!, args[1]!, values, io.out);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`bfio ${command}: ${err.message}`);
      return 1;
    }
    if (err instanceof OutputError) {
      io.err(`bfio ${command}: ${err.message}`);
      return 3;
    }
    if (isBfioError(err, 'file-exists')) {
      io.err(`bfio ${command}: ${err.message}`);
      return 3;
    }
    if (isBfioError(err)) {
      io.err(`bfio ${command}: ${err.message}`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    io.err(`bfio ${command}: ${e?.message ?? String(err)}`);
    return 2;
  }
}
