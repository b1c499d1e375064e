/* SPDX-License-Identifier: MIT */
/*
 * Internals of the image layer shared by its files: the image struct, the decoder entry points
 * (one per format), EXIF orientation, and the PIL-compatible resampling kernels. Not a public
 * header: nothing outside src/image includes it (unit tests aside).
 */
#ifndef EI_IMAGE_INTERNAL_H
#define EI_IMAGE_INTERNAL_H

#include <edgeinfer/image.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decoded RGB image. The pixel buffer may be larger than needed so that a pipeline can reuse it
 * for the next image without reallocating. */
struct ei_image {
    uint8_t *px;
    size_t cap; /* bytes allocated at px */
    int32_t w, h;
    size_t stride;
    int32_t src_w, src_h; /* upright size before DCT-domain scaling */
};

/* Computes, for an upright source of w x h, the smallest size the decoder may scale down to. */
typedef void (*ei__need_fn)(void *ctx, int32_t w, int32_t h, int32_t *need_w, int32_t *need_h);

/*
 * Computes, for an image that will decode to an upright w x h (src_w x src_h before DCT-domain
 * scaling), the upright rectangle r = {x0, y0, x1, y1} (ends exclusive) of the pixels the caller
 * will read. Returns false for the whole image. Pixels outside r may be left undecoded.
 */
typedef bool (*ei__region_fn)(void *ctx, int32_t w, int32_t h, int32_t src_w, int32_t src_h,
                              int32_t r[4]);

/* What the caller wants from a decode. `need` and `region` may be NULL (full-size, whole image);
 * both get `need_ctx`. Only the JPEG decoder uses `region`. */
struct ei__decode_req {
    uint64_t max_pixels;
    bool orient;
    ei__need_fn need;
    void *need_ctx;
    ei__region_fn region;
};

/* Reusable decoder state (libjpeg decompressor, file buffer, scratch for the raw decode). */
struct ei__decoder {
    void *jpeg;    /* decode_jpeg.c's libjpeg state, created lazily */
    uint8_t *file; /* the last small file read */
    size_t file_cap;
    void *map; /* the last large file, mapped until ei__file_done() */
    size_t map_len;
    uint8_t *raw; /* the decoder's output before orientation or colour conversion */
    size_t raw_cap;
    /* After a decode: when has_valid, only the upright rectangle valid = {x0, y0, x1, y1} holds
     * decoded pixels (the caller's region); otherwise the whole image does. */
    int32_t valid[4];
    bool has_valid;
};

void ei__decoder_dispose(struct ei__decoder *d);

/* Frees decoder->jpeg (decode_jpeg.c). */
void ei__jpeg_state_destroy(void *state);

/* Reads (or maps) a whole file: *data and *size stay valid until ei__file_done() or the next
 * read. EI_ENOENT, EI_EIO, EI_EFORMAT (empty file). */
ei_code_t ei__read_file(struct ei__decoder *d, const char *path, const uint8_t **data, size_t *size,
                        ei_error_t *err);

/* Releases a mapping made by ei__read_file() (no-op otherwise). */
void ei__file_done(struct ei__decoder *d);

/* Decodes `data` into `img` (whose buffer is grown as needed). `name` is the file name, or
 * "buffer", used in messages. `d` may not be NULL. */
ei_code_t ei__image_decode_into(struct ei__decoder *d, const uint8_t *data, size_t size,
                                const char *name, const struct ei__decode_req *rq, ei_image_t *img,
                                ei_error_t *err);

/* Bytes allocated past the end of every pixel buffer, so vector loads may overrun a row. */
#define EI__PIXEL_SLACK 32

/* Makes sure *buf holds at least `n` bytes plus EI__PIXEL_SLACK (contents not kept). */
ei_code_t ei__grow_pixels(uint8_t **buf, size_t *cap, size_t n, ei_error_t *err);

/* Makes sure img->px holds at least `n` bytes (contents not kept). */
ei_code_t ei__image_reserve(ei_image_t *img, size_t n, ei_error_t *err);

/* Per-format decoders: fill `img` as stored (not yet upright) and return the EXIF orientation
 * they found (1 when none) in *orient; ei__image_decode_into() applies it. */
ei_code_t ei__decode_jpeg(struct ei__decoder *d, const uint8_t *data, size_t size, const char *name,
                          const struct ei__decode_req *rq, ei_image_t *img, int *orient,
                          ei_error_t *err);
ei_code_t ei__decode_png(struct ei__decoder *d, const uint8_t *data, size_t size, const char *name,
                         const struct ei__decode_req *rq, ei_image_t *img, int *orient,
                         ei_error_t *err);
ei_code_t ei__decode_webp(struct ei__decoder *d, const uint8_t *data, size_t size, const char *name,
                          const struct ei__decode_req *rq, ei_image_t *img, int *orient,
                          ei_error_t *err);

/* Reads the orientation tag (0x0112) from a TIFF-structured EXIF block (starting at "II" or
 * "MM"). Returns 1..8, or 1 when absent or malformed. */
int ei__exif_orientation(const uint8_t *tiff, size_t size);

/* Whether an orientation swaps width and height (5..8). */
static inline bool ei__orient_swaps(int o)
{
    return o >= 5 && o <= 8;
}

/* Writes the upright version of `src` (w x h, RGB, stride) into `dst` (its stride: dst_stride):
 * all of it, or only the upright rectangle `rect` = {x0, y0, x1, y1} when not NULL. */
void ei__orient_copy(const uint8_t *src, int32_t w, int32_t h, size_t stride, int orient,
                     uint8_t *dst, size_t dst_stride, const int32_t *rect);

/* Checks every field of `o`; EI_EINVAL names the bad one (opts.c). */
ei_code_t ei__image_opts_validate(const ei_image_opts_t *o, ei_error_t *err);

/* Resampling ---------------------------------------------------------------------------------- */

/* Fixed-point precision of the filter coefficients, as in PIL (32 - 8 bits of pixel - 2 spare). */
#define EI__PRECISION_BITS 22

/* Coefficient table for one axis: output i reads `bounds[2i+1]` inputs from `bounds[2i]`, with
 * weights k[i * ksize + j]. */
struct ei__coeffs {
    int32_t in, out;
    int filter;
    bool antialias;
    int ksize;
    int32_t *bounds;
    int32_t *k;
    /* The horizontal SIMD kernel's copy of k, split and laid out for 16-bit multiply-adds
     * (kernel.c); NULL when that kernel is not used. */
    int16_t *kp;
    int qstride; /* groups of 4 taps per output in kp */
};

/* Builds the table for resizing `in` samples to `out` (PIL's precompute_coeffs and its
 * fixed-point normalisation). */
ei_code_t ei__coeffs_build(struct ei__coeffs *c, int32_t in, int32_t out, ei_image_filter_t f,
                           bool antialias, ei_error_t *err);
void ei__coeffs_dispose(struct ei__coeffs *c);

/* Horizontal pass: output pixels x0 .. x0+n-1 of table `c` from one source row into `dst`
 * (n RGB pixels), rounded and clipped to 8 bits (kernel.c). */
void ei__hpass_row(const uint8_t *src, uint8_t *dst, const struct ei__coeffs *c, int32_t x0,
                   int32_t n);

/* Prepares table `c` for ei__hpass_row() when a SIMD kernel will use it (a no-op otherwise). */
ei_code_t ei__coeffs_pack(struct ei__coeffs *c, ei_error_t *err);

/* Vertical pass: acc[i] = round + sum_j rows[j][i] * k[j] for i < n3 (kernel.c). */
void ei__vpass_row(const uint8_t *const *rows, const int32_t *k, int32_t yn, int32_t *acc, int n3);

#endif
