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

#include "../native-common/lzw-decode.h"

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
  int64_t written = in_length >= 2 && in[0] == 0 && (in[1] & 1) ? -2 : bfio_lzw_decode(in, in_length, out, out_length);
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
