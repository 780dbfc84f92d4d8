/*
 * @bfio/codecs' native TIFF LZW decoder (MSB-first codes, 9–12 bits, libtiff's "early change"), a Node-API
 * addon of its own (no system library). The JavaScript decoder (src/codecs/lzw.mjs) decodes ~55–95 MiB per
 * CPU-second on 1024² uint16 tiles, half of imagecodecs' C decoder, which is what tifffile reads with; this
 * one works as imagecodecs' does: a table entry is not a prefix chain but the place in the output where its
 * string was first written (every new string is the previous one plus one byte, and was written right
 * there), so decoding a code is one short forward copy. Old-style LSB-first streams stay with the JavaScript
 * decoder.
 *
 * lzwDecode(input: Uint8Array, output: Uint8Array) -> bytes decoded into output (decoding stops when it is
 * full, as the JavaScript decoder clips at the block size), -1 for an invalid code, -2 for an LSB-first stream
 * (the caller decodes those in JavaScript). Context-free: no state between calls, safe on any thread.
 */
#include "../native-common/napi-args.h"
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#define CLEAR 256
#define EOI 257
#define FIRST 258
#define TABLE 4096

/* Bytes decoded, or -1 (invalid code). */
static int64_t decode(const uint8_t *src, size_t srclen, uint8_t *out, size_t limit) {
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

static napi_value lzw_decode(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    return bfio_fail(env, "lzwDecode(input, output): two arguments expected");
  }
  uint8_t *in, *out;
  size_t in_length, out_length;
  if (!bfio_uint8_bytes(env, argv[0], &in, &in_length)) return bfio_fail(env, "lzwDecode: input must be a Uint8Array");
  if (!bfio_uint8_bytes(env, argv[1], &out, &out_length)) return bfio_fail(env, "lzwDecode: output must be a Uint8Array");
  if (out_length > UINT32_MAX) return bfio_fail(env, "lzwDecode: output larger than 4 GiB");
  int64_t written = in_length >= 2 && in[0] == 0 && (in[1] & 1) ? -2 : decode(in, in_length, out, out_length);
  napi_value result;
  napi_create_double(env, (double)written, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "lzwDecode", NAPI_AUTO_LENGTH, lzw_decode, NULL, &fn);
  napi_set_named_property(env, exports, "lzwDecode", fn);
  return exports;
}
