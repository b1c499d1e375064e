/* SPDX-License-Identifier: MIT */
/*
 * Fast path for numeric `data` arrays in JSON inference requests.
 *
 * jansson builds one json_t per number, which made a 224x224x3 FP32 request spend most of its time
 * parsing. Before handing the header to jansson, a light scanner finds every inputs[i].data whose
 * value is an array (nested or flat) of numbers only, validates it with the JSON number grammar,
 * and the parser blanks it out (`null`) in a copy of the header; jansson then parses the small
 * remainder, and the numbers are converted straight from the text into the tensor. Anything
 * unexpected (strings, booleans, odd nesting, escapes in keys) leaves the value to jansson, so
 * behaviour is the same.
 */
#ifndef EI_SERVER_V2_JSON_SCAN_H
#define EI_SERVER_V2_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EI__JSON_NO_SPAN SIZE_MAX

/** One numeric inputs[input].data value: bytes [start, end) of the header. */
typedef struct ei__json_span {
    size_t input; /**< index in "inputs" */
    size_t start, end;
} ei__json_span_t;

/**
 * Finds the numeric inputs[i].data values of a request header `s` (n bytes). Returns how many
 * spans it stored, at most `max` (0 when the header does not look like a request it understands;
 * jansson then does everything).
 */
size_t ei__json_find_data_spans(const char *s, size_t n, ei__json_span_t *spans, size_t max);

/** A JSON number at s[i] (grammar checked): its end, or EI__JSON_NO_SPAN. */
size_t ei__json_number_end(const char *s, size_t i, size_t n);

/**
 * Parses a number token [i, end) already validated by ei__json_number_end(): an integer
 * (`*is_int`, `*iv`) when it is one that fits int64, and always its double value `*dv` (correctly
 * rounded).
 */
void ei__json_parse_number(const char *s, size_t i, size_t end, bool *is_int, long long *iv,
                           double *dv);

#endif
