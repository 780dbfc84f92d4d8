/**
 * Encoding served chunks with the codec the array metadata names, through zarrita's codec registry with
 * bfio's registrations (codecs.ts: native zstd on the worker pool, node:zlib gzip, numcodecs blosc), so a
 * chunk is encoded exactly as the metadata documents describe it.
 */
import type { Compression, DType } from '@bfio/core';
import * as zarr from 'zarrita';
import { registerCodecs } from '../codecs.js';
import { arrayDocuments } from '../metadata-docs.js';

export type Encode = (raw: Uint8Array) => Promise<Uint8Array>;

interface BytesCodec {
  encode(data: Uint8Array): Promise<Uint8Array>;
}

interface CodecMeta {
  name: string;
  configuration?: Record<string, unknown>;
}

/** The encoder for chunks of `dtype` compressed with `compression` (identity for 'none'). */
export async function chunkEncoder(
  compression: Compression,
  level: number,
  dtype: DType,
  file: string,
): Promise<Encode> {
  if (compression === 'none') return async (raw) => raw;
  registerCodecs();
  // The v3 chain names the codec and its configuration; the bytes it produces are the same under Zarr v2.
  const doc = arrayDocuments({ format: 3, shape: [1], chunks: [1], dtype, compression, level }, file)[
    'zarr.json'
  ] as { codecs: CodecMeta[] };
  const codecs = await Promise.all(
    doc.codecs.slice(1).map(async (meta) => {
      const Codec = (await zarr.registry.get(meta.name)?.()) as
        | { fromConfig(config: unknown, meta: unknown): BytesCodec }
        | undefined;
      if (!Codec) throw new Error(`codec '${meta.name}' is not registered with zarrita`);
      return Codec.fromConfig(meta.configuration ?? {}, {});
    }),
  );
  return async (raw) => {
    let bytes = raw;
    for (const codec of codecs) bytes = await codec.encode(bytes);
    return bytes;
  };
}
