/**
 * TIFF LZW decoding (MSB-first codes, 9–12 bits, "early change" as libtiff writes it; also the old LSB-first
 * variant). Ours rather than
 * geotiff's: output is bounded by the block size (a strip without an end code cannot grow without limit,
 * which crashed geotiff's decoder on a real file) and it writes into one preallocated buffer.
 */
const CLEAR = 256;
const EOI = 257;

/** Decode `src` into at most `limit` bytes. Throws on invalid codes. */
export function lzwDecode(src: Uint8Array, limit: number): Uint8Array {
  // New-style streams start with a clear code (first byte 0x80); old-style (pre-TIFF 6) ones are LSB-first
  // and switch code width one code later.
  const lsb = src.length >= 2 && src[0] === 0 && (src[1]! & 1) === 1;
  const early = lsb ? 0 : 1;
  const out = new Uint8Array(limit);
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const lengths = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    first[i] = i;
    lengths[i] = 1;
  }
  let next = 258;
  let width = 9;
  let bitPos = 0;
  const totalBits = src.length * 8;
  let o = 0;
  let old = -1;
  while (o < limit && bitPos + width <= totalBits) {
    const byte = bitPos >> 3;
    const code = lsb
      ? ((src[byte]! | ((src[byte + 1] ?? 0) << 8) | ((src[byte + 2] ?? 0) << 16)) >> (bitPos & 7)) &
        ((1 << width) - 1)
      : (((src[byte]! << 16) | ((src[byte + 1] ?? 0) << 8) | (src[byte + 2] ?? 0)) >>
          (24 - (bitPos & 7) - width)) &
        ((1 << width) - 1);
    bitPos += width;
    if (code === EOI) break;
    if (code === CLEAR) {
      next = 258;
      width = 9;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) throw new Error(`invalid LZW code ${code} after a clear code`);
      out[o++] = code;
      old = code;
      continue;
    }
    if (code > next || (code === next && next >= 4096))
      throw new Error(`invalid LZW code ${code} (table has ${next})`);
    if (next < 4096) {
      prefix[next] = old;
      suffix[next] = code < next ? first[code]! : first[old]!;
      first[next] = first[old]!;
      lengths[next] = lengths[old]! + 1;
      next++;
    }
    // Write the string of `code` backwards along its prefix chain, clipped to the output size.
    const len = lengths[code]!;
    let pos = o + len - 1;
    for (let c = code; c >= 0; c = prefix[c]!, pos--) if (pos < limit) out[pos] = suffix[c]!;
    o = Math.min(limit, o + len);
    old = code;
    if (next >= (1 << width) - early && width < 12) width++;
  }
  return o === limit ? out : out.subarray(0, o);
}
