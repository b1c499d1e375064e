/* SPDX-License-Identifier: MIT */
/*
 * API keys, protocol-neutral: a key table read from the --api-keys file (name, SHA-256 of the
 * token, scopes), and one check that every front-end calls with the scope its route needs and the
 * credential the client presented (HTTP `Authorization: Bearer TOKEN`, gRPC metadata
 * `authorization: Bearer TOKEN`). The front-end maps the verdict to its status (HTTP 401/403, gRPC
 * UNAUTHENTICATED/PERMISSION_DENIED). Tokens are never stored, logged or compared in the clear:
 * only their hashes, compared in constant time.
 */
#ifndef EI_SERVER_AUTH_H
#define EI_SERVER_AUTH_H

#include "ei_util.h"

#include <stdbool.h>
#include <stddef.h>

/**
 * What a route needs. Bits; a key holds a set of them. 0 (a route that does not say) needs a valid
 * key of any scope, so a route added without thinking about it is never open.
 */
typedef enum ei__scope {
    EI__SCOPE_AUTHENTICATED = 0,    /**< any valid key */
    EI__SCOPE_HEALTH = 1u << 0,     /**< the health routes: open unless protect_health */
    EI__SCOPE_METADATA = 1u << 1,   /**< server / model metadata, model config, repository index */
    EI__SCOPE_INFER = 1u << 2,      /**< infer, classify, ocr... (implies metadata) */
    EI__SCOPE_REPOSITORY = 1u << 3, /**< load / unload (repository control) */
    EI__SCOPE_SHM = 1u << 4,        /**< shared-memory register / status / unregister */
    EI__SCOPE_METRICS = 1u << 5,    /**< Prometheus /metrics */
    EI__SCOPE_STATISTICS = 1u << 6, /**< /v2/models/.../stats */
    EI__SCOPE_ALL = 0x7f,
    EI__SCOPE_OPEN = 1u << 30 /**< no key needed (alone, not combined) */
} ei__scope_t;

/** The outcome of a check. */
typedef enum ei__auth_verdict {
    EI__AUTH_ALLOW = 0,
    EI__AUTH_MISSING,   /**< no credential: HTTP 401 / gRPC UNAUTHENTICATED */
    EI__AUTH_INVALID,   /**< malformed or unknown credential: 401 / UNAUTHENTICATED */
    EI__AUTH_FORBIDDEN, /**< a valid key without the scope: 403 / PERMISSION_DENIED */
} ei__auth_verdict_t;

typedef struct ei__auth ei__auth_t;

/**
 * Reads the key file at `path`. `protect_health`: health routes need the health scope too.
 * Errors name the file and line.
 */
ei_code_t ei__auth_create(const char *path, bool protect_health, ei__auth_t **out, ei_error_t *err);

/**
 * Re-reads the key file. On success the new table is used by every later check; on failure the
 * old table stays in force and `err` says why. Thread-safe against concurrent checks.
 */
ei_code_t ei__auth_reload(ei__auth_t *a, ei_error_t *err);

/** Number of keys in force. */
size_t ei__auth_key_count(ei__auth_t *a);

void ei__auth_destroy(ei__auth_t *a);

/**
 * The one check. `needed` is the route's scope (EI__SCOPE_OPEN: always allowed); `authorization`
 * is the credential as presented (the value of the HTTP Authorization header or the gRPC
 * `authorization` metadata entry, "Bearer TOKEN"; NULL when absent). A NULL `a` (no --api-keys)
 * allows everything. On ALLOW and FORBIDDEN, `who` (may be NULL) receives the key's name, for the
 * access log. Thread-safe; no allocation.
 */
ei__auth_verdict_t ei__auth_check(ei__auth_t *a, unsigned needed, const char *authorization,
                                  char *who, size_t who_size);

/**
 * A short message for the verdict (for the error body), naming the key `who` (may be NULL) and
 * the scope `needed` when FORBIDDEN.
 */
void ei__auth_message(ei__auth_verdict_t v, unsigned needed, const char *who, char *buf,
                      size_t size);

/** The scope's name as the key file spells it ("infer"...); "?" for a combination. */
const char *ei__scope_name(unsigned scope);

/** Parses a comma-separated scope list ("infer,metrics", "*") into bits; false on an unknown name.
 */
bool ei__scope_parse(const char *list, size_t len, unsigned *out);

#endif
