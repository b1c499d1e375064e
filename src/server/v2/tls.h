/* SPDX-License-Identifier: MIT */
/*
 * TLS credentials for the server's front-ends: the certificate chain, private key and optional
 * client CA read from PEM files, checked when read (the key matches the certificate, the
 * certificate is within its validity period, the CA file holds certificates), and swapped as a
 * whole on reload while connections that started with the old set keep it. The HTTP front-end
 * attaches the current set to each new GnuTLS session; another front-end (gRPC) can take the PEM
 * bytes of the current set instead. GnuTLS types stay in tls.c.
 */
#ifndef EI_SERVER_TLS_H
#define EI_SERVER_TLS_H

#include "ei_util.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ei__tls ei__tls_t;

/** Reads and checks the files (client_ca may be NULL: no client certificates asked for). */
ei_code_t ei__tls_create(const char *cert_path, const char *key_path, const char *client_ca_path,
                         ei__tls_t **out, ei_error_t *err);

/**
 * Re-reads the same files. On success new connections get the new set; on failure the old set
 * stays in force and `err` says why. Thread-safe.
 */
ei_code_t ei__tls_reload(ei__tls_t *t, ei_error_t *err);

/** Whether clients must present a certificate (a client CA was given). */
bool ei__tls_mutual(const ei__tls_t *t);

/**
 * The PEM bytes of the set in force at creation (NUL-terminated; valid as long as `t`): what the
 * HTTP library needs to start in TLS mode. Later sets are attached per connection.
 */
const char *ei__tls_initial_cert_pem(const ei__tls_t *t);
const char *ei__tls_initial_key_pem(const ei__tls_t *t);
const char *ei__tls_initial_ca_pem(const ei__tls_t *t);

/**
 * Puts the current credentials on a new server-side GnuTLS session (a gnutls_session_t) and, with
 * a client CA, makes the handshake require and verify a client certificate. Returns a handle to
 * give back with ei__tls_detach() when the connection closes (it keeps that set alive); NULL when
 * the session could not be set up (the caller closes the connection).
 */
void *ei__tls_attach(ei__tls_t *t, void *gnutls_session);
void ei__tls_detach(ei__tls_t *t, void *handle);

/**
 * For a session past its handshake: whether the peer presented a certificate that verifies
 * against the client CA (always true without mutual TLS). A second check behind the handshake's.
 */
bool ei__tls_peer_ok(const ei__tls_t *t, void *gnutls_session);

/**
 * Copies of the PEM bytes of the set in force now (ei__free each; `ca` is NULL without a client
 * CA), for a front-end that builds its own TLS context per handshake or on reload (gRPC's
 * certificate-config fetcher). The key copy holds a secret: wipe it before freeing.
 */
ei_code_t ei__tls_pem_copy(ei__tls_t *t, char **cert, char **key, char **ca, ei_error_t *err);

/**
 * Which set is in force: 1 at creation, one more per successful reload. A front-end that keeps
 * its own copy (gRPC) compares it with the generation it copied to know when to copy again.
 */
unsigned long ei__tls_generation(ei__tls_t *t);

/** Not-after time of the certificate in force (seconds since the epoch), for the log. */
long long ei__tls_not_after(ei__tls_t *t);

void ei__tls_destroy(ei__tls_t *t);

#endif
