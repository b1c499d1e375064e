/* SPDX-License-Identifier: MIT */
/*
 * Triton's ModelConfig as JSON (a load request's `config` parameter) turned into the same tree the
 * config.pbtxt reader builds, so one schema reader (model_config.c) serves both. Protobuf's JSON
 * mapping differs from text format in three ways handled here: a repeated field is an array (one
 * node per element, as `[a, b]` gives in text), a map is an object (`parameters`: one
 * `{ key value }` entry per member), and enums and 64-bit integers may be strings (model_config.c
 * accepts those when the tree says it came from JSON). Fields at their proto3 default (false, "",
 * [], enum zero values such as TYPE_INVALID) are dropped, as a text config would leave them out,
 * so a config read back from GET /v2/models/{m}/config loads without warnings.
 */
#include "ei_util.h"
#include "pbtxt.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Object fields that are protobuf maps in ModelConfig (their members become key/value entries). */
static bool is_map(const char *key)
{
    return strcmp(key, "parameters") == 0 || strcmp(key, "cc_model_filenames") == 0 ||
           strcmp(key, "metric_tags") == 0;
}

/* Fields Triton prints that ask for nothing when zero or empty (and edgeinfer does not support). */
static bool is_unused_default(const char *key, const json_t *v)
{
    bool zero = json_is_integer(v) && json_integer_value(v) == 0;
    bool empty = json_is_object(v) && json_object_size(v) == 0;
    return (zero &&
            (strcmp(key, "priority_levels") == 0 || strcmp(key, "default_priority_level") == 0)) ||
           (empty && strcmp(key, "priority_queue_policy") == 0);
}

static bool is_default(const char *key, const json_t *v)
{
    if (json_is_false(v) || (json_is_array(v) && json_array_size(v) == 0) ||
        is_unused_default(key, v))
        return true;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        return n == 0 || strcmp(s, "PRIORITY_DEFAULT") == 0 ||
               (n > 8 && strcmp(s + n - 8, "_INVALID") == 0);
    }
    return false;
}

static ei__pb_node_t *node(const char *name, ei_error_t *err)
{
    ei__pb_node_t *n = ei__calloc(1, sizeof(*n));
    if (n != NULL)
        n->name = ei__strdup(name);
    if (n == NULL || n->name == NULL) {
        ei__free(n);
        ei__fail(err, EI_ENOMEM, "out of memory");
        return NULL;
    }
    return n;
}

static ei_code_t convert(const char *name, const json_t *v, int depth, bool element,
                         ei__pb_node_t ***tail, ei_error_t *err);

static ei_code_t scalar(ei__pb_node_t *n, const json_t *v, ei_error_t *err)
{
    char buf[64];
    const char *text = buf;
    size_t len;
    if (json_is_string(v)) {
        n->kind = EI__PB_STRING;
        text = json_string_value(v);
        len = json_string_length(v);
    } else if (json_is_integer(v)) {
        n->kind = EI__PB_NUMBER;
        len = (size_t)snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        n->kind = EI__PB_NUMBER;
        len = (size_t)snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        n->kind = EI__PB_IDENT;
        text = json_is_true(v) ? "true" : "false";
        len = strlen(text);
    } else {
        return ei__fail(err, EI_EFORMAT, "config JSON: field '%s': null is not a value", n->name);
    }
    n->value = ei__strndup(text, len);
    n->value_len = len;
    return n->value != NULL ? EI_OK : ei__fail(err, EI_ENOMEM, "out of memory");
}

/* Appends the children of object `o` (a message) after **tail. */
static ei_code_t members(const json_t *o, int depth, ei__pb_node_t ***tail, ei_error_t *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        ei_code_t rc = convert(k, v, depth, false, tail, err);
        if (rc != EI_OK)
            return rc;
    }
    return EI_OK;
}

/* An array element is never dropped: `bool_false_true: [false, true]` needs its false. */
static ei_code_t convert(const char *name, const json_t *v, int depth, bool element,
                         ei__pb_node_t ***tail, ei_error_t *err)
{
    if (depth > EI__PB_MAX_DEPTH)
        return ei__fail(err, EI_EFORMAT, "config JSON: nested deeper than %d levels",
                        EI__PB_MAX_DEPTH);
    if (!element && is_default(name, v))
        return EI_OK;
    if (json_is_array(v)) {
        if (element)
            return ei__fail(err, EI_EFORMAT, "config JSON: field '%s': an array in an array", name);
        for (size_t i = 0; i < json_array_size(v); i++) {
            ei_code_t rc = convert(name, json_array_get(v, i), depth + 1, true, tail, err);
            if (rc != EI_OK)
                return rc;
        }
        return EI_OK;
    }
    if (json_is_object(v) && is_map(name)) {
        const char *k;
        json_t *mv;
        json_object_foreach((json_t *)v, k, mv)
        {
            ei__pb_node_t *e = node(name, err), *key = NULL, *val = NULL;
            if (e == NULL)
                return EI_ENOMEM;
            e->kind = EI__PB_MESSAGE;
            **tail = e;
            *tail = &e->next;
            key = node("key", err);
            if (key == NULL)
                return EI_ENOMEM;
            e->child = key;
            json_t *ks = json_string(k);
            ei_code_t rc = ks != NULL ? scalar(key, ks, err) : ei__fail(err, EI_ENOMEM, "oom");
            json_decref(ks);
            if (rc != EI_OK)
                return rc;
            val = node("value", err);
            if (val == NULL)
                return EI_ENOMEM;
            key->next = val;
            if (json_is_object(mv)) {
                val->kind = EI__PB_MESSAGE;
                ei__pb_node_t **vt = &val->child;
                rc = members(mv, depth + 1, &vt, err);
            } else {
                rc = scalar(val, mv, err);
            }
            if (rc != EI_OK)
                return rc;
        }
        return EI_OK;
    }
    ei__pb_node_t *n = node(name, err);
    if (n == NULL)
        return EI_ENOMEM;
    **tail = n;
    *tail = &n->next;
    if (json_is_object(v)) {
        n->kind = EI__PB_MESSAGE;
        ei__pb_node_t **ct = &n->child;
        return members(v, depth + 1, &ct, err);
    }
    return scalar(n, v, err);
}

ei_code_t ei__pb_from_json(const char *text, size_t len, ei__pb_node_t **out, ei_error_t *err)
{
    *out = NULL;
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL)
        return ei__fail(err, EI_EFORMAT, "config JSON: %s at line %d column %d",
                        strstr(je.text, "JSON_") != NULL ? "invalid JSON" : je.text, je.line,
                        je.column);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return ei__fail(err, EI_EFORMAT, "config JSON: expected an object");
    }
    ei__pb_node_t *root = node("", err);
    ei_code_t rc = root != NULL ? EI_OK : EI_ENOMEM;
    if (rc == EI_OK) {
        root->kind = EI__PB_MESSAGE;
        ei__pb_node_t **tail = &root->child;
        rc = members(doc, 1, &tail, err);
    }
    json_decref(doc);
    if (rc != EI_OK) {
        ei__pb_free(root);
        return rc;
    }
    *out = root;
    return EI_OK;
}
