/* SPDX-License-Identifier: MIT */
/*
 * Pieces of `edgeinfer conformance` that do not depend on process management: finding ONNX backend
 * test cases, the skip list, comparing tensors with the backend tests' tolerances, and running one
 * case in the current process. cmd_conformance.c forks a child per case and calls
 * ei_conf_run_case() there, so a crash inside ONNX Runtime only ends that case.
 */
#ifndef EI_CLI_CONFORMANCE_H
#define EI_CLI_CONFORMANCE_H

#include <edgeinfer/edgeinfer.h>
#include <stdbool.h>
#include <stddef.h>

/** One test case: a folder with model.onnx (or a data.json download pointer) and data sets. */
typedef struct ei_conf_case {
    char *dir;          /**< the case folder */
    char *id;           /**< "<parent folder>/<case folder>", the key used in skip lists */
    bool download_only; /**< only data.json: the model must be downloaded (the `real` cases) */
} ei_conf_case_t;

typedef struct ei_conf_cases {
    ei_conf_case_t *items;
    size_t n, cap;
} ei_conf_cases_t;

/**
 * Adds the cases found under `dir`: `dir` itself when it holds model.onnx (or data.json), otherwise
 * every such folder below it, recursively, in name order. Cases whose id does not contain `filter`
 * (when not NULL) are left out. Returns false with a message in `err` on an unreadable folder.
 */
bool ei_conf_find_cases(const char *dir, const char *filter, ei_conf_cases_t *out, ei_error_t *err);
void ei_conf_cases_free(ei_conf_cases_t *c);

/** The skip list: case id -> reason. */
typedef struct ei_conf_skip {
    char **ids;
    char **reasons;
    bool *used; /**< set when the entry matched a case of the run */
    size_t n;
} ei_conf_skip_t;

/** Reads "<id> <reason>" lines ('#' comments, blank lines ignored). */
bool ei_conf_skip_load(const char *path, ei_conf_skip_t *out, ei_error_t *err);
/** The entry index for `id`, or -1. */
long ei_conf_skip_find(const ei_conf_skip_t *s, const char *id);
void ei_conf_skip_free(ei_conf_skip_t *s);

/** Comparison tolerances: |got - expected| <= atol + rtol * |expected|. */
typedef struct ei_conf_tol {
    double rtol;
    double atol;
} ei_conf_tol_t;

/**
 * Compares an output with its reference. Returns true when they match; otherwise writes the reason
 * (dtype, shape, or the first differing element with its index and both values, plus how many
 * elements differ) into `why`. Floating types use the tolerances (NaN matches NaN, infinities must
 * be equal); integers, bools and strings must be equal.
 */
bool ei_conf_compare(const ei_tensor_t *expected, const ei_tensor_t *got, const ei_conf_tol_t *tol,
                     char *why, size_t why_size);

/**
 * Compares values of any kind: kinds must match; tensors as ei_conf_compare(); sequences element
 * by element (same length); maps keys exactly and values with the tolerances; optionals both None
 * or both holding matching values.
 */
bool ei_conf_compare_values(const ei_value_t *expected, const ei_value_t *got,
                            const ei_conf_tol_t *tol, char *why, size_t why_size);

/**
 * Custom-op libraries every later ei_conf_run_case() loads before its model (`libs` must outlive
 * the runs; n == 0: none).
 */
void ei_conf_set_custom_ops(const char *const *libs, size_t n);

/** The outcome of one case. */
typedef enum ei_conf_status {
    EI_CONF_PASS = 0,
    EI_CONF_FAIL, /**< mismatch, load error, run error, crash, timeout */
    EI_CONF_SKIP  /**< the case cannot run here (a download pointer, a missing locale) */
} ei_conf_status_t;

/**
 * Runs every data set of one case in this process: loads the model (one intra-op thread), feeds
 * the input_N.pb files (tensors, sequences, maps, optionals), compares with output_N.pb. Writes a
 * one-line reason for FAIL/SKIP.
 */
ei_conf_status_t ei_conf_run_case(const ei_conf_case_t *c, const ei_conf_tol_t *tol, char *why,
                                  size_t why_size);

#endif
