/* SPDX-License-Identifier: MIT */
/*
 * The pieces model_config.c reads config trees with, shared with model_config_seq.c (the
 * sequence_batching block): the reading context and typed field getters that fail with
 * "file:line:column: field 'x': what" (or "config override: field 'x': what" for JSON). Internal
 * to model/; not a stable interface.
 */
#ifndef EI_SERVER_MODEL_CONFIG_PARSE_H
#define EI_SERVER_MODEL_CONFIG_PARSE_H

#include "model_config.h"
#include "pbtxt.h"

typedef struct ei__cfg_ctx {
    const char *path;
    ei_error_t *err;
    bool quiet; /* no warnings (the config was read and reported before) */
    bool json;  /* the tree came from JSON: enums and 64-bit integers arrive as strings */
} ctx_t;

ei_code_t ei__cfg_bad(ctx_t *cx, const ei__pb_node_t *n, const char *what);
ei_code_t ei__cfg_oom(ctx_t *cx);
/** Warnings (none when cx->quiet): an unknown field, a known one edgeinfer ignores. */
void ei__cfg_unknown(ctx_t *cx, const ei__pb_node_t *n, const char *in);
void ei__cfg_unsupported(ctx_t *cx, const ei__pb_node_t *n);
ei_code_t ei__cfg_want_msg(ctx_t *cx, const ei__pb_node_t *n);
ei_code_t ei__cfg_get_i64(ctx_t *cx, const ei__pb_node_t *n, int64_t *out);
ei_code_t ei__cfg_get_u64(ctx_t *cx, const ei__pb_node_t *n, uint64_t *out);
ei_code_t ei__cfg_get_bool(ctx_t *cx, const ei__pb_node_t *n, bool *out);
/** Replaces *out with a copy of a string field. */
ei_code_t ei__cfg_get_str(ctx_t *cx, const ei__pb_node_t *n, char **out);
ei_code_t ei__cfg_get_ident(ctx_t *cx, const ei__pb_node_t *n, const char **out);
ei_code_t ei__cfg_push_i64(ctx_t *cx, int64_t **arr, size_t *n, int64_t v);
/** Appends one dim (-1 or >= 0) to dims[*nd] (at most EI_MAX_RANK). */
ei_code_t ei__cfg_get_dim(ctx_t *cx, const ei__pb_node_t *n, int64_t *dims, size_t *nd);

/** The sequence_batching block (model_config_seq.c). */
ei_code_t ei__cfg_parse_sequence_batching(ctx_t *cx, const ei__pb_node_t *m, ei__model_config_t *c);

#endif
