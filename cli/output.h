/* SPDX-License-Identifier: MIT */
/*
 * Output helpers shared by the commands that describe models and tensors (info, run): shape and
 * size formatting for people, and jansson builders for --json. Not for error messages (cli.h).
 */
#ifndef EI_CLI_OUTPUT_H
#define EI_CLI_OUTPUT_H

#include "cli.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/**
 * Formats a declared shape as "[batch,3,?,224]": fixed dims as numbers, free dims by their
 * symbolic name or "?" without one; "(unknown rank)" when !rank_known. Returns `buf`.
 */
char *ei_cli_format_dims(const int64_t *shape, const char *const *dim_names, size_t rank,
                         bool rank_known, char *buf, size_t size);

/** "1.5 MiB", "512 B"... Returns `buf`. */
char *ei_cli_format_bytes(uint64_t n, char *buf, size_t size);

/** "tensor", "sequence", "map", "optional", "sparse_tensor", "other". */
const char *ei_cli_value_kind_name(ei_value_kind_t kind);

/**
 * A JSON string of `len` bytes at `s` (NULL: ""). Bytes that are not valid UTF-8 become U+FFFD, so
 * the result is never NULL for want of valid input (only when out of memory).
 */
json_t *ei_cli_json_str(const char *s, size_t len);

/** json_object_set_new() of ei_cli_json_str(s) under `key`. */
void ei_cli_json_set_str(json_t *obj, const char *key, const char *s);

/** {"name", "kind", "dtype", "shape": [-1,3,...] or null, "dim_names": [...]} for an input/output.
 */
json_t *ei_cli_json_value_info(const ei_value_info_t *v);

/** A JSON array of the dims of a concrete shape. */
json_t *ei_cli_json_shape(const int64_t *shape, size_t rank);

/**
 * Prints `root` to stdout (indented, keys in insertion order, newline) and releases it. Returns
 * EI_EXIT_OK, or EI_EXIT_FAILURE with a message when `root` is NULL (out of memory) or the dump
 * fails.
 */
int ei_cli_print_json(json_t *root);

#endif
