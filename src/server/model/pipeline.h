/* SPDX-License-Identifier: MIT */
/*
 * Pipeline models: config-only repository models that chain ordinary ones (Triton's ensemble
 * idea). The one kind so far is the OCR pipeline, `platform: "edgeinfer_ocr"` (or backend), whose
 * parameters name its stage models and set the OCR options:
 *
 *     detection_model       (required) the text detector, e.g. ppocr_det
 *     classification_model  (optional) the text-line orientation classifier, e.g. ppocr_cls
 *     recognition_model     (required) the recogniser; its output labels are the CTC alphabet
 *     det_db_thresh, det_db_box_thresh, det_db_unclip_ratio, det_limit_side_len, cls_thresh,
 *     drop_score            PaddleOCR's option names, PaddleOCR's defaults (ei_ocr_opts_t)
 *
 * Its inputs and outputs are fixed (the config may repeat them, and must then agree):
 *     input  image        TYPE_STRING [-1]     encoded images (JPEG, PNG, WebP), one per element
 *     output text         TYPE_STRING [-1]     the lines of every image, in reading order
 *            score        TYPE_FP32   [-1]     recognition score per line
 *            polygon      TYPE_FP32   [-1,4,2] corners (x, y), clockwise from the top left
 *            angle        TYPE_INT32  [-1]     0, or 180 when the line was upside down
 *            image_index  TYPE_INT32  [-1]     which element of `image` the line came from
 *
 * This file only reads and checks the config (at load); the repository decides readiness from
 * the stage models (model_repo.h) and the server's pipeline runner runs requests (v2/).
 */
#ifndef EI_SERVER_MODEL_PIPELINE_H
#define EI_SERVER_MODEL_PIPELINE_H

#include "model_config.h"

#include <edgeinfer/ocr.h>
#include <edgeinfer/status.h>
#include <stdbool.h>

/** The platform (or backend) name of an OCR pipeline model. */
#define EI__PIPELINE_OCR "edgeinfer_ocr"

/** Stage indices. */
enum { EI__STAGE_DET = 0, EI__STAGE_CLS = 1, EI__STAGE_REC = 2, EI__N_STAGES = 3 };

/** The input and output names of an OCR pipeline model. */
#define EI__OCR_IN_IMAGE "image"
#define EI__OCR_OUT_TEXT "text"
#define EI__OCR_OUT_SCORE "score"
#define EI__OCR_OUT_POLYGON "polygon"
#define EI__OCR_OUT_ANGLE "angle"
#define EI__OCR_OUT_IMAGE_INDEX "image_index"

/** A loaded pipeline's description. Immutable once loaded. */
typedef struct ei__pipeline {
    /** Stage model names (pointing into the config); stage[EI__STAGE_CLS] may be NULL. */
    const char *stage[EI__N_STAGES];
    ei_ocr_opts_t ocr; /**< the options, from the parameters */
} ei__pipeline_t;

/** Whether the config describes a pipeline model (platform or backend "edgeinfer_ocr"). */
bool ei__pipeline_config_is(const ei__model_config_t *c);

/**
 * Reads the pipeline's parameters and completes its config (inputs, outputs, platform and
 * backend); EI_EFORMAT naming the parameter for a missing stage name or a bad option value, and
 * for inputs/outputs, batching or instance settings a pipeline cannot have.
 */
ei_code_t ei__pipeline_create(ei__model_config_t *c, ei__pipeline_t **out, ei_error_t *err);
void ei__pipeline_destroy(ei__pipeline_t *p);

#endif
