/* SPDX-License-Identifier: MIT */
/*
 * Filter coefficient tables for separable resampling, computed the way PIL's Image.resize does
 * (and hence torchvision's Resize on PIL images), so that our fixed-point passes produce the same
 * 8-bit values. Not the passes themselves: those are fused with normalisation in pipeline.c.
 *
 * For each output sample i the filter is centred on the source position (i + 0.5) * scale, where
 * scale = in / out. When downscaling, the filter's support is widened by the scale (that is the
 * antialiasing), the window is [round(center - support), round(center + support)) clipped to the
 * image, weights are filter((j - center + 0.5) / filterscale) normalised to sum 1, and then
 * rounded to fixed point with EI__PRECISION_BITS fractional bits (away from zero, as PIL does).
 * Nearest sampling is expressed as a one-tap table so the same passes serve every filter.
 */
#include "ei_util.h"
#include "image_internal.h"

#include <math.h>
#include <string.h>

static double box_filter(double x)
{
    return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}

static double bilinear_filter(double x)
{
    if (x < 0.0)
        x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Keys' cubic with a = -0.5, as PIL's BICUBIC. */
static double bicubic_filter(double x)
{
    const double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0)
        return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

void ei__coeffs_dispose(struct ei__coeffs *c)
{
    if (c == NULL)
        return;
    ei__free(c->bounds);
    ei__free(c->k);
    ei__aligned_free(c->kp);
    memset(c, 0, sizeof(*c));
}

static ei_code_t alloc_table(struct ei__coeffs *c, int32_t out, int ksize, ei_error_t *err)
{
    size_t nk;
    if (ei__mul_overflow((size_t)out, (size_t)ksize, &nk))
        return ei__fail(err, EI_ELIMIT, "resize: filter table too large");
    c->bounds = ei__calloc((size_t)out * 2, sizeof(int32_t));
    c->k = ei__calloc(nk, sizeof(int32_t));
    if (c->bounds == NULL || c->k == NULL)
        return ei__fail(err, EI_ENOMEM, "resize: cannot allocate a filter table");
    c->ksize = ksize;
    return EI_OK;
}

/*
 * PIL's NEAREST goes through its affine transform: output i samples source
 * floor((i + 0.5) * in / out), clamped to the image.
 */
static ei_code_t build_nearest(struct ei__coeffs *c, int32_t in, int32_t out, ei_error_t *err)
{
    ei_code_t rc = alloc_table(c, out, 1, err);
    if (rc != EI_OK)
        return rc;
    double scale = (double)in / (double)out;
    for (int32_t i = 0; i < out; i++) {
        double v = ((double)i + 0.5) * scale;
        int32_t s = (int32_t)v;
        if (s >= in)
            s = in - 1;
        if (s < 0)
            s = 0;
        c->bounds[2 * i] = s;
        c->bounds[2 * i + 1] = 1;
        c->k[i] = 1 << EI__PRECISION_BITS;
    }
    return EI_OK;
}

ei_code_t ei__coeffs_build(struct ei__coeffs *c, int32_t in, int32_t out, ei_image_filter_t f,
                           bool antialias, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    double *w = NULL;
    memset(c, 0, sizeof(*c));
    c->in = in;
    c->out = out;
    c->filter = (int)f;
    c->antialias = antialias;
    if (in <= 0 || out <= 0)
        return ei__fail(err, EI_EINVAL, "resize: bad size %d -> %d", (int)in, (int)out);
    if (f == EI_FILTER_NEAREST) {
        rc = build_nearest(c, in, out, err);
        goto out;
    }
    /* Same size: PIL skips the pass; a one-tap identity table gives the same result. */
    if (in == out) {
        rc = alloc_table(c, out, 1, err);
        if (rc != EI_OK)
            goto out;
        for (int32_t i = 0; i < out; i++) {
            c->bounds[2 * i] = i;
            c->bounds[2 * i + 1] = 1;
            c->k[i] = 1 << EI__PRECISION_BITS;
        }
        goto out;
    }
    double (*filter)(double);
    double support;
    switch (f) {
    case EI_FILTER_AREA:
        filter = box_filter;
        support = 0.5;
        break;
    case EI_FILTER_BICUBIC:
        filter = bicubic_filter;
        support = 2.0;
        break;
    case EI_FILTER_BILINEAR:
    default:
        filter = bilinear_filter;
        support = 1.0;
        break;
    }
    double scale = (double)in / (double)out;
    double filterscale = scale;
    /* Without antialiasing the kernel keeps its size (OpenCV-style sampling) except for the box,
     * whose whole point is averaging. */
    if (filterscale < 1.0 || (!antialias && f != EI_FILTER_AREA))
        filterscale = 1.0;
    support *= filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    rc = alloc_table(c, out, ksize, err);
    if (rc != EI_OK)
        goto out;
    w = ei__malloc((size_t)ksize * sizeof(double));
    if (w == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "resize: out of memory");
        goto out;
    }
    for (int32_t i = 0; i < out; i++) {
        double center = ((double)i + 0.5) * scale;
        double ss = 1.0 / filterscale;
        double ww = 0.0;
        int32_t xmin = (int32_t)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int32_t xmax = (int32_t)(center + support + 0.5);
        if (xmax > in)
            xmax = in;
        xmax -= xmin;
        if (xmax > ksize)
            xmax = ksize;
        for (int32_t j = 0; j < xmax; j++) {
            double v = filter(((double)(j + xmin) - center + 0.5) * ss);
            w[j] = v;
            ww += v;
        }
        int32_t *k = c->k + (size_t)i * (size_t)ksize;
        for (int32_t j = 0; j < xmax; j++) {
            double v = ww != 0.0 ? w[j] / ww : w[j];
            double fx = v * (double)(1 << EI__PRECISION_BITS);
            k[j] = (int32_t)(v < 0.0 ? fx - 0.5 : fx + 0.5);
        }
        c->bounds[2 * i] = xmin;
        c->bounds[2 * i + 1] = xmax;
    }
out:
    ei__free(w);
    if (rc != EI_OK)
        ei__coeffs_dispose(c);
    return rc;
}
