/* SPDX-License-Identifier: MIT */
/*
 * A reader for protobuf text format (config.pbtxt) that builds a schema-less tree: each field is a
 * node with a name and either a scalar token (string, number or bare word) or child fields. Lists
 * (`dims: [1, 2]`, `input [{...}, {...}]`) become one node per element with the same name, as
 * repeated keys do. The meaning of fields (the ModelConfig schema) lives in model_config.c.
 */
#ifndef EI_SERVER_PBTXT_H
#define EI_SERVER_PBTXT_H

#include <edgeinfer/status.h>
#include <stdbool.h>
#include <stddef.h>

/** Scalar token kinds. */
typedef enum { EI__PB_STRING, EI__PB_NUMBER, EI__PB_IDENT, EI__PB_MESSAGE } ei__pb_kind_t;

/** One field. */
typedef struct ei__pb_node {
    char *name;
    ei__pb_kind_t kind;
    char *value;      /**< scalar text (strings unescaped, NUL-terminated); NULL for messages */
    size_t value_len; /**< bytes in value (a string may hold NULs) */
    struct ei__pb_node *child; /**< first field of a message */
    struct ei__pb_node *next;  /**< next sibling */
    int line, col;             /**< where the field name starts (1-based) */
} ei__pb_node_t;

/** Deepest message nesting accepted. */
#define EI__PB_MAX_DEPTH 64

/**
 * Parses `len` bytes of text. On success `*out` is the root message node (possibly without
 * children) freed with ei__pb_free(). Syntax errors are EI_EFORMAT "path:line:col: what".
 */
ei_code_t ei__pb_parse(const char *text, size_t len, const char *path, ei__pb_node_t **out,
                       ei_error_t *err);

/**
 * Builds the same tree from Triton's ModelConfig JSON (pbtxt_json.c): arrays become repeated
 * fields, map objects `{ key value }` entries; scalars keep their JSON kind (strings stay strings,
 * so a reader of a JSON tree must accept enums and 64-bit integers written as strings). Errors are
 * EI_EFORMAT "config JSON: what".
 */
ei_code_t ei__pb_from_json(const char *text, size_t len, ei__pb_node_t **out, ei_error_t *err);

/** Frees a tree. NULL is a no-op. */
void ei__pb_free(ei__pb_node_t *n);

#endif
