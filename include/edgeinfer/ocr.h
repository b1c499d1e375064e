/* SPDX-License-Identifier: MIT */
/*
 * OCR: text lines (polygon, text, score) from an image, with PaddleOCR's three models (PP-OCR
 * text detection, text-line orientation, text recognition) and PaddleOCR's reference pipeline:
 *
 *     ei_ocr_opts_t o;
 *     ei_ocr_opts_init(&o);
 *     o.models_dir = ".deps/models/ppocr";          // det.onnx cls.onnx rec.onnx keys.txt
 *     ei_ocr_t *ocr;
 *     ei_ocr_create(&o, &ocr, &err);
 *     ei_ocr_result_t r;
 *     ei_ocr_run_file(ocr, "page.png", &r, &err);
 *     for (size_t i = 0; i < r.n_lines; i++)
 *         printf("%s\n", r.lines[i].text);
 *     ei_ocr_result_dispose(&r);
 *     ei_ocr_destroy(ocr);
 *
 * The steps, with PaddleOCR's defaults (tools/infer: predict_det, predict_cls, predict_rec,
 * predict_system), each adjustable in ei_ocr_opts_t:
 * - detection: the image is resized so that its longer side is at most 960 (and, for small
 *   images, the shorter at least 64, as PaddleOCR 3) and both sides are multiples of 32 (bilinear,
 * no antialias, as cv2.resize), normalised as PaddleOCR does (BGR, x/255, ImageNet mean/std); the
 * probability map is binarised at 0.3; each 8-connected region gives its minimum-area rectangle,
 * scored by the mean probability inside it (dropped below 0.6), grown by the unclip ratio 1.5,
 * dropped when its shorter side is under 5 map pixels, scaled to the image, clipped, and ordered
 * top to bottom (boxes whose tops differ by less than 10 pixels left to right);
 * - each box, with some context added around it (crop_margin; PaddleOCR adds none), is cut out
 *   with a perspective warp (bicubic) into an upright strip, turned 90 degrees when it is at
 *   least 1.5 times taller than wide;
 * - orientation: strips at 48 x 192 through the classifier; a strip whose "180" score exceeds 0.9
 *   is turned over; when most lines of a page are, the page is upside down and all its lines
 *   are turned over and read in the turned page's order;
 * - recognition: strips sorted by aspect ratio at height 48, each at its own width (rounded up
 *   to a multiple of 16; PaddleOCR pads a batch of 6 to its widest member and to at least 320,
 *   which costs time and reads no better, see docs/ocr.md), up to 6 strips of nearly the same
 *   width per run; CTC greedy decoding (repeats merged, blank index 0) over keys.txt, with the
 *   space as the last class; the score is the mean probability of the kept characters; lines
 *   scoring under 0.5 are dropped.
 *
 * The building blocks (detection input and boxes, crops, strip batches, CTC decoding, the
 * dictionary) are public too, so a server can run each stage through its own scheduler.
 *
 * Thread-safety: ei_ocr_run*() may be called from several threads at once on one ei_ocr_t (the
 * sessions are shared; every run has its own buffers). An ei_ocr_keys_t may be read by many
 * threads. The free functions are reentrant.
 */
#ifndef EDGEINFER_OCR_H
#define EDGEINFER_OCR_H

#include "image.h"
#include "session.h"
#include "status.h"
#include "tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Options. Fill with ei_ocr_opts_init(); fields are only ever added at the end. */
typedef struct ei_ocr_opts {
    /** Folder with det.onnx, cls.onnx, rec.onnx and keys.txt; each may be overridden below. */
    const char *models_dir;
    const char *det_path;  /**< Detection model; NULL = models_dir/det.onnx. */
    const char *cls_path;  /**< Orientation model; NULL = models_dir/cls.onnx. */
    const char *rec_path;  /**< Recognition model; NULL = models_dir/rec.onnx. */
    const char *keys_path; /**< Dictionary, one character per line; NULL = models_dir/keys.txt. */
    /** Session options for the three models; NULL = defaults. */
    const ei_session_opts_t *session;
    /** Classify orientation and turn 180-degree lines over. Default true. */
    bool use_angle;
    /** Longer side of the detection input at most this (rounded to a multiple of 32). 960. */
    int32_t det_limit_side;
    float det_thresh;      /**< Probability-map binarisation threshold. 0.3. */
    float box_thresh;      /**< Boxes whose mean probability is below this are dropped. 0.6. */
    float unclip_ratio;    /**< Box growth (PaddleOCR's unclip_ratio). 1.5. */
    size_t max_candidates; /**< Regions considered per image. 1000. */
    float cls_thresh;      /**< A "180" score above this turns a line over. 0.9. */
    float drop_score;      /**< Lines whose recognition score is below this are dropped. 0.5. */
    size_t cls_batch;      /**< Strips per orientation run. 6. */
    size_t rec_batch;      /**< At most this many strips per recognition run. 6. */
    uint64_t max_pixels;   /**< Decode limit; 0 = EI_IMAGE_DEFAULT_MAX_PIXELS. */
    /**
     * Context added around each box before it is cut out for orientation and recognition, as a
     * fraction of the box's height: `crop_margin` above and below, `crop_margin_x` at each end.
     * Not PaddleOCR's (0, 0): its boxes hug the letters, and the recogniser then merges words
     * ("Totaldue:" for "Total due:"); with 0.4 above and below it keeps the spaces (see
     * docs/ocr.md for the measurements). The boxes reported are not changed. 0.4, 0.15.
     */
    float crop_margin;
    float crop_margin_x;
    /**
     * Images whose shorter side is under this are enlarged for detection until it is (never
     * past det_limit_side): PaddleOCR 3's limit_type "min" of 64. PaddleOCR 2 rounds a 44-pixel
     * text line down to a 32-pixel input instead, and the squashed line's box is too thin to
     * read well. 0 = off. 64.
     */
    int32_t det_min_side;
} ei_ocr_opts_t;

/** Sets the defaults listed with each field (no paths). */
EI_API void ei_ocr_opts_init(ei_ocr_opts_t *o);

/**
 * Sets one option by PaddleOCR's name from text: det_db_thresh, det_db_box_thresh, cls_thresh,
 * drop_score (0..1), det_db_unclip_ratio (0..10), det_limit_side_len (32..8192). EI_EINVAL naming
 * the option and its range for a bad value; EI_ENOTFOUND for a name that is not one of these.
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_opts_set(ei_ocr_opts_t *o, const char *key, const char *value,
                                              ei_error_t *err);

/** One recognised line. */
typedef struct ei_ocr_line {
    /** Corners in source-image pixels: top-left, top-right, bottom-right, bottom-left (x, y). */
    float box[8];
    char *text;        /**< UTF-8, NUL-terminated; owned by the result. */
    float score;       /**< Mean probability of the decoded characters (0 for an empty line). */
    float box_score;   /**< Mean detection probability inside the box before unclip. */
    int angle;         /**< 0, or 180 when the orientation model turned the line over. */
    float angle_score; /**< The orientation model's score for `angle` (0 without it). */
} ei_ocr_line_t;

/** Where the time went, in nanoseconds. Fields are only ever added at the end. */
typedef struct ei_ocr_timings {
    uint64_t decode;    /**< Decoding the image file or bytes. */
    uint64_t det_pre;   /**< Resize + normalise into the detection input. */
    uint64_t det_infer; /**< The detection model. */
    uint64_t det_post;  /**< Regions, rectangles, scores, unclip, order. */
    uint64_t crop;      /**< Perspective crops. */
    uint64_t cls;       /**< Orientation: preprocessing, model and turning lines over. */
    uint64_t rec_pre;   /**< Strip batches for recognition. */
    uint64_t rec_infer; /**< The recognition model. */
    uint64_t rec_post;  /**< CTC decoding. */
    uint64_t total;     /**< The whole call. */
    uint64_t cls_infer; /**< The orientation model (part of `cls`). */
} ei_ocr_timings_t;

/** The result for one image. Release with ei_ocr_result_dispose(); zeroed results may be too. */
typedef struct ei_ocr_result {
    ei_ocr_line_t *lines; /**< In reading order. */
    size_t n_lines;
    int32_t width; /**< Upright image size. */
    int32_t height;
    ei_ocr_timings_t timings;
} ei_ocr_result_t;

/** Releases what `r` holds and zeroes it. NULL is a no-op. */
EI_API void ei_ocr_result_dispose(ei_ocr_result_t *r);

/** Releases a string the library returned. NULL is a no-op. */
EI_API void ei_free_string(char *s);

/* The pipeline --------------------------------------------------------------------------------- */

/** Three sessions, a dictionary and the options. Runs may overlap (see the top). */
typedef struct ei_ocr ei_ocr_t;

/**
 * Loads the three models and the dictionary and checks that they fit together: detection
 * [N,3,H,W] -> [N,1,H,W]; classification [N,3,48,W] -> [N,2]; recognition [N,3,48,W] ->
 * [N,T,C] with C = dictionary size + 2 (blank and space). A mismatch is EI_EMODEL naming the
 * model, the shape found and the shape expected. Release with ei_ocr_destroy().
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_create(const ei_ocr_opts_t *opts, ei_ocr_t **out,
                                            ei_error_t *err);

/** Releases the pipeline. NULL is a no-op. */
EI_API void ei_ocr_destroy(ei_ocr_t *ocr);

/**
 * Reads the text of a decoded image into `r` (caller-allocated; overwritten). An image without
 * text gives zero lines. On failure `r` holds nothing.
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_run(const ei_ocr_t *ocr, const ei_image_t *img,
                                         ei_ocr_result_t *r, ei_error_t *err);

/** As ei_ocr_run() on an image file (JPEG, PNG, WebP; EXIF orientation applied). */
EI_API EI_NODISCARD ei_code_t ei_ocr_run_file(const ei_ocr_t *ocr, const char *path,
                                              ei_ocr_result_t *r, ei_error_t *err);

/** As ei_ocr_run() on an encoded image in memory (not kept). */
EI_API EI_NODISCARD ei_code_t ei_ocr_run_bytes(const ei_ocr_t *ocr, const void *data, size_t size,
                                               ei_ocr_result_t *r, ei_error_t *err);

/** The options in effect (paths are NULL); valid as long as the pipeline. */
EI_API const ei_ocr_opts_t *ei_ocr_options(const ei_ocr_t *ocr);

/* Building blocks --------------------------------------------------------------------------------
 */

/** A recognition dictionary: class 0 is the CTC blank, 1..n the file's lines, n + 1 the space. */
typedef struct ei_ocr_keys ei_ocr_keys_t;

/**
 * Reads a dictionary: one character (UTF-8) per line, as PaddleOCR reads it (only the line end,
 * LF or CRLF, is removed, so a line holding a space is the space). EI_EFORMAT for an empty file
 * or a NUL byte; EI_ENOENT, EI_EIO.
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_keys_load(const char *path, ei_ocr_keys_t **out,
                                               ei_error_t *err);
/** As ei_ocr_keys_load() from memory (`what` names the source in messages). */
EI_API EI_NODISCARD ei_code_t ei_ocr_keys_parse(const char *text, size_t len, const char *what,
                                                ei_ocr_keys_t **out, ei_error_t *err);
EI_API void ei_ocr_keys_destroy(ei_ocr_keys_t *k);
/** Number of classes the recognition model must have: lines + 2 (blank, space). */
EI_API size_t ei_ocr_keys_classes(const ei_ocr_keys_t *k);

/** A detected text box, corners as ei_ocr_line_t.box. */
typedef struct ei_ocr_box {
    float pts[8];
    float score;
} ei_ocr_box_t;

/**
 * Creates the detection input for `img`: [1,3,H,W] float32 with H, W the image's size scaled so
 * the longer side is at most `opts->det_limit_side`, each rounded to a multiple of 32 (at least
 * 32). Release with ei_tensor_destroy().
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_det_input(const ei_ocr_opts_t *opts, const ei_image_t *img,
                                               ei_tensor_t **out, ei_error_t *err);

/**
 * Turns slot `index` of the detection output `prob` ([N,1,H,W] float32) into boxes in the
 * coordinates of a `src_w` x `src_h` image, in reading order. Release `*boxes` with
 * ei_ocr_boxes_free(); it may be NULL when *n is 0. EI_EMODEL when `prob` is not [N,1,H,W] float32.
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_det_boxes(const ei_ocr_opts_t *opts, const ei_tensor_t *prob,
                                               size_t index, int32_t src_w, int32_t src_h,
                                               ei_ocr_box_t **boxes, size_t *n, ei_error_t *err);
EI_API void ei_ocr_boxes_free(ei_ocr_box_t *boxes);

/**
 * Cuts `box` out of `img` as an upright strip (perspective warp, bicubic, border replicated;
 * turned 90 degrees counter-clockwise when at least 1.5 times taller than wide), with `margin_y`
 * times the box's height added above and below and `margin_x` times it at each end (0 and 0 =
 * PaddleOCR's get_rotate_crop_image). EI_EINVAL for a degenerate box.
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_crop(const ei_image_t *img, const float box[8], float margin_y,
                                          float margin_x, ei_image_t **out, ei_error_t *err);

/** A copy of `img` turned by 180 degrees. */
EI_API EI_NODISCARD ei_code_t ei_ocr_rotate180(const ei_image_t *img, ei_image_t **out,
                                               ei_error_t *err);

/**
 * The width PaddleOCR gives a recognition batch of these strips at height `height`:
 * int(height * max(320 / 48, the strips' width / height)).
 */
EI_API int32_t ei_ocr_rec_width(const ei_image_t *const *strips, size_t n, int32_t height);

/**
 * Fills a [n,3,height,width] float32 tensor with the strips, each resized to `height` keeping
 * its aspect (at most `width` wide), BGR, (x/255 - 0.5)/0.5, zero on the right (PaddleOCR's
 * resize_norm_img for the classifier and the recogniser).
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_strips_input(const ei_image_t *const *strips, size_t n,
                                                  int32_t height, int32_t width, ei_tensor_t **out,
                                                  ei_error_t *err);

/**
 * Reading order of `n` lines in detection order (as ei_ocr_det_boxes() gives them) into
 * `order`: the same order, unless most lines have angle 180, in which case the page is upside down
 * and the order is that of the page turned by 180 degrees.
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_line_order(const ei_ocr_line_t *lines, size_t n, int32_t width,
                                                int32_t height, size_t *order, ei_error_t *err);

/**
 * CTC greedy decoding of row `index` of `probs` ([N,T,C] float32, C = ei_ocr_keys_classes()):
 * the best class per step, repeats merged, blanks dropped; `*score` is the mean probability of
 * the kept steps (0 when none). `*text` is released with ei_free_string().
 */
EI_API EI_NODISCARD ei_code_t ei_ocr_ctc_decode(const ei_ocr_keys_t *keys, const ei_tensor_t *probs,
                                                size_t index, char **text, float *score,
                                                ei_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
