/** TIFF LZW (see lzw-codec.mjs). */
/** Decodes `src` into at most `limit` bytes. Throws on invalid codes. */
export function lzwDecode(src: Uint8Array, limit: number): Uint8Array;
/** Encodes `input` as one TIFF LZW strip or tile. */
export function lzwEncode(input: Uint8Array): Uint8Array;
