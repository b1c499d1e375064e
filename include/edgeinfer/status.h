/* SPDX-License-Identifier: MIT */
/*
 * Status codes and the caller-owned error buffer used by every fallible call.
 *
 * Every function that can fail returns an ei_code_t (EI_OK == 0) and takes an optional
 * `ei_error_t *err` as its last parameter. When `err` is not NULL and the call fails, it holds the
 * code and a message that names what was being done and why it failed. The buffer needs no
 * allocation and belongs to the caller, so it is safe to use from any thread.
 */
#ifndef EDGEINFER_STATUS_H
#define EDGEINFER_STATUS_H

#include "version.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The code table: name and default message. New codes go at the end; none is ever removed or
 * renumbered.
 */
#define EI_CODE_MAP(XX)                                                                            \
    XX(OK, "success")                                                                              \
    XX(EINVAL, "invalid argument")                                                                 \
    XX(ENOMEM, "out of memory")                                                                    \
    XX(EIO, "input/output error")                                                                  \
    XX(ENOENT, "no such file")                                                                     \
    XX(ENOTFOUND, "not found")                                                                     \
    XX(EFORMAT, "unsupported or corrupt format")                                                   \
    XX(EMODEL, "invalid or unsupported model")                                                     \
    XX(EUNSUPPORTED, "not supported")                                                              \
    XX(ERUNTIME, "runtime failure")                                                                \
    XX(EBUSY, "resource busy")                                                                     \
    XX(ETIMEDOUT, "timed out")                                                                     \
    XX(ECANCELED, "canceled")                                                                      \
    XX(ELIMIT, "limit exceeded")

/** A status code. EI_OK is 0; every other value is a failure. */
typedef enum ei_code {
#define EI__CODE_ENUM(name, msg) EI_##name,
    EI_CODE_MAP(EI__CODE_ENUM)
#undef EI__CODE_ENUM
        EI__CODE_COUNT
} ei_code_t;

/** Size of the message buffer in ei_error_t, terminating NUL included. */
#define EI_ERROR_MSG_SIZE 512

/**
 * A caller-owned error: the code and a message. Zero-initialise it, or call ei_error_clear().
 * The message is always NUL-terminated when code != EI_OK.
 */
typedef struct ei_error {
    ei_code_t code;
    char msg[EI_ERROR_MSG_SIZE];
} ei_error_t;

/** The code's enum name, for example "EI_EFORMAT". Static storage; never NULL. */
EI_API const char *ei_code_name(ei_code_t code);

/** The code's default message, for example "unsupported or corrupt format". Never NULL. */
EI_API const char *ei_code_str(ei_code_t code);

/** Resets `err` to EI_OK with an empty message. NULL is a no-op. */
EI_API void ei_error_clear(ei_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
