/*
 * @bfio/tiff's optional native JPEG decoder: a Node-API binding over the system's libjpeg(-turbo) (Debian
 * libjpeg62-turbo-dev), the library tifffile decodes TIFF JPEG with (through imagecodecs), so our pixels
 * equal its pixels exactly; geotiff's JavaScript decoder differs by ±1 on a few per cent of them, and more
 * where chroma is subsampled. Loaded on the main thread and inside @bfio/core's codec workers (this
 * package's worker-codecs.mjs), so it keeps no global state.
 *
 * decode(tables: Uint8Array | null, data: Uint8Array, photometric: number, out: Uint8Array)
 *   -> [width, height, components]: decodes one TIFF JPEG block (an abbreviated stream whose tables may sit
 *   in the TIFF's JPEGTables tag, read first) into `out` as interleaved 8-bit samples. Photometric YCbCr (6)
 *   is converted to RGB, photometric RGB (2) is taken as RGB (as libtiff and tifffile do). Throws with
 *   libjpeg's message on corrupt data or when `out` is too small.
 *
 * encode(data: Uint8Array, width, height, components, quality, subsample: boolean) -> Uint8Array: one
 *   complete baseline JPEG stream (its own tables, so no JPEGTables tag) of `height` rows of `width`
 *   interleaved 8-bit samples, `components` 1 (gray) or 3 (RGB, stored as YCbCr: chroma 2x2 subsampled when
 *   `subsample`, else 1x1), at libjpeg quality 1..100. What tifffile writes for compression='jpeg'.
 */
/* jpeglib.h needs size_t and FILE declared first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <stdbool.h>
#include <node_api.h>
#include "../native-common/napi-args.h"

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} ErrorManager;

static void on_error(j_common_ptr cinfo) {
  ErrorManager *err = (ErrorManager *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

/* Warnings (e.g. "premature end of data") must not print to the host's stderr; corrupt data that libjpeg
 * only warns about is still caught by the caller's size checks. */
static void silent(j_common_ptr cinfo) { (void)cinfo; }

static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4)
    return bfio_fail(env, "decode(tables, data, photometric, out): four arguments expected");
  unsigned char *tables = NULL, *data, *out;
  size_t tables_length = 0, data_length, out_length;
  napi_valuetype kind;
  napi_typeof(env, argv[0], &kind);
  if (kind != napi_null && kind != napi_undefined && !bfio_uint8_bytes(env, argv[0], &tables, &tables_length))
    return bfio_fail(env, "decode: tables must be a Uint8Array or null");
  if (!bfio_uint8_bytes(env, argv[1], &data, &data_length) || data_length == 0)
    return bfio_fail(env, "decode: data must be a non-empty Uint8Array");
  int32_t photometric;
  if (napi_get_value_int32(env, argv[2], &photometric) != napi_ok) return bfio_fail(env, "decode: photometric must be a number");
  if (!bfio_uint8_bytes(env, argv[3], &out, &out_length)) return bfio_fail(env, "decode: out must be a Uint8Array");

  struct jpeg_decompress_struct cinfo;
  ErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.output_message = silent;
  err.message[0] = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    char message[JMSG_LENGTH_MAX + 16];
    snprintf(message, sizeof message, "JPEG: %s", err.message);
    return bfio_fail(env, message);
  }
  jpeg_create_decompress(&cinfo);
  if (tables && tables_length > 0) {
    /* The JPEGTables tag: an abbreviated table-specification stream (SOI, DQT/DHT, EOI). */
    jpeg_mem_src(&cinfo, tables, (unsigned long)tables_length);
    jpeg_read_header(&cinfo, FALSE);
  }
  jpeg_mem_src(&cinfo, data, (unsigned long)data_length);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.num_components == 3) {
    if (photometric == 6) {
      cinfo.jpeg_color_space = JCS_YCbCr;
      cinfo.out_color_space = JCS_RGB;
    } else if (photometric == 2) {
      cinfo.jpeg_color_space = JCS_RGB;
      cinfo.out_color_space = JCS_RGB;
    }
  }
  jpeg_start_decompress(&cinfo);
  size_t row = (size_t)cinfo.output_width * cinfo.output_components;
  if (row * cinfo.output_height > out_length) {
    char message[160];
    snprintf(message, sizeof message, "JPEG: the block decodes to %ux%ux%d samples, more than its %zu bytes",
             cinfo.output_width, cinfo.output_height, cinfo.output_components, out_length);
    jpeg_destroy_decompress(&cinfo);
    return bfio_fail(env, message);
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW line = out + (size_t)cinfo.output_scanline * row;
    jpeg_read_scanlines(&cinfo, &line, 1);
  }
  napi_value result, w, h, c;
  napi_create_array_with_length(env, 3, &result);
  napi_create_uint32(env, cinfo.output_width, &w);
  napi_create_uint32(env, cinfo.output_height, &h);
  napi_create_uint32(env, (uint32_t)cinfo.output_components, &c);
  napi_set_element(env, result, 0, w);
  napi_set_element(env, result, 1, h);
  napi_set_element(env, result, 2, c);
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return result;
}

/* libjpeg's memory destination mallocs the stream; it is copied into a Node Buffer and freed. */
static napi_value encode(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6)
    return bfio_fail(env, "encode(data, width, height, components, quality, subsample): six arguments expected");
  unsigned char *data;
  size_t data_length;
  if (!bfio_uint8_bytes(env, argv[0], &data, &data_length)) return bfio_fail(env, "encode: data must be a Uint8Array");
  uint32_t width, height, components, quality;
  bool subsample;
  if (napi_get_value_uint32(env, argv[1], &width) != napi_ok || napi_get_value_uint32(env, argv[2], &height) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &components) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &quality) != napi_ok || napi_get_value_bool(env, argv[5], &subsample) != napi_ok)
    return bfio_fail(env, "encode: width, height, components, quality must be numbers and subsample a boolean");
  if (components != 1 && components != 3) return bfio_fail(env, "encode: components must be 1 or 3");
  if (quality < 1 || quality > 100) return bfio_fail(env, "encode: quality must be 1..100");
  if (width == 0 || height == 0 || width > 65500 || height > 65500) return bfio_fail(env, "encode: JPEG sizes are 1..65500");
  if ((size_t)width * height * components > data_length) return bfio_fail(env, "encode: data is smaller than width x height x components");

  struct jpeg_compress_struct cinfo;
  ErrorManager err;
  unsigned char *stream = NULL;
  unsigned long stream_length = 0;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.output_message = silent;
  err.message[0] = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    free(stream);
    char message[JMSG_LENGTH_MAX + 16];
    snprintf(message, sizeof message, "JPEG: %s", err.message);
    return bfio_fail(env, message);
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &stream, &stream_length);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = (int)components;
  cinfo.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, (int)quality, TRUE);
  if (components == 3) {
    /* jpeg_set_defaults chose YCbCr with 2x2 luma sampling (4:2:0); 4:4:4 keeps every chroma sample. */
    int h = subsample ? 2 : 1;
    cinfo.comp_info[0].h_samp_factor = h;
    cinfo.comp_info[0].v_samp_factor = h;
    cinfo.comp_info[1].h_samp_factor = cinfo.comp_info[1].v_samp_factor = 1;
    cinfo.comp_info[2].h_samp_factor = cinfo.comp_info[2].v_samp_factor = 1;
  }
  jpeg_start_compress(&cinfo, TRUE);
  size_t row = (size_t)width * components;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW line = data + (size_t)cinfo.next_scanline * row;
    jpeg_write_scanlines(&cinfo, &line, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  napi_value result;
  void *copy;
  if (napi_create_buffer_copy(env, stream_length, stream, &copy, &result) != napi_ok) {
    free(stream);
    return bfio_fail(env, "encode: out of memory");
  }
  free(stream);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "decode", NAPI_AUTO_LENGTH, decode, NULL, &fn);
  napi_set_named_property(env, exports, "decode", fn);
  napi_create_function(env, "encode", NAPI_AUTO_LENGTH, encode, NULL, &fn);
  napi_set_named_property(env, exports, "encode", fn);
  return exports;
}
