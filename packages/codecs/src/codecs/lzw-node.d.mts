/** TIFF LZW decoding on Node (see lzw-node.mjs). */
export function lzwDecodeNode(
  input: Uint8Array,
  params: { outputSize?: number },
  into?: Uint8Array,
): Uint8Array;
