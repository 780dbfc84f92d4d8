/*
 * TIFF's horizontal predictor (Predictor 2) applied in place before compression, shared by the addons that
 * encode (native/libdeflate.c's horizontalPredict on the calling thread, native-lane/lane.c on libuv's
 * threads): one copy, included by relative path. bfio_predict(data, length, size 1|2|4, rowLength, stride)
 * returns 0, or -1 when out of memory.
 */
#ifndef BFIO_PREDICT_H
#define BFIO_PREDICT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Each row is copied to `prev` first, so the differences read unmodified neighbours and the loop has no
 * dependence between iterations: the compiler vectorises it (the backward in-place loop it replaces does not).
 */
#define PREDICT_ROWS(T)                                                               \
  do {                                                                                \
    T *restrict samples = data;                                                       \
    T *restrict prev = scratch;                                                       \
    for (size_t r = 0; r < rows; r++) {                                               \
      T *restrict row = samples + r * row_length;                                     \
      memcpy(prev, row, row_length * sizeof(T));                                      \
      for (size_t i = stride; i < row_length; i++) row[i] = (T)(prev[i] - prev[i - stride]); \
    }                                                                                 \
  } while (0)

__attribute__((optimize("O3"))) static inline int bfio_predict(void *data, size_t length, int size,
                                                               size_t row_length, size_t stride) {
  size_t rows = length / (size_t)size / row_length;
  if (rows == 0 || stride >= row_length) return 0;
  uint32_t local[4096];
  void *scratch = row_length * (size_t)size <= sizeof local ? (void *)local : malloc(row_length * (size_t)size);
  if (scratch == NULL) return -1;
  if (size == 1) PREDICT_ROWS(uint8_t);
  else if (size == 2) PREDICT_ROWS(uint16_t);
  else PREDICT_ROWS(uint32_t);
  if (scratch != (void *)local) free(scratch);
  return 0;
}

#endif
