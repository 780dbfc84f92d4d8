/**
 * Codec metadata checked at open: every compressor, filter and codec (also inside a sharding codec) is an
 * object naming a codec this reader has. zarrita loads a chunk's codecs only when the first chunk is read,
 * and when several fail it rejects promises nobody awaits (an unhandled rejection that can end the process).
 */
import { CorruptFileError, UnsupportedError } from '@bfio/core';
import * as zarr from 'zarrita';

function codecName(codec: unknown, v2: boolean): string | undefined {
  if (v2) {
    const id = (codec as { id?: unknown } | null)?.id;
    return typeof codec === 'object' && codec !== null && typeof id === 'string'
      ? `numcodecs.${id}`
      : undefined;
  }
  if (typeof codec === 'string') return codec;
  const name = (codec as { name?: unknown } | null)?.name;
  return typeof codec === 'object' && codec !== null && typeof name === 'string' ? name : undefined;
}

/**
 * Names zarrita handles without a registry entry: sharding (its own pipeline) and numcodecs'
 * fixedscaleoffset filter (translated to scale_offset + cast_value).
 */
const TRANSLATED = new Set([
  'sharding_indexed',
  'numcodecs.fixedscaleoffset',
  'numcodecs.numcodecs.fixedscaleoffset',
]);

export function checkCodecs(file: string, rel: string, meta: Record<string, unknown>, format: 2 | 3): void {
  const where = `array '${rel || '/'}'`;
  const check = (codecs: unknown[], key: string, v2: boolean) => {
    for (const codec of codecs) {
      const name = codecName(codec, v2);
      if (name === undefined) {
        throw new CorruptFileError(
          file,
          `the ${where} has an invalid ${key} entry ${JSON.stringify(codec)?.slice(0, 200)}; fix its metadata`,
        );
      }
      if (!TRANSLATED.has(name) && !zarr.registry.has(name)) {
        throw new UnsupportedError(
          `${file}: the ${where} uses the codec '${name}', which this reader does not have; re-encode the array with a supported codec (e.g. zstd, gzip or blosc)`,
          file,
        );
      }
      const config = (codec as { configuration?: Record<string, unknown> }).configuration;
      if (!v2 && name === 'sharding_indexed') {
        for (const inner of ['codecs', 'index_codecs'] as const) {
          const list = config?.[inner];
          if (!Array.isArray(list))
            throw new CorruptFileError(
              file,
              `the ${where}'s sharding codec has no ${inner} list; fix its metadata`,
            );
          check(list, `sharding ${inner}`, false);
        }
      }
    }
  };
  if (format === 2) {
    const { compressor, filters } = meta;
    if (compressor !== null && compressor !== undefined) check([compressor], 'compressor', true);
    if (filters !== null && filters !== undefined) {
      if (!Array.isArray(filters))
        throw new CorruptFileError(file, `the ${where} has filters that are not a list; fix its metadata`);
      check(filters, 'filters', true);
    }
    return;
  }
  if (!Array.isArray(meta.codecs))
    throw new CorruptFileError(file, `the ${where} has no codecs list; fix its metadata`);
  check(meta.codecs, 'codecs', false);
}
