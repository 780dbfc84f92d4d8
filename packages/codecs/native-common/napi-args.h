/*
 * The Node-API argument helpers every @bfio/codecs addon uses (native/, native-jpeg/, native-copy/): one
 * copy, included by relative path, so the addons stay separate targets that build (or fail) on their own.
 */
#ifndef BFIO_NAPI_ARGS_H
#define BFIO_NAPI_ARGS_H

#include <node_api.h>
#include <stddef.h>

/* Throws an Error with `message`; returns NULL for the caller to return. */
static inline napi_value bfio_fail(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* Throws a RangeError with `message`; returns NULL for the caller to return. */
static inline napi_value bfio_range_fail(napi_env env, const char *message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

/*
 * The bytes of a TypedArray argument: its data and its length in bytes (any element type), and its type
 * when `type` is not NULL. 0 when `value` is not a TypedArray.
 */
static inline int bfio_typed_bytes(napi_env env, napi_value value, void **data, size_t *length,
                                   napi_typedarray_type *type) {
  napi_typedarray_type t;
  size_t count;
  if (napi_get_typedarray_info(env, value, &t, &count, data, NULL, NULL) != napi_ok) return 0;
  size_t size = 1;
  if (t == napi_int16_array || t == napi_uint16_array) size = 2;
  else if (t == napi_int32_array || t == napi_uint32_array || t == napi_float32_array) size = 4;
  else if (t == napi_float64_array || t == napi_bigint64_array || t == napi_biguint64_array) size = 8;
  *length = count * size;
  if (type) *type = t;
  return 1;
}

/* The bytes of a Uint8Array argument; 0 for anything else. */
static inline int bfio_uint8_bytes(napi_env env, napi_value value, unsigned char **data, size_t *length) {
  napi_typedarray_type t;
  void *p;
  if (!bfio_typed_bytes(env, value, &p, length, &t) || t != napi_uint8_array) return 0;
  *data = p;
  return 1;
}

#endif
