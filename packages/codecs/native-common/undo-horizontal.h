/*
 * The undo of TIFF's horizontal predictor (Predictor 2), in place, shared by the addons that need it
 * (native-copy/filters.c's undoHorizontal on the calling thread, native-lane/lane.c on the lane's threads): one
 * copy, included by relative path. undo_uint8_t / undo_uint16_t / undo_uint32_t(samples, rows, rowLength,
 * stride).
 */
#ifndef BFIO_UNDO_HORIZONTAL_H
#define BFIO_UNDO_HORIZONTAL_H

#include <stddef.h>
#include <stdint.h>

#define UNDO(T)                                                          \
  static void undo_##T(T *s, size_t rows, size_t row, size_t stride) {  \
    for (size_t r = 0; r < rows; r++) {                                  \
      T *p = s + r * row;                                                \
      if (stride == 1) {                                                 \
        size_t i = prefix_##T(p, row);                                   \
        if (i == 0) i = 1;                                               \
        T acc = p[i - 1];                                                \
        for (; i < row; i++) p[i] = acc = (T)(acc + p[i]);               \
      } else {                                                           \
        for (size_t i = stride; i < row; i++) p[i] = (T)(p[i] + p[i - stride]); \
      }                                                                  \
    }                                                                    \
  }

#ifdef __SSE2__
#include <emmintrin.h>
/* One sample per pixel is a running sum along the row: one dependent add per sample in scalar code (~3.7
 * GB/s of uint16 here, 0.2 CPU-s of a 512 MiB zstd + predictor read). SSE2 (every x86-64) sums 16 bytes at a
 * time: a prefix sum inside the vector by log2(lanes) shifted adds, plus the previous vector's last lane
 * (~11 GB/s). Returns how many samples it did (whole vectors from the row's start); the caller ends the row. */
#define PREFIX_SSE(T, LANES, SHIFTS, CARRY)                               \
  static size_t prefix_##T(T *p, size_t row) {                           \
    __m128i carry = _mm_setzero_si128();                                 \
    size_t i = 0;                                                        \
    for (; i + LANES <= row; i += LANES) {                               \
      __m128i x = _mm_loadu_si128((const __m128i *)(p + i));             \
      SHIFTS                                                             \
      x = _mm_add_epi##CARRY(x, carry);                                  \
      _mm_storeu_si128((__m128i *)(p + i), x);                           \
      carry = last_##T(x);                                               \
    }                                                                    \
    return i;                                                            \
  }
static inline __m128i last_uint8_t(__m128i x) {
  __m128i w = _mm_srli_epi16(_mm_shufflehi_epi16(x, 0xFF), 8); /* byte 15 in the low byte of words 4-7 */
  w = _mm_unpackhi_epi64(w, w);
  return _mm_or_si128(w, _mm_slli_epi16(w, 8));
}
static inline __m128i last_uint16_t(__m128i x) {
  __m128i w = _mm_shufflehi_epi16(x, 0xFF);
  return _mm_unpackhi_epi64(w, w);
}
static inline __m128i last_uint32_t(__m128i x) { return _mm_shuffle_epi32(x, 0xFF); }
PREFIX_SSE(uint8_t, 16,
           x = _mm_add_epi8(x, _mm_slli_si128(x, 1)); x = _mm_add_epi8(x, _mm_slli_si128(x, 2));
           x = _mm_add_epi8(x, _mm_slli_si128(x, 4)); x = _mm_add_epi8(x, _mm_slli_si128(x, 8));, 8)
PREFIX_SSE(uint16_t, 8,
           x = _mm_add_epi16(x, _mm_slli_si128(x, 2)); x = _mm_add_epi16(x, _mm_slli_si128(x, 4));
           x = _mm_add_epi16(x, _mm_slli_si128(x, 8));, 16)
PREFIX_SSE(uint32_t, 4,
           x = _mm_add_epi32(x, _mm_slli_si128(x, 4)); x = _mm_add_epi32(x, _mm_slli_si128(x, 8));, 32)
#undef PREFIX_SSE
#else
/* Elsewhere the scalar loop does the whole row. */
static size_t prefix_uint8_t(uint8_t *p, size_t row) { (void)p; (void)row; return 0; }
static size_t prefix_uint16_t(uint16_t *p, size_t row) { (void)p; (void)row; return 0; }
static size_t prefix_uint32_t(uint32_t *p, size_t row) { (void)p; (void)row; return 0; }
#endif

UNDO(uint8_t)
UNDO(uint16_t)
UNDO(uint32_t)
#undef UNDO

#endif
