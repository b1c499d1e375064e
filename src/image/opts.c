/* SPDX-License-Identifier: MIT */
/*
 * Image preprocessing options: defaults, the named presets (imagenet, raw, unit, ppocr), taking
 * H, W and the layout from a model input shape, filter names, and validation. The pipeline that
 * uses them is in pipeline.c.
 */
#include "ei_util.h"
#include "image_internal.h"

#include <math.h>
#include <string.h>

static const char *const filter_names[] = {"nearest", "bilinear", "bicubic", "area"};

const char *ei_image_filter_name(ei_image_filter_t f)
{
    if ((int)f < 0 || (size_t)f >= sizeof(filter_names) / sizeof(filter_names[0]))
        return "unknown";
    return filter_names[f];
}

int ei_image_filter_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(filter_names) / sizeof(filter_names[0]); i++)
        if (strcmp(name, filter_names[i]) == 0)
            return (int)i;
    if (strcmp(name, "linear") == 0)
        return EI_FILTER_BILINEAR;
    if (strcmp(name, "cubic") == 0)
        return EI_FILTER_BICUBIC;
    if (strcmp(name, "box") == 0)
        return EI_FILTER_AREA;
    return -1;
}

void ei_image_opts_init(ei_image_opts_t *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof(*o));
    o->width = 224;
    o->height = 224;
    o->fit = EI_FIT_SHORTER_CROP;
    o->resize_shorter = 256;
    o->filter = EI_FILTER_BILINEAR;
    o->antialias = true;
    o->order = EI_ORDER_RGB;
    o->layout = EI_LAYOUT_NCHW;
    o->dtype = EI_DTYPE_FLOAT32;
    o->scale = 1.0f / 255.0f;
    o->mean[0] = 0.485f;
    o->mean[1] = 0.456f;
    o->mean[2] = 0.406f;
    o->std[0] = 0.229f;
    o->std[1] = 0.224f;
    o->std[2] = 0.225f;
    o->pad_rgb[0] = o->pad_rgb[1] = o->pad_rgb[2] = 114;
    o->pad_value = 0.0f;
    o->dct_scaling = false;
    o->max_pixels = EI_IMAGE_DEFAULT_MAX_PIXELS;
    o->dct_oversample = 1.0f;
}

ei_code_t ei_image_opts_preset(ei_image_opts_t *o, const char *name, ei_error_t *err)
{
    if (o == NULL || name == NULL)
        return ei__fail(err, EI_EINVAL, "image preset: NULL argument");
    ei_image_opts_t t;
    ei_image_opts_init(&t);
    if (strcmp(name, "imagenet") == 0) {
        /* the defaults */
    } else if (strcmp(name, "raw") == 0 || strcmp(name, "unit") == 0) {
        t.scale = name[0] == 'r' ? 1.0f : 1.0f / 255.0f;
        for (int c = 0; c < 3; c++) {
            t.mean[c] = 0.0f;
            t.std[c] = 1.0f;
        }
    } else if (strcmp(name, "ppocr") == 0) {
        t.width = 192;
        t.height = 48;
        t.fit = EI_FIT_PAD_RIGHT;
        t.resize_shorter = 0;
        t.antialias = false;
        t.order = EI_ORDER_BGR;
        for (int c = 0; c < 3; c++) {
            t.mean[c] = 0.5f;
            t.std[c] = 0.5f;
        }
        t.pad_value = 0.0f;
    } else {
        return ei__fail(err, EI_ENOTFOUND, "image preset '%s' unknown (imagenet, raw, unit, ppocr)",
                        name);
    }
    *o = t;
    return EI_OK;
}

ei_code_t ei_image_opts_from_shape(ei_image_opts_t *o, const int64_t *shape, size_t rank,
                                   ei_error_t *err)
{
    if (o == NULL || shape == NULL)
        return ei__fail(err, EI_EINVAL, "image shape: NULL argument");
    if (rank != 4)
        return ei__fail(err, EI_EINVAL,
                        "image input: expected rank 4 ([N,3,H,W] or [N,H,W,3]), "
                        "got rank %zu",
                        rank);
    int64_t h, w;
    if (shape[1] == 3) {
        o->layout = EI_LAYOUT_NCHW;
        h = shape[2];
        w = shape[3];
    } else if (shape[3] == 3) {
        o->layout = EI_LAYOUT_NHWC;
        h = shape[1];
        w = shape[2];
    } else {
        char buf[128];
        return ei__fail(err, EI_EINVAL, "image input: expected [N,3,H,W] or [N,H,W,3], got %s",
                        ei_shape_format(shape, rank, buf, sizeof(buf)));
    }
    if (h > 65535 || w > 65535)
        return ei__fail(err, EI_EINVAL, "image input: H x W %lldx%lld too large", (long long)h,
                        (long long)w);
    if (h > 0)
        o->height = (int32_t)h;
    if (w > 0)
        o->width = (int32_t)w;
    return EI_OK;
}

ei_code_t ei__image_opts_validate(const ei_image_opts_t *o, ei_error_t *err)
{
    if (o->width <= 0 || o->height <= 0 || o->width > 65535 || o->height > 65535)
        return ei__fail(err, EI_EINVAL, "image opts: output size %dx%d out of range (1..65535)",
                        (int)o->width, (int)o->height);
    if ((int)o->fit < 0 || (int)o->fit > EI_FIT_PAD_RIGHT)
        return ei__fail(err, EI_EINVAL, "image opts: unknown fit %d", (int)o->fit);
    if ((int)o->filter < 0 || (int)o->filter > EI_FILTER_AREA)
        return ei__fail(err, EI_EINVAL, "image opts: unknown filter %d", (int)o->filter);
    if ((int)o->layout < 0 || (int)o->layout > EI_LAYOUT_NHWC)
        return ei__fail(err, EI_EINVAL, "image opts: unknown layout %d", (int)o->layout);
    if ((int)o->order < 0 || (int)o->order > EI_ORDER_BGR)
        return ei__fail(err, EI_EINVAL, "image opts: unknown channel order %d", (int)o->order);
    if (o->dtype != EI_DTYPE_FLOAT32 && o->dtype != EI_DTYPE_FLOAT16 && o->dtype != EI_DTYPE_UINT8)
        return ei__fail(err, EI_EINVAL,
                        "image opts: dtype %s not supported (float32, float16, "
                        "uint8)",
                        ei_dtype_name(o->dtype));
    if (o->resize_shorter < 0 || o->resize_shorter > 65535)
        return ei__fail(err, EI_EINVAL, "image opts: resize_shorter %d out of range",
                        (int)o->resize_shorter);
    for (int c = 0; c < 3; c++)
        if (!(o->std[c] != 0.0f) || !isfinite(o->std[c]) || !isfinite(o->mean[c]))
            return ei__fail(err, EI_EINVAL, "image opts: std[%d] must be finite and non-zero", c);
    if (!isfinite(o->scale))
        return ei__fail(err, EI_EINVAL, "image opts: scale must be finite");
    if (!(o->dct_oversample >= 0.0f && o->dct_oversample <= 64.0f))
        return ei__fail(err, EI_EINVAL, "image opts: dct_oversample %g out of range (0..64)",
                        (double)o->dct_oversample);
    return EI_OK;
}
