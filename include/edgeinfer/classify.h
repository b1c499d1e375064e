/* SPDX-License-Identifier: MIT */
/*
 * Image classification: the head that turns a model's output row into the top-k (index, score,
 * label), and a classifier object that ties a session, an image pipeline and a label list.
 *
 *     ei_classifier_opts_t o;
 *     ei_classifier_opts_init(&o);                 // "imagenet" preset, top 5, softmax if needed
 *     o.labels_path = "imagenet_labels.txt";
 *     ei_classifier_t *c;
 *     ei_classifier_create("resnet50.onnx", &o, &c, &err);
 *     ei_image_t *img;                             // from ei_image_load()
 *     ei_classify_result_t r;
 *     ei_classifier_run(c, (const ei_image_t *const *)&img, 1, &r, &err);
 *     printf("%s %.3f\n", r.top[0].label, r.top[0].score);
 *     ei_classify_result_dispose(&r);
 *     ei_classifier_destroy(c);
 *
 * The building blocks (softmax, distribution check, top-k, label lists) are usable on their own.
 * Not for detection or OCR heads. Thread-safety: the free functions are reentrant; an
 * ei_labels_t may be read by many threads at once; an ei_classifier_t is used by one thread at a
 * time (it holds an image pipeline and an input buffer), although several classifiers may share
 * one session.
 */
#ifndef EDGEINFER_CLASSIFY_H
#define EDGEINFER_CLASSIFY_H

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

/* Scores ------------------------------------------------------------------------------------- */

/**
 * Softmax of `n` values from `in` into `out` (may be the same array). Numerically stable: the
 * maximum is subtracted before exp(), the exponentials are computed in float and summed in double.
 * A NaN anywhere makes every output NaN. n == 0 is a no-op.
 */
EI_API void ei_softmax(const float *in, float *out, size_t n);

/**
 * Whether `n` values already form a probability distribution: every value in [0, 1] and the sum
 * within `tol` of 1 (ei_classifier_t uses 1e-3). False for n == 0 or any NaN.
 */
EI_API bool ei_is_distribution(const float *x, size_t n, double tol);

/**
 * Indices of the `k` largest of `n` scores, best first, into `idx` (room for k). Ties keep the
 * lower index first; NaN ranks below every number. Returns min(k, n). Partial selection: O(n k)
 * for small k, O(n log n) otherwise; no allocation for k <= 64.
 */
EI_API size_t ei_topk(const float *scores, size_t n, size_t k, size_t *idx);

/* Labels ------------------------------------------------------------------------------------- */

/** A list of class labels, index i = class i. Opaque; read-only after creation. */
typedef struct ei_labels ei_labels_t;

/**
 * Reads labels from a text file, one per line (UTF-8). A trailing CR (Windows line end) and a
 * leading UTF-8 byte-order mark are stripped. Empty lines are kept as empty labels so that line i
 * is always class i (ei_labels_get() returns "" for them; the CLI prints the index instead); a
 * final line end does not start another label. Errors: EI_ENOENT, EI_EIO, EI_EFORMAT (a NUL byte or
 * no label at all: the message names the file and line). Release with ei_labels_destroy().
 */
EI_API EI_NODISCARD ei_code_t ei_labels_load(const char *path, ei_labels_t **out, ei_error_t *err);

/**
 * Parses labels held in memory (`len` bytes, need not be NUL-terminated). Accepted forms, tried in
 * this order after leading blanks:
 * - a JSON or Python list of strings: `["cat", "dog"]`, `['cat', 'dog']`;
 * - a JSON object or Python dict from index to label (Ultralytics writes `{0: 'cat', 1: 'dog'}`;
 *   keys may also be quoted, `{"0": "cat"}`); indices that are missing become empty labels;
 * - newline-separated labels, as ei_labels_load();
 * - comma-separated labels (when there is no line break), blanks around each trimmed.
 * `what` names the source in messages ("metadata 'names'"). EI_EFORMAT on a malformed list or dict.
 */
EI_API EI_NODISCARD ei_code_t ei_labels_parse(const char *text, size_t len, const char *what,
                                              ei_labels_t **out, ei_error_t *err);

/**
 * Labels from a model's custom metadata: the first of the keys `labels`, `classes`, `names`
 * present, parsed with ei_labels_parse(). EI_ENOTFOUND when none of the keys exists.
 */
EI_API EI_NODISCARD ei_code_t ei_labels_from_metadata(const ei_session_t *s, ei_labels_t **out,
                                                      ei_error_t *err);

/** Releases a label list. NULL is a no-op. */
EI_API void ei_labels_destroy(ei_labels_t *l);

/** Number of labels. 0 for NULL. */
EI_API size_t ei_labels_count(const ei_labels_t *l);

/** Label `i`, NUL-terminated, valid as long as the list; NULL when `i` is out of range or l is
 * NULL. */
EI_API const char *ei_labels_get(const ei_labels_t *l, size_t i);

/* Classifier --------------------------------------------------------------------------------- */

/** When to apply softmax to the model output. */
typedef enum ei_softmax_mode {
    /** Apply it unless the row is already a distribution (ei_is_distribution(), tol 1e-3). */
    EI_SOFTMAX_AUTO = 0,
    /** Always apply it. */
    EI_SOFTMAX_ALWAYS = 1,
    /** Never: scores are the raw outputs (--no-softmax). */
    EI_SOFTMAX_NEVER = 2
} ei_softmax_mode_t;

/**
 * Classifier options. Fill with ei_classifier_opts_init(); fields are only ever added at the end.
 * Strings are copied by ei_classifier_create*() and need not outlive the call.
 */
typedef struct ei_classifier_opts {
    /** Image preset (see ei_image_opts_preset()); NULL = "imagenet". Ignored when `image` is set.
     */
    const char *preset;
    /** Explicit preprocessing options instead of a preset (copied); NULL = use `preset`. */
    const ei_image_opts_t *image;
    /**
     * Labels file; NULL = the model's metadata (ei_labels_from_metadata()) if it has labels, else
     * none (results then carry NULL labels).
     */
    const char *labels_path;
    /** Entries per result; clamped to the number of classes. Default 5; 0 = all classes. */
    size_t top_k;
    /** Default EI_SOFTMAX_AUTO. */
    ei_softmax_mode_t softmax;
    /**
     * Images per model run. 0 or 1 = one at a time. A model with a fixed batch dim B uses B (with
     * a warning when `batch` asked for something else); a partial last batch is then zero-padded.
     */
    size_t batch;
    /** Session options when the classifier loads the model itself; NULL = defaults. */
    const ei_session_opts_t *session;
    /** Output to read; NULL = the model's first output. */
    const char *output_name;
    /** Copy each image's raw output row (before softmax) into its result. Default false. */
    bool keep_logits;
} ei_classifier_opts_t;

/** Sets the defaults listed with each field. */
EI_API void ei_classifier_opts_init(ei_classifier_opts_t *o);

/** One entry of a top-k list. */
typedef struct ei_class_score {
    size_t index; /**< Class index (position in the output row). */
    float score;  /**< Probability after softmax, or the raw output (see softmax_applied). */
    /** The label; NULL when there are no labels or fewer labels than classes. Lives as long as the
     * classifier. */
    const char *label;
} ei_class_score_t;

/**
 * The result for one image. Caller-allocated; filled by the run functions; release what it holds
 * with ei_classify_result_dispose(). Zero-initialised results may be disposed.
 */
typedef struct ei_classify_result {
    ei_class_score_t *top; /**< `n_top` entries, best first. */
    size_t n_top;
    size_t n_classes; /**< Length of the model's output row. */
    /** The raw output row (n_classes values, converted to float) when keep_logits; else NULL. */
    float *logits;
    bool softmax_applied; /**< Whether `score` is a softmax probability computed here. */
    uint64_t decode_ns;   /**< Decoding the file (ei_classifier_run_files() only). */
    /** Resize/normalise into the input (with dct_scaling: 0, counted in decode_ns). */
    uint64_t preprocess_ns;
    uint64_t infer_ns;       /**< This image's share of its batch's model run. */
    uint64_t postprocess_ns; /**< Time spent on this image's softmax, top-k and labels. */
} ei_classify_result_t;

/** Releases what `r` holds and zeroes it. NULL is a no-op. */
EI_API void ei_classify_result_dispose(ei_classify_result_t *r);

/** A session, an image pipeline and labels. One thread at a time. */
typedef struct ei_classifier ei_classifier_t;

/**
 * Loads `model_path` and creates a classifier. The model must have one image input, rank 4 with
 * a 3-channel axis ([N,3,H,W] or [N,H,W,3], element type float32, float16 or uint8), and its output
 * must be [N, C] (or [N, C, 1, 1]) of float32 or float16; otherwise EI_EMODEL says what the model
 * has instead. A fixed H and W are taken from the model (overriding the preset's), and the element
 * type and layout always are. Labels: see ei_classifier_opts_t.labels_path; a label count that
 * differs from the class count is logged as a warning. Release with ei_classifier_destroy().
 */
EI_API EI_NODISCARD ei_code_t ei_classifier_create(const char *model_path,
                                                   const ei_classifier_opts_t *opts,
                                                   ei_classifier_t **out, ei_error_t *err);

/**
 * As ei_classifier_create() over an existing session, which is borrowed: it must outlive the
 * classifier. Several classifiers (one per thread) may share a session.
 */
EI_API EI_NODISCARD ei_code_t ei_classifier_create_from_session(ei_session_t *s,
                                                                const ei_classifier_opts_t *opts,
                                                                ei_classifier_t **out,
                                                                ei_error_t *err);

/** Releases a classifier (and its session if it loaded the model). NULL is a no-op. */
EI_API void ei_classifier_destroy(ei_classifier_t *c);

/** The session (owned by the classifier or borrowed). */
EI_API ei_session_t *ei_classifier_session(const ei_classifier_t *c);

/** The preprocessing options in effect (preset + model shape); valid as long as the classifier. */
EI_API const ei_image_opts_t *ei_classifier_image_opts(const ei_classifier_t *c);

/** The labels in use, or NULL. */
EI_API const ei_labels_t *ei_classifier_labels(const ei_classifier_t *c);

/** Images per model run (see ei_classifier_opts_t.batch). */
EI_API size_t ei_classifier_batch(const ei_classifier_t *c);

/** Whether the model's batch dim is fixed (partial batches are padded) rather than free. */
EI_API bool ei_classifier_fixed_batch(const ei_classifier_t *c);

/** The class count when the model declares it, else 0 (known after the first run). */
EI_API size_t ei_classifier_class_count(const ei_classifier_t *c);

/**
 * Creates an input tensor with room for a full batch: [batch,3,H,W] or [batch,H,W,3] in the
 * model's element type, zero-filled. Fill slot i with ei_image_pipeline_load() (a pipeline created
 * from ei_classifier_image_opts(), one per thread), then pass it to ei_classifier_run_tensor().
 */
EI_API EI_NODISCARD ei_code_t ei_classifier_create_input(const ei_classifier_t *c,
                                                         ei_tensor_t **out, ei_error_t *err);

/**
 * Runs the model on the first `n` slots of `input` (from ei_classifier_create_input(); 1 <= n <=
 * batch) and fills `results[0..n-1]`. With a free batch dim only n images are run; with a fixed one
 * the slots from n on are zeroed and run as padding. On failure no result holds anything. The
 * classifier is not touched except for its class count, so this may be called from a thread other
 * than the one preparing the next input, as long as calls on one classifier do not overlap.
 */
EI_API EI_NODISCARD ei_code_t ei_classifier_run_tensor(ei_classifier_t *c, ei_tensor_t *input,
                                                       size_t n, ei_classify_result_t *results,
                                                       ei_error_t *err);

/**
 * Classifies `n` decoded images (any n; they are run `batch` at a time) into `results[0..n-1]`.
 * On failure no result holds anything.
 */
EI_API EI_NODISCARD ei_code_t ei_classifier_run(ei_classifier_t *c, const ei_image_t *const *images,
                                                size_t n, ei_classify_result_t *results,
                                                ei_error_t *err);

/**
 * Classifies image files. `codes[i]` (may be NULL) receives each file's status: a file that cannot
 * be decoded gets its code (and an empty result) and is logged as a warning naming it; the others
 * are still classified. Returns EI_OK when every file was classified, the first file's failure code
 * otherwise (with its message in `err`), or a model failure (then no result holds anything).
 */
EI_API EI_NODISCARD ei_code_t ei_classifier_run_files(ei_classifier_t *c, const char *const *paths,
                                                      size_t n, ei_classify_result_t *results,
                                                      ei_code_t *codes, ei_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
