/*
 * TIFF LZW decoding (MSB-first codes, 9-12 bits, libtiff's "early change"), shared by the addons that decode
 * it (native/lzw.c's lzwDecode on the calling thread, native-lane/lane.c on the lane's threads): one copy,
 * included by relative path. See native/lzw.c for how it works.
 */
#ifndef BFIO_LZW_DECODE_H
#define BFIO_LZW_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CLEAR 256
#define EOI 257
#define FIRST 258
#define TABLE 4096

/* Bytes decoded, or -1 (invalid code). */
static inline int64_t bfio_lzw_decode(const uint8_t *src, size_t srclen, uint8_t *out, size_t limit) {
  uint32_t offsets[TABLE];
  uint16_t lengths[TABLE];
  size_t o = 0;
  uint64_t bits = 0; /* MSB-aligned: the next code is in the top `width` bits */
  int have = 0;      /* valid bits in `bits` */
  size_t pos = 0;
  int width = 9;
  uint32_t next = FIRST;
  int32_t old = -1;
  size_t old_at = 0; /* where the previous code's string starts in `out` */
  uint32_t old_len = 0;
  for (;;) {
    if (have < width) {
      if (pos + 8 <= srclen) {
        /* Refill from a big-endian load: whole bytes below the bits already there. Bits of a partly
           taken byte are the stream's own, so the next refill ORs the same bits over them. */
        uint64_t word;
        memcpy(&word, src + pos, 8);
        bits |= __builtin_bswap64(word) >> have;
        int take = (63 - have) >> 3;
        pos += take;
        have += take * 8;
      } else {
        while (have <= 56 && pos < srclen) {
          bits |= (uint64_t)src[pos++] << (56 - have);
          have += 8;
        }
        if (have < width) break; /* the stream ends without EOI: what was decoded stands */
      }
    }
    uint32_t code = (uint32_t)(bits >> (64 - width));
    bits <<= width;
    have -= width;
    if (code == EOI) break;
    if (code == CLEAR) {
      next = FIRST;
      width = 9;
      old = -1;
      continue;
    }
    if (o >= limit) break;
    if (old < 0) {
      if (code > 255) return -1;
      old_at = o;
      old_len = 1;
      out[o++] = (uint8_t)code;
      old = (int32_t)code;
      continue;
    }
    size_t at = o;
    uint32_t len;
    if (code < 256) {
      out[o] = (uint8_t)code;
      len = 1;
    } else if (code < next) {
      len = lengths[code];
      const uint8_t *from = out + offsets[code];
      if (o + len + 8 <= limit && len <= 16) {
        /* Short strings (most of them): two unaligned 8-byte moves; the source ends at or before `o`, and
           bytes written past the string are overwritten by the next ones. */
        uint64_t a, b;
        memcpy(&a, from, 8);
        memcpy(&b, from + 8, 8);
        memcpy(out + o, &a, 8);
        if (len > 8) memcpy(out + o + 8, &b, 8);
      } else {
        if (len > limit - o) len = (uint32_t)(limit - o);
        memcpy(out + o, from, len);
      }
    } else if (code == next && next < TABLE) {
      /* KwKwK: the previous string and its own first byte. */
      len = old_len + 1;
      uint32_t n = old_len;
      if (n > limit - o) n = (uint32_t)(limit - o);
      memmove(out + o, out + old_at, n);
      if (o + old_len < limit) out[o + old_len] = out[old_at];
    } else {
      return -1;
    }
    if (next < TABLE) {
      offsets[next] = (uint32_t)old_at;
      lengths[next] = (uint16_t)(old_len + 1);
      next++;
    }
    o = at + len > limit ? limit : at + len;
    old_at = at;
    old_len = len;
    old = (int32_t)code;
    if (next >= (1u << width) - 1 && width < 12) width++;
  }
  return (int64_t)o;
}

#endif
