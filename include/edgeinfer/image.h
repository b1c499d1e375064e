/* SPDX-License-Identifier: MIT */
/*
 * Image preprocessing: decode JPEG, PNG and WebP into upright 8-bit RGB, then resize, crop or
 * letterbox, normalise and lay out the pixels straight into a model's input tensor.
 *
 * The geometry and rounding follow PIL (Image.resize, which torchvision's Resize uses) and
 * torchvision (Resize + CenterCrop), so a model trained with a torchvision pipeline sees the same
 * numbers. Resizing, cropping, normalisation and layout are fused: every output value is computed
 * once and written into batch slot `i` of the destination, with no intermediate float image.
 *
 *     ei_image_opts_t o;
 *     ei_image_opts_init(&o);                          // the "imagenet" preset
 *     ei_image_pipeline_t *p;
 *     ei_image_pipeline_create(&o, &p, &err);
 *     ei_image_pipeline_load(p, "cat.jpg", input, 0, NULL, &err);  // input: [N,3,224,224] float32
 *     ei_image_pipeline_destroy(p);
 *
 * This header is not for model heads (top-k, box decoding): see task.h. Thread-safety: an
 * ei_image_t may be read by several threads at once; an ei_image_pipeline_t holds scratch memory
 * and a coefficient cache and is used by one thread at a time (create one per thread).
 */
#ifndef EDGEINFER_IMAGE_H
#define EDGEINFER_IMAGE_H

#include "status.h"
#include "tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default limit on width * height of a decoded image (a guard against decompression bombs). */
#define EI_IMAGE_DEFAULT_MAX_PIXELS ((uint64_t)100000000)

/* Decoded images ----------------------------------------------------------------------------- */

/** A decoded, upright, 8-bit, 3-channel RGB image. Opaque; see the accessors below. */
typedef struct ei_image ei_image_t;

/** Options for decoding. Fill with ei_image_decode_opts_init(); fields are only ever added. */
typedef struct ei_image_decode_opts {
    /** Largest width * height accepted (checked before any pixel is decoded). 0 = the default. */
    uint64_t max_pixels;
    /** Apply the EXIF orientation tag (JPEG APP1, PNG eXIf, WebP EXIF). Default true. */
    bool apply_orientation;
    /**
     * JPEG only: when both are > 0, decode at the smallest DCT-domain scale (1/2, 1/4 or 1/8)
     * whose upright size is still at least min_width x min_height. 0 (default) = full size.
     */
    int32_t min_width;
    int32_t min_height;
} ei_image_decode_opts_t;

/** Sets the defaults: 100 MP limit, orientation applied, full-size decode. */
EI_API void ei_image_decode_opts_init(ei_image_decode_opts_t *o);

/**
 * Decodes an image file (JPEG, PNG or WebP, recognised by content, not by name). Grey, grey+alpha,
 * palette, 16-bit, CMYK and progressive inputs all become 8-bit RGB; alpha is dropped, as PIL's
 * convert("RGB") does; 16-bit samples keep their high byte (as PIL does for 16-bit colour; for
 * 16-bit grey PIL clips values above 255 instead). `opts` may be NULL for defaults.
 * Errors: EI_ENOENT (missing file), EI_EIO, EI_EFORMAT (truncated, corrupt or unsupported: the
 * message names the file and the problem), EI_ELIMIT (too many pixels), EI_ENOMEM. On success
 * `*out` is released with ei_image_destroy().
 */
EI_API EI_NODISCARD ei_code_t ei_image_load(const char *path, const ei_image_decode_opts_t *opts,
                                            ei_image_t **out, ei_error_t *err);

/**
 * Decodes an image held in memory (not copied, not kept). As ei_image_load(); messages name
 * "buffer" instead of a file.
 */
EI_API EI_NODISCARD ei_code_t ei_image_decode(const void *data, size_t size,
                                              const ei_image_decode_opts_t *opts, ei_image_t **out,
                                              ei_error_t *err);

/**
 * Creates an image from caller pixels: `channels` is 1 (grey), 3 (RGB) or 4 (RGBA, alpha
 * dropped); `stride` is bytes per row (0 = width * channels). The pixels are copied.
 */
EI_API EI_NODISCARD ei_code_t ei_image_from_pixels(const uint8_t *pixels, int32_t width,
                                                   int32_t height, int channels, size_t stride,
                                                   ei_image_t **out, ei_error_t *err);

/** Releases an image. NULL is a no-op. */
EI_API void ei_image_destroy(ei_image_t *img);

/** Width in pixels (after orientation and any DCT-domain scaling). */
EI_API int32_t ei_image_width(const ei_image_t *img);
/** Height in pixels. */
EI_API int32_t ei_image_height(const ei_image_t *img);
/** Bytes from one row to the next (at least 3 * width). */
EI_API size_t ei_image_stride(const ei_image_t *img);
/** The RGB pixels, row-major; valid as long as the image. */
EI_API const uint8_t *ei_image_pixels(const ei_image_t *img);
/**
 * Size of the stored image before DCT-domain scaling (upright). Equal to width/height when the
 * image was decoded at full size.
 */
EI_API int32_t ei_image_source_width(const ei_image_t *img);
/** See ei_image_source_width(). */
EI_API int32_t ei_image_source_height(const ei_image_t *img);

/* Preprocessing options ---------------------------------------------------------------------- */

/** Resampling filter. Bilinear, bicubic and area antialias when downscaling, like PIL. */
typedef enum ei_image_filter {
    EI_FILTER_NEAREST = 0,  /**< PIL NEAREST. */
    EI_FILTER_BILINEAR = 1, /**< PIL BILINEAR (triangle, support scaled by the downscale factor). */
    EI_FILTER_BICUBIC = 2,  /**< PIL BICUBIC (a = -0.5). */
    EI_FILTER_AREA = 3      /**< PIL BOX: the average of the covered source area. */
} ei_image_filter_t;

/** How the image is fitted into the output H x W. */
typedef enum ei_image_fit {
    /** Resize to exactly H x W, ignoring aspect. */
    EI_FIT_STRETCH = 0,
    /**
     * torchvision Resize(resize_shorter) + CenterCrop((H, W)): the shorter side becomes
     * `resize_shorter`, the longer int(resize_shorter * long / short), then the centre H x W is
     * kept (offsets int(round((size - crop) / 2)), Python rounding).
     */
    EI_FIT_SHORTER_CROP = 1,
    /**
     * YOLO letterbox: scale to fit inside H x W keeping aspect, centre it and fill the rest with
     * `pad_rgb`. ei_image_geom_t gives the scale and offsets to map boxes back.
     */
    EI_FIT_LETTERBOX = 2,
    /**
     * PaddleOCR resize_norm_img: height H, aspect kept, width min(W, ceil(H * w / h)), placed at
     * the left; the columns to its right get `pad_value` (a normalised value, not a pixel).
     */
    EI_FIT_PAD_RIGHT = 3
} ei_image_fit_t;

/** Memory layout of one batch slot. */
typedef enum ei_image_layout {
    EI_LAYOUT_NCHW = 0, /**< Planar: [N, C, H, W]. */
    EI_LAYOUT_NHWC = 1  /**< Interleaved: [N, H, W, C]. */
} ei_image_layout_t;

/** Channel order of the output. */
typedef enum ei_image_order { EI_ORDER_RGB = 0, EI_ORDER_BGR = 1 } ei_image_order_t;

/**
 * Preprocessing options. Fill with ei_image_opts_init() (the "imagenet" preset) or
 * ei_image_opts_preset(), then change fields. Fields are only ever added at the end.
 *
 * Each output value is `(pixel * scale - mean[c]) / std[c]` for FLOAT32 and FLOAT16 (computed in
 * float32, FLOAT16 rounded to nearest even); UINT8 output is the pixel itself (scale, mean and std
 * are ignored). The channel c is that of the output order (mean[0] is R's for RGB, B's for BGR).
 */
typedef struct ei_image_opts {
    int32_t width;            /**< Output W. */
    int32_t height;           /**< Output H. */
    ei_image_fit_t fit;       /**< Default EI_FIT_SHORTER_CROP. */
    int32_t resize_shorter;   /**< For EI_FIT_SHORTER_CROP; 0 = round(max(H, W) * 256 / 224). */
    ei_image_filter_t filter; /**< Default EI_FILTER_BILINEAR. */
    /**
     * Whether to widen the filter when downscaling (PIL, torchvision antialias=True: default
     * true). false gives OpenCV/torchvision antialias=False style sampling (PaddleOCR).
     */
    bool antialias;
    ei_image_order_t order;   /**< Default EI_ORDER_RGB. */
    ei_image_layout_t layout; /**< Default EI_LAYOUT_NCHW. */
    ei_dtype_t dtype;   /**< EI_DTYPE_FLOAT32 (default), EI_DTYPE_FLOAT16 or EI_DTYPE_UINT8. */
    float scale;        /**< Pixel multiplier before mean/std; default 1/255. */
    float mean[3];      /**< Per output channel; default ImageNet (0.485, 0.456, 0.406). */
    float std[3];       /**< Per output channel; default ImageNet (0.229, 0.224, 0.225). */
    uint8_t pad_rgb[3]; /**< EI_FIT_LETTERBOX fill colour, R G B; default 114 114 114. */
    float pad_value;    /**< EI_FIT_PAD_RIGHT fill (already normalised); default 0. */
    /**
     * Allow JPEG decoding at 1/2, 1/4 or 1/8 scale in the DCT domain, never below the size the
     * resize needs (times dct_oversample). Much faster on large photos but no longer identical
     * to PIL's full decode. Default false: the fidelity path, bit-exact with PIL.
     */
    bool dct_scaling;
    uint64_t max_pixels; /**< Decode limit; 0 = EI_IMAGE_DEFAULT_MAX_PIXELS. */
    /**
     * With dct_scaling: how many times larger than the resized image the DCT-scaled decode must
     * stay (>= 1). 1 lets the DCT do nearly all of the downscaling (fastest); 2 leaves at least
     * a 2x antialiased resize to the filter, which keeps textured photos much closer to PIL.
     * 0 = the default, 1.
     */
    float dct_oversample;
} ei_image_opts_t;

/** Fills `o` with the "imagenet" preset: 256 -> centre crop 224, ImageNet mean/std, NCHW float32
 * RGB. */
EI_API void ei_image_opts_init(ei_image_opts_t *o);

/**
 * Fills `o` with a named preset (all fields are overwritten):
 * - "imagenet": as ei_image_opts_init();
 * - "raw": the imagenet geometry, values 0..255 (scale 1, mean 0, std 1);
 * - "unit": the imagenet geometry, values 0..1 (scale 1/255, mean 0, std 1);
 * - "ppocr": PaddleOCR cls/rec, H 48, W 192, EI_FIT_PAD_RIGHT, bilinear without antialias, BGR,
 *   (x/255 - 0.5)/0.5, pad 0.
 * EI_ENOTFOUND for another name.
 */
EI_API EI_NODISCARD ei_code_t ei_image_opts_preset(ei_image_opts_t *o, const char *name,
                                                   ei_error_t *err);

/**
 * Takes H, W and the layout from a model input shape of rank 4 ([N,3,H,W] or [N,H,W,3]; N may be
 * dynamic). A dynamic H or W (<= 0) leaves that field as it was. EI_EINVAL when the shape has no
 * 3-channel axis at position 1 or 3.
 */
EI_API EI_NODISCARD ei_code_t ei_image_opts_from_shape(ei_image_opts_t *o, const int64_t *shape,
                                                       size_t rank, ei_error_t *err);

/* Pipelines ---------------------------------------------------------------------------------- */

/**
 * Where the output pixels came from: source (x, y) = ((out_x - offset_x) / scale_x,
 * (out_y - offset_y) / scale_y) in the coordinates of the stored, upright image (before any
 * DCT-domain scaling). For a centre crop the offsets are negative.
 */
typedef struct ei_image_geom {
    int32_t src_width; /**< Upright source size. */
    int32_t src_height;
    int32_t resized_width; /**< Size the content was resized to, in output pixels. */
    int32_t resized_height;
    double scale_x; /**< Output pixels per source pixel. */
    double scale_y;
    double offset_x; /**< Output position of the source's left edge. */
    double offset_y;
} ei_image_geom_t;

/**
 * A preprocessing plan: validated options, cached filter coefficient tables (per source size)
 * and scratch rows. One thread at a time.
 */
typedef struct ei_image_pipeline ei_image_pipeline_t;

/**
 * Validates `opts` (copied) and creates a pipeline. EI_EINVAL names the bad field. Release with
 * ei_image_pipeline_destroy().
 */
EI_API EI_NODISCARD ei_code_t ei_image_pipeline_create(const ei_image_opts_t *opts,
                                                       ei_image_pipeline_t **out, ei_error_t *err);

/** Releases a pipeline. NULL is a no-op. */
EI_API void ei_image_pipeline_destroy(ei_image_pipeline_t *p);

/** The options the pipeline was created with; valid as long as the pipeline. */
EI_API const ei_image_opts_t *ei_image_pipeline_opts(const ei_image_pipeline_t *p);

/** Bytes one batch slot takes: 3 * H * W * element size. */
EI_API size_t ei_image_pipeline_slot_bytes(const ei_image_pipeline_t *p);

/**
 * Resizes, crops, normalises and lays out `img` into batch slot `batch_index` of `dst`, which
 * holds `dst_size` bytes (EI_EINVAL if slot `batch_index` does not fit). Writes every byte of the
 * slot. `geom` may be NULL. EI_ELIMIT when a side of the resized image (before any crop) would
 * exceed 2^20, as a 1 x 60000 strip would for a centre crop.
 */
EI_API EI_NODISCARD ei_code_t ei_image_pipeline_run(ei_image_pipeline_t *p, const ei_image_t *img,
                                                    void *dst, size_t dst_size, size_t batch_index,
                                                    ei_image_geom_t *geom, ei_error_t *err);

/**
 * As ei_image_pipeline_run(), into a tensor of shape [N,3,H,W] (NCHW) or [N,H,W,3] (NHWC) and
 * the pipeline's dtype; EI_EINVAL on a mismatch (the message gives expected and actual shape).
 */
EI_API EI_NODISCARD ei_code_t ei_image_pipeline_run_tensor(ei_image_pipeline_t *p,
                                                           const ei_image_t *img, ei_tensor_t *t,
                                                           size_t batch_index,
                                                           ei_image_geom_t *geom, ei_error_t *err);

/**
 * Decodes a file and runs the pipeline into slot `batch_index` of tensor `t`, using DCT-domain
 * scaling if the options allow it. A JPEG is decoded only where the crop and the resize filter
 * read it (the values are the same as from a whole decode; rows below that are not decoded, so
 * damage confined to them goes unnoticed, though a cut file is still refused). Errors as
 * ei_image_load() and ei_image_pipeline_run_tensor().
 */
EI_API EI_NODISCARD ei_code_t ei_image_pipeline_load(ei_image_pipeline_t *p, const char *path,
                                                     ei_tensor_t *t, size_t batch_index,
                                                     ei_image_geom_t *geom, ei_error_t *err);

/** As ei_image_pipeline_load(), from an encoded image in memory (not kept). */
EI_API EI_NODISCARD ei_code_t ei_image_pipeline_decode(ei_image_pipeline_t *p, const void *data,
                                                       size_t size, ei_tensor_t *t,
                                                       size_t batch_index, ei_image_geom_t *geom,
                                                       ei_error_t *err);

/**
 * As ei_image_pipeline_load(), into raw memory: `dst` of `dst_size` bytes, slot `batch_index`.
 * `path` may be NULL when `data`/`size` give the encoded bytes.
 */
EI_API EI_NODISCARD ei_code_t ei_image_pipeline_load_raw(ei_image_pipeline_t *p, const char *path,
                                                         const void *data, size_t size, void *dst,
                                                         size_t dst_size, size_t batch_index,
                                                         ei_image_geom_t *geom, ei_error_t *err);

/**
 * Writes 8-bit RGB pixels (`stride` bytes per row; 0 = 3 * width) to a PNG file, created or
 * truncated. For pictures to look at (the CLI's `ocr --draw`). EI_EIO names the file.
 */
EI_API EI_NODISCARD ei_code_t ei_image_write_png(const char *path, const uint8_t *rgb,
                                                 int32_t width, int32_t height, size_t stride,
                                                 ei_error_t *err);

/** Name of a filter: "nearest", "bilinear", "bicubic", "area". */
EI_API const char *ei_image_filter_name(ei_image_filter_t f);

/** Parses a filter name; -1 when unknown. */
EI_API int ei_image_filter_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
