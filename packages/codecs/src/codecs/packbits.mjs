/**
 * PackBits (Macintosh RLE, TIFF compression 32773), decoding only (our writer never picks it).
 */

/**
 * Decodes at most `params.outputSize` bytes: corrupt runs cannot make it grow unbounded, and a run past the
 * block's size is an error (as imagecodecs makes it), never a silently cut run.
 */
export function packbitsDecode(src, params) {
  const limit = params.outputSize;
  const out = new Uint8Array(limit);
  let o = 0;
  let i = 0;
  const overrun = () =>
    new Error(`PackBits data decodes past the block's ${limit} bytes (at input byte ${i})`);
  while (i < src.length && o < limit) {
    const n = (src[i] << 24) >> 24;
    i++;
    if (n >= 0) {
      const end = Math.min(i + n + 1, src.length);
      if (o + (end - i) > limit) throw overrun();
      out.set(src.subarray(i, end), o);
      o += end - i;
      i = end;
    } else if (n !== -128) {
      if (o + 1 - n > limit) throw overrun();
      const v = src[i++];
      out.fill(v, o, o + 1 - n);
      o += 1 - n;
    }
  }
  return o === limit ? out : out.subarray(0, o);
}
