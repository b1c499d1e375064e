/* SPDX-License-Identifier: MIT */
/*
 * Logging. The library never writes to stdout or stderr by itself: messages go to the sink set
 * with ei_log_set(), and with no sink they are dropped. ONNX Runtime's own log lines are routed to
 * the same sink with component "ort".
 */
#ifndef EDGEINFER_LOG_H
#define EDGEINFER_LOG_H

#include "version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Severity, lowest first. EI_LOG_OFF as a threshold silences everything. */
typedef enum ei_log_level {
    EI_LOG_DEBUG = 0,
    EI_LOG_INFO = 1,
    EI_LOG_WARN = 2,
    EI_LOG_ERROR = 3,
    EI_LOG_OFF = 4
} ei_log_level_t;

/**
 * A log sink. `component` names the part of the library ("core", "image", "server", "ort"...);
 * `msg` has no trailing newline. It may be called from any thread, concurrently.
 */
typedef void (*ei_log_fn)(ei_log_level_t level, const char *component, const char *msg, void *user);

/** Sets the sink (NULL drops messages) and its user pointer. Thread-safe. */
EI_API void ei_log_set(ei_log_fn fn, void *user);

/** Sets the threshold: messages below `level` are not formatted. Default EI_LOG_WARN. */
EI_API void ei_log_set_level(ei_log_level_t level);

/** The current threshold. */
EI_API ei_log_level_t ei_log_level(void);

/** "debug", "info", "warn", "error" or "off". */
EI_API const char *ei_log_level_name(ei_log_level_t level);

/** Parses a level name (as ei_log_level_name() prints it); returns -1 when unknown. */
EI_API int ei_log_level_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
