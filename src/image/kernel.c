/* SPDX-License-Identifier: MIT */
/*
 * The two inner loops of the resize, in portable C and in AVX2 (picked at run time on x86-64):
 * the horizontal pass over one row of interleaved RGB and the vertical accumulation of one output
 * row. Both use PIL's fixed-point arithmetic (int32, EI__PRECISION_BITS fractional bits), so every
 * variant gives bit-identical results. Geometry, clipping of the final row and normalisation are
 * in pipeline.c.
 *
 * Reads may run up to 16 bytes past the last tap of a row and the horizontal pass stores one byte
 * past its last pixel (vector loads and stores; EI__PIXEL_SLACK is more than that): every pixel
 * buffer of the layer is allocated with that slack.
 */
#include "ei_util.h"
#include "image_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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
 * Horizontal pass with 16-bit multiply-adds, four taps per step. Each coefficient is split as
 * k = kh * 2048 + kl with 0 <= kl < 2048, so both halves fit in int16 and
 * sum(p * k) = 2048 * sum(p * kh) + sum(p * kl) exactly in int32: the same integers as the
 * scalar loop, hence the same output bytes. Per group of four taps, the 16 source bytes are
 * shuffled into (r_j r_j+1 g_j g_j+1 b_j b_j+1 0 0 | the same for j+2, j+3) as int16 and
 * multiply-added against the matching (kl, kl') and (kh, kh') pairs laid out by
 * ei__coeffs_pack(); padding taps have zero coefficients.
 */
#define KP_MAX_TAPS 512

__attribute__((target("avx2"))) static void
hpass_avx2(const uint8_t *src, uint8_t *dst, const struct ei__coeffs *c, int32_t x0, int32_t n)
{
    const __m256i spread =
        _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1, 6, -1, 9, -1, 7,
                         -1, 10, -1, 8, -1, 11, -1, -1, -1, -1, -1);
    const __m128i round = _mm_set1_epi32(1 << (EI__PRECISION_BITS - 1));
    const int qs = c->qstride;
    for (int32_t x = 0; x < n; x++) {
        int32_t ox = x0 + x;
        int32_t xmin = c->bounds[2 * ox], xn = c->bounds[2 * ox + 1];
        const __m256i *kp = (const __m256i *)(const void *)(c->kp + (size_t)ox * (size_t)qs * 32);
        const uint8_t *s = src + (size_t)xmin * 3;
        __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
        for (int32_t j = 0, q = 0; j < xn; j += 4, q++) {
            __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)(s + 3 * j));
            __m256i px = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(raw), spread);
            lo = _mm256_add_epi32(lo, _mm256_madd_epi16(px, _mm256_load_si256(kp + 2 * q)));
            hi = _mm256_add_epi32(hi, _mm256_madd_epi16(px, _mm256_load_si256(kp + 2 * q + 1)));
        }
        __m256i sum = _mm256_add_epi32(_mm256_slli_epi32(hi, 11), lo);
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        s4 = _mm_srai_epi32(_mm_add_epi32(s4, round), EI__PRECISION_BITS);
        /* Saturating packs clip to 0..255 exactly as clip8() does. The 4-byte store writes one
         * byte past this pixel: the next pixel's, or the buffer's slack after the last one. */
        __m128i w16 = _mm_packs_epi32(s4, s4);
        __m128i b = _mm_packus_epi16(w16, w16);
        int32_t v = _mm_cvtsi128_si32(b);
        memcpy(dst + 3 * x, &v, 4);
    }
}

/* Vertical accumulation, 16 values per step (two 8-lane int32 vectors). */
__attribute__((target("avx2"))) static void vpass_avx2(const uint8_t *const *rows, const int32_t *k,
                                                       int32_t yn, int32_t *acc, int n3)
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

ei_code_t ei__coeffs_pack(struct ei__coeffs *c, ei_error_t *err)
{
#ifdef EI__HAVE_AVX2_KERNEL
    if (!use_avx2() || c->ksize > KP_MAX_TAPS || c->kp != NULL)
        return EI_OK;
    int qs = (c->ksize + 3) / 4;
    size_t n = (size_t)c->out * (size_t)qs * 32;
    int16_t *kp = ei__aligned_alloc(32, n * sizeof(int16_t));
    if (kp == NULL)
        return ei__fail(err, EI_ENOMEM, "resize: cannot allocate a filter table");
    memset(kp, 0, n * sizeof(int16_t));
    for (int32_t o = 0; o < c->out; o++) {
        const int32_t *k = c->k + (size_t)o * (size_t)c->ksize;
        int32_t xn = c->bounds[2 * o + 1];
        for (int32_t j = 0; j < xn; j++) {
            int32_t kl = k[j] & 2047;
            int32_t kh = (k[j] - kl) / 2048;
            /* Group j / 4, half (j % 4) / 2 of the 256-bit vector, slot j % 2 of each pair. */
            int16_t *g = kp + ((size_t)o * (size_t)qs + (size_t)(j / 4)) * 32;
            int base = ((j % 4) / 2) * 8 + (j % 2);
            for (int ch = 0; ch < 3; ch++) {
                g[base + 2 * ch] = (int16_t)kl;
                g[16 + base + 2 * ch] = (int16_t)kh;
            }
        }
    }
    c->kp = kp;
    c->qstride = qs;
#else
    (void)c;
    (void)err;
#endif
    return EI_OK;
}

void ei__hpass_row(const uint8_t *src, uint8_t *dst, const struct ei__coeffs *c, int32_t x0,
                   int32_t n)
{
#ifdef EI__HAVE_AVX2_KERNEL
    if (c->kp != NULL) {
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
