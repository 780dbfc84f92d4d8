/**
 * TIFF LZW, both ways, in plain JavaScript (the same module on the main thread, in worker_threads and in Web
 * Workers).
 *
 * Decoding: MSB-first codes, 9–12 bits, "early change" as libtiff writes it; also the old LSB-first
 * variant. Ours rather than geotiff's: output is bounded by the block size (a strip without an end code
 * cannot grow without limit, which crashed geotiff's decoder on a real file) and it writes into one
 * preallocated buffer.
 *
 * Encoding (TIFF 6.0 section 13), bit-compatible with libtiff's: codes are MSB-first, every strip or tile
 * starts with Clear (256) and ends with EndOfInformation (257), the code width grows "early" (one code
 * before the table would overflow the width, as libtiff and every TIFF reader expect), and the table is
 * reset with Clear when it reaches 4094 entries.
 */
const CLEAR = 256;
const EOI = 257;

/** Decodes `src` into at most `limit` bytes. Throws on invalid codes. */
export function lzwDecode(src, limit) {
  // New-style streams start with a clear code (first byte 0x80); old-style (pre-TIFF 6) ones are LSB-first
  // and switch code width one code later.
  const lsb = src.length >= 2 && src[0] === 0 && (src[1] & 1) === 1;
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
      ? ((src[byte] | ((src[byte + 1] ?? 0) << 8) | ((src[byte + 2] ?? 0) << 16)) >> (bitPos & 7)) &
        ((1 << width) - 1)
      : (((src[byte] << 16) | ((src[byte + 1] ?? 0) << 8) | (src[byte + 2] ?? 0)) >>
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
      suffix[next] = code < next ? first[code] : first[old];
      first[next] = first[old];
      lengths[next] = lengths[old] + 1;
      next++;
    }
    // Write the string of `code` backwards along its prefix chain, clipped to the output size.
    const len = lengths[code];
    let pos = o + len - 1;
    for (let c = code; c >= 0; c = prefix[c], pos--) if (pos < limit) out[pos] = suffix[c];
    o = Math.min(limit, o + len);
    old = code;
    if (next >= (1 << width) - early && width < 12) width++;
  }
  return o === limit ? out : out.subarray(0, o);
}
const FIRST_CODE = 258;
const MAX_BITS = 12;
/** libtiff resets when the next free code would be 4094 (CODE_MAX - 1). */
const TABLE_FULL = (1 << MAX_BITS) - 2;

/** Open-addressed hash of (prefix code, byte) → code. 2^14 slots keep the load factor under 1/4. */
const HASH_BITS = 14;
const HASH_SIZE = 1 << HASH_BITS;
const HASH_MASK = HASH_SIZE - 1;

export function lzwEncode(input) {
  // Worst case: every byte becomes a 12-bit code, plus Clear codes and EOI.
  let out = new Uint8Array(Math.ceil((input.length * 12) / 8) + 64);
  let outPos = 0;
  let bitBuffer = 0;
  let bitCount = 0;

  const keys = new Int32Array(HASH_SIZE).fill(-1);
  const values = new Uint16Array(HASH_SIZE);

  const put = (code, width) => {
    bitBuffer = (bitBuffer << width) | code;
    bitCount += width;
    while (bitCount >= 8) {
      bitCount -= 8;
      if (outPos >= out.length) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[outPos++] = (bitBuffer >>> bitCount) & 0xff;
    }
    // Keep only the bits not yet written so the buffer never overflows 32 bits.
    bitBuffer &= (1 << bitCount) - 1;
  };

  let width = 9;
  let maxCode = (1 << width) - 1;
  let nextCode = FIRST_CODE;
  put(CLEAR, width);
  if (input.length === 0) {
    put(EOI, width);
  } else {
    let prefix = input[0];
    for (let i = 1; i < input.length; i++) {
      const byte = input[i];
      const key = (prefix << 8) | byte;
      let slot = ((key * 0x9e3779b1) >>> (32 - HASH_BITS)) & HASH_MASK;
      let found = -1;
      for (;;) {
        const k = keys[slot];
        if (k === -1) break;
        if (k === key) {
          found = values[slot];
          break;
        }
        slot = (slot + 1) & HASH_MASK;
      }
      if (found >= 0) {
        prefix = found;
        continue;
      }
      put(prefix, width);
      keys[slot] = key;
      values[slot] = nextCode++;
      prefix = byte;
      if (nextCode === TABLE_FULL) {
        put(CLEAR, width);
        keys.fill(-1);
        nextCode = FIRST_CODE;
        width = 9;
        maxCode = (1 << width) - 1;
      } else if (nextCode > maxCode) {
        width++;
        maxCode = (1 << width) - 1;
      }
    }
    // The last pending code; the decoder adds one more table entry when it reads it, so the width of EOI
    // follows the same rule as after any other code.
    put(prefix, width);
    nextCode++;
    if (nextCode === TABLE_FULL) {
      put(CLEAR, width);
      width = 9;
    } else if (nextCode > maxCode) {
      width++;
    }
    put(EOI, width);
  }
  if (bitCount > 0) put(0, 8 - bitCount);
  return out.subarray(0, outPos);
}
