/* SPDX-License-Identifier: MIT */
/*
 * The two inner loops of the resize, in portable C and in AVX2 (picked at run time on x86-64):
 * the horizontal pass over one row of interleaved RGB and the vertical accumulation of one output
 * row. Both use PIL's fixed-point arithmetic (int32, EI__PRECISION_BITS fractional bits), so every
 * variant gives bit-identical results. Geometry, clipping of the final row and normalisation are
 * in pipeline.c.
 *
 * Reads may run up to EI__PIXEL_SLACK bytes past the last pixel of a row (vector loads); every
 * pixel buffer of the layer is allocated with that much slack.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ei_util.h"
#include "image_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define EI__HAVE_AVX2_KERNEL 1
#include <immintrin.h>
#endif

static inline uint8_t clip8(int32_t v)
{
    v >>= EI__PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
}

static void hpass_c(const uint8_t *src, uint8_t *dst, const struct ei__coeffs *c, int32_t x0,
                    int32_t n)
{
    int ks = c->ksize;
    for (int32_t x = 0; x < n; x++) {
        int32_t ox = x0 + x;
        int32_t xmin = c->bounds[2 * ox], xn = c->bounds[2 * ox + 1];
        const int32_t *k = c->k + (size_t)ox * (size_t)ks;
        const uint8_t *s = src + (size_t)xmin * 3;
        int32_t s0 = 1 << (EI__PRECISION_BITS - 1), s1 = s0, s2 = s0;
        for (int32_t j = 0; j < xn; j++) {
            s0 += s[3 * j] * k[j];
            s1 += s[3 * j + 1] * k[j];
            s2 += s[3 * j + 2] * k[j];
        }
        dst[3 * x] = clip8(s0);
        dst[3 * x + 1] = clip8(s1);
        dst[3 * x + 2] = clip8(s2);
    }
}

static void vpass_c(const uint8_t *const *rows, const int32_t *k, int32_t yn, int32_t *acc, int n3)
{
    for (int i = 0; i < n3; i++)
        acc[i] = 1 << (EI__PRECISION_BITS - 1);
    for (int32_t j = 0; j < yn; j++) {
        const uint8_t *row = rows[j];
        int32_t kj = k[j];
        for (int i = 0; i < n3; i++)
            acc[i] += row[i] * kj;
    }
}

#ifdef EI__HAVE_AVX2_KERNEL
/*
 * Horizontal pass, two taps per step: 8 source bytes (r0 g0 b0 r1 g1 b1 ..) are spread into two
 * 4-lane groups (r0 g0 b0 0 | r1 g1 b1 0), widened to int32 and multiplied by (k0 x4 | k1 x4);
 * the two halves are added at the end. The integer sums are the same as the scalar loop's.
 */
__attribute__((target("avx2"))) static void hpass_avx2(const uint8_t *src, uint8_t *dst,
                                                       const struct ei__coeffs *c, int32_t x0,
                                                       int32_t n)
{
    int ks = c->ksize;
    const __m128i spread = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i kidx = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    const __m128i round = _mm_set1_epi32(1 << (EI__PRECISION_BITS - 1));
    for (int32_t x = 0; x < n; x++) {
        int32_t ox = x0 + x;
        int32_t xmin = c->bounds[2 * ox], xn = c->bounds[2 * ox + 1];
        const int32_t *k = c->k + (size_t)ox * (size_t)ks;
        const uint8_t *s = src + (size_t)xmin * 3;
        __m256i acc = _mm256_setzero_si256();
        int32_t j = 0;
        for (; j + 2 <= xn; j += 2) {
            __m128i px = _mm_loadl_epi64((const __m128i *)(const void *)(s + 3 * j));
            __m256i v = _mm256_cvtepu8_epi32(_mm_shuffle_epi8(px, spread));
            __m256i kk = _mm256_permutevar8x32_epi32(
                _mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)(const void *)(k + j))),
                kidx);
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(v, kk));
        }
        __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(acc),
                                    _mm256_extracti128_si256(acc, 1));
        sum = _mm_add_epi32(sum, round);
        if (j < xn) {
            int32_t w;
            memcpy(&w, s + 3 * j, 4);
            __m128i v = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(w));
            sum = _mm_add_epi32(sum, _mm_mullo_epi32(v, _mm_set1_epi32(k[j])));
        }
        int32_t out[4];
        _mm_storeu_si128((__m128i *)(void *)out, sum);
        dst[3 * x] = clip8(out[0]);
        dst[3 * x + 1] = clip8(out[1]);
        dst[3 * x + 2] = clip8(out[2]);
    }
}

/* Vertical accumulation, 16 values per step (two 8-lane int32 vectors). */
__attribute__((target("avx2"))) static void vpass_avx2(const uint8_t *const *rows,
                                                       const int32_t *k, int32_t yn,
                                                       int32_t *acc, int n3)
{
    const __m256i round = _mm256_set1_epi32(1 << (EI__PRECISION_BITS - 1));
    int i = 0;
    for (; i + 16 <= n3; i += 16) {
        __m256i a0 = round, a1 = round;
        for (int32_t j = 0; j < yn; j++) {
            __m128i px = _mm_loadu_si128((const __m128i *)(const void *)(rows[j] + i));
            __m256i kj = _mm256_set1_epi32(k[j]);
            a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(px), kj));
            a1 = _mm256_add_epi32(
                a1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(px, 8)), kj));
        }
        _mm256_storeu_si256((__m256i *)(void *)(acc + i), a0);
        _mm256_storeu_si256((__m256i *)(void *)(acc + i + 8), a1);
    }
    for (; i < n3; i++) {
        int32_t a = 1 << (EI__PRECISION_BITS - 1);
        for (int32_t j = 0; j < yn; j++)
            a += rows[j][i] * k[j];
        acc[i] = a;
    }
}

/* AVX2 when the CPU has it, unless EI_IMAGE_NO_SIMD is set (to test the portable loops). Every
 * thread computes the same value, so racing first calls are harmless. */
static bool use_avx2(void)
{
    static _Atomic int have = -1;
    int h = atomic_load_explicit(&have, memory_order_relaxed);
    if (h < 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("avx2") && getenv("EI_IMAGE_NO_SIMD") == NULL ? 1 : 0;
        atomic_store_explicit(&have, h, memory_order_relaxed);
    }
    return h == 1;
}
#endif

void ei__hpass_row(const uint8_t *src, uint8_t *dst, const struct ei__coeffs *c, int32_t x0,
                   int32_t n)
{
#ifdef EI__HAVE_AVX2_KERNEL
    if (use_avx2()) {
        hpass_avx2(src, dst, c, x0, n);
        return;
    }
#endif
    hpass_c(src, dst, c, x0, n);
}

void ei__vpass_row(const uint8_t *const *rows, const int32_t *k, int32_t yn, int32_t *acc, int n3)
{
#ifdef EI__HAVE_AVX2_KERNEL
    if (use_avx2()) {
        vpass_avx2(rows, k, yn, acc, n3);
        return;
    }
#endif
    vpass_c(rows, k, yn, acc, n3);
}
