/* SPDX-License-Identifier: MIT */
/*
 * The image arguments of `classify` and `ocr`: files, directories (their images, sorted by name)
 * and `-` (one image's bytes on stdin), expanded into one list; and the progress line shown on a
 * terminal during long runs. Not for model or tensor arguments.
 */
#ifndef EI_CLI_IMAGE_ARGS_H
#define EI_CLI_IMAGE_ARGS_H

#include "cli.h"

#include <stdbool.h>
#include <stddef.h>

/** The expanded list. `paths[i]` is a file path or "-" (stdin). */
typedef struct ei_cli_images {
    char **paths;
    size_t n;
    unsigned char *stdin_data; /**< The bytes read for "-" (at most one "-"). */
    size_t stdin_size;
} ei_cli_images_t;

/**
 * Expands `args`: a directory gives its regular files named *.jpg, *.jpeg, *.png or *.webp (any
 * case), sorted bytewise, not recursing; "-" reads stdin (once; a second "-" is an error); anything
 * else is kept as given (a missing file is reported when it is read). Returns EI_EXIT_OK or an
 * exit code after printing the error (`cmd` names the command).
 */
int ei_cli_images_expand(const char *cmd, char **args, size_t n, ei_cli_images_t *out);
void ei_cli_images_free(ei_cli_images_t *im);

/** A progress line on stderr, only when stderr is a terminal and there are at least 2 items. */
typedef struct ei_cli_progress {
    bool on;
    size_t total;
} ei_cli_progress_t;

void ei_cli_progress_init(ei_cli_progress_t *p, size_t total);
/** "[done/total] name", overwriting the previous line. */
void ei_cli_progress_step(ei_cli_progress_t *p, size_t done, const char *name);
/** Clears the line. */
void ei_cli_progress_end(ei_cli_progress_t *p);

#endif
