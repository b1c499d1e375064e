/* SPDX-License-Identifier: MIT */
/*
 * Generated model inputs for `run` and `bench`: tensors that fit an input's declared element type
 * and shape, filled with zeros or seeded pseudo-random values. Not for reading input files (see
 * <edgeinfer/tensor_io.h>).
 *
 * How a free dim (-1 in the declared shape) gets its size, first rule that applies:
 *   1. a --dim override whose name equals the dim's symbolic name;
 *   2. the first free dim of the input, when no override names it, takes `batch` (default 1);
 *   3. any other free dim becomes 1, with one warning that names the input, the dim and how to set
 *      it (--dim NAME=N).
 * Random values: floating types uniform in [0, 1); integer types uniform in [0, 10) (small and
 * non-negative, so they are safe as indices and counts); bool: true or false with equal odds;
 * strings: "a". The generator is a fixed 64-bit PRNG, so one seed gives the same tensors
 * everywhere.
 */
#ifndef EI_CLI_INPUTS_H
#define EI_CLI_INPUTS_H

#include "cli.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ei_cli_fill { EI_CLI_FILL_ZEROS = 0, EI_CLI_FILL_RANDOM } ei_cli_fill_t;

/** How to generate inputs. Zero-initialise, then set what differs from the defaults. */
typedef struct ei_cli_gen {
    ei_cli_fill_t fill;
    uint64_t seed;                 /**< the PRNG state; advanced by every random tensor */
    const ei_dim_override_t *dims; /**< overrides by symbolic dim name */
    size_t n_dims;
    int64_t batch; /**< rule 2 above; <= 0 means 1 */
    bool quiet;    /**< no warnings for rule 3 */
} ei_cli_gen_t;

/**
 * The concrete shape ei_cli_make_input() would use for `info` (rank written to `*rank`, dims into
 * `shape`, room for EI_MAX_RANK). Fails with EI_EUNSUPPORTED for a non-tensor input or one with no
 * declared shape, naming the input.
 */
ei_code_t ei_cli_input_shape(const ei_value_info_t *info, const ei_cli_gen_t *gen, int64_t *shape,
                             size_t *rank, ei_error_t *err);

/**
 * Generates one tensor for the input `info` (see the rules above). On success `*out` is an owning
 * tensor the caller destroys.
 */
ei_code_t ei_cli_make_input(const ei_value_info_t *info, ei_cli_gen_t *gen, ei_tensor_t **out,
                            ei_error_t *err);

/**
 * Generates a tensor for every input of `s`, in model order. On success `*names` (names owned by
 * the session) and `*tensors` hold ei_session_input_count() entries; release them with
 * ei_cli_free_inputs(). On failure both are NULL.
 */
ei_code_t ei_cli_make_inputs(const ei_session_t *s, ei_cli_gen_t *gen, const char ***names,
                             ei_tensor_t ***tensors, ei_error_t *err);

/** Destroys `n` tensors and frees both arrays (either may be NULL). */
void ei_cli_free_inputs(const char **names, ei_tensor_t **tensors, size_t n);

/** Fills an existing tensor with `fill` values, advancing `*seed` (see the rules above). */
ei_code_t ei_cli_fill_tensor(ei_tensor_t *t, ei_cli_fill_t fill, uint64_t *seed, ei_error_t *err);

#endif
