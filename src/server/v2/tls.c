/* SPDX-License-Identifier: MIT */
/*
 * TLS credential sets (GnuTLS) for the server's front-ends; see tls.h. A set is reference-counted:
 * the holder `t->cur` owns one reference and every connection that started with the set owns one,
 * so a reload never frees credentials a live session still points to.
 */
#include "tls.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PEM_MAX (1u << 20)
#define MAX_CHAIN 16

typedef struct cred_set {
    gnutls_certificate_credentials_t cred;
    _Atomic long refs;
    char *cert_pem, *key_pem, *ca_pem;
    long long not_after;
} cred_set_t;

struct ei__tls {
    char *cert_path, *key_path, *ca_path;
    pthread_mutex_t mu;
    cred_set_t *cur;
    cred_set_t *initial;      /* its PEM bytes stay for the HTTP library (one more reference) */
    unsigned long generation; /* under mu: 1, +1 per successful reload */
};

static void set_release(cred_set_t *c)
{
    if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    if (c->cred != NULL)
        gnutls_certificate_free_credentials(c->cred);
    if (c->key_pem != NULL) {
        gnutls_memset(c->key_pem, 0, strlen(c->key_pem));
        ei__free(c->key_pem);
    }
    ei__free(c->cert_pem);
    ei__free(c->ca_pem);
    ei__free(c);
}

static ei_code_t read_pem(const char *path, const char *what, char **out, ei_error_t *err)
{
    unsigned char *d = NULL;
    size_t n = 0;
    ei_code_t rc = ei__file_read(path, PEM_MAX, &d, &n, err);
    if (rc == EI_ELIMIT)
        return ei__fail(err, EI_EFORMAT, "%s %s: too big for a PEM file", what, path);
    if (rc != EI_OK) {
        ei__error_prefix(err, "%s", what);
        return rc;
    }
    *out = (char *)d;
    return EI_OK;
}

static void fmt_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* The leaf certificate must be within its validity period now. */
static ei_code_t check_validity(const char *pem, const char *path, long long *not_after,
                                ei_error_t *err)
{
    gnutls_x509_crt_t crts[MAX_CHAIN];
    unsigned n = MAX_CHAIN;
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
    int r = gnutls_x509_crt_list_import(crts, &n, &d, GNUTLS_X509_FMT_PEM,
                                        GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED);
    if (r < 0 || n == 0)
        return ei__fail(err, EI_EFORMAT, "TLS certificate %s: no PEM certificate (%s)", path,
                        r < 0 ? gnutls_strerror(r) : "empty");
    time_t now = time(NULL);
    time_t nb = gnutls_x509_crt_get_activation_time(crts[0]);
    time_t na = gnutls_x509_crt_get_expiration_time(crts[0]);
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    char when[64];
    if (na != (time_t)-1 && na < now) {
        fmt_time(na, when, sizeof(when));
        return ei__fail(err, EI_EINVAL, "TLS certificate %s expired on %s", path, when);
    }
    if (nb != (time_t)-1 && nb > now) {
        fmt_time(nb, when, sizeof(when));
        return ei__fail(err, EI_EINVAL, "TLS certificate %s is not valid before %s", path, when);
    }
    *not_after = (long long)na;
    return EI_OK;
}

static ei_code_t load_set(const ei__tls_t *t, cred_set_t **out, ei_error_t *err)
{
    *out = NULL;
    cred_set_t *c = ei__calloc(1, sizeof(*c));
    if (c == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    atomic_init(&c->refs, 1);
    ei_code_t rc = read_pem(t->cert_path, "TLS certificate", &c->cert_pem, err);
    if (rc == EI_OK)
        rc = read_pem(t->key_path, "TLS key", &c->key_pem, err);
    if (rc == EI_OK && t->ca_path != NULL)
        rc = read_pem(t->ca_path, "TLS client CA", &c->ca_pem, err);
    if (rc == EI_OK)
        rc = check_validity(c->cert_pem, t->cert_path, &c->not_after, err);
    if (rc != EI_OK)
        goto fail;
    int r = gnutls_certificate_allocate_credentials(&c->cred);
    if (r < 0) {
        c->cred = NULL;
        rc = ei__fail(err, EI_ENOMEM, "TLS credentials: %s", gnutls_strerror(r));
        goto fail;
    }
    gnutls_datum_t cd = {(unsigned char *)c->cert_pem, (unsigned)strlen(c->cert_pem)};
    gnutls_datum_t kd = {(unsigned char *)c->key_pem, (unsigned)strlen(c->key_pem)};
    r = gnutls_certificate_set_x509_key_mem2(c->cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (r < 0) {
        rc = ei__fail(err, EI_EFORMAT, "TLS certificate %s with key %s: %s", t->cert_path,
                      t->key_path, gnutls_strerror(r));
        goto fail;
    }
    if (c->ca_pem != NULL) {
        gnutls_datum_t ad = {(unsigned char *)c->ca_pem, (unsigned)strlen(c->ca_pem)};
        r = gnutls_certificate_set_x509_trust_mem(c->cred, &ad, GNUTLS_X509_FMT_PEM);
        if (r <= 0) {
            rc = ei__fail(err, EI_EFORMAT, "TLS client CA %s: %s", t->ca_path,
                          r < 0 ? gnutls_strerror(r) : "no certificates in the file");
            goto fail;
        }
    }
    *out = c;
    return EI_OK;
fail:
    set_release(c);
    return rc;
}

ei_code_t ei__tls_create(const char *cert_path, const char *key_path, const char *client_ca_path,
                         ei__tls_t **out, ei_error_t *err)
{
    *out = NULL;
    if (cert_path == NULL || key_path == NULL)
        return ei__fail(err, EI_EINVAL, "TLS needs both a certificate and a key");
    if (gnutls_check_version("3.6.0") == NULL)
        return ei__fail(err, EI_EUNSUPPORTED, "TLS needs GnuTLS 3.6 or later (this is %s)",
                        gnutls_check_version(NULL));
    ei__tls_t *t = ei__calloc(1, sizeof(*t));
    if (t == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    pthread_mutex_init(&t->mu, NULL);
    t->cert_path = ei__strdup(cert_path);
    t->key_path = ei__strdup(key_path);
    t->ca_path = client_ca_path != NULL ? ei__strdup(client_ca_path) : NULL;
    ei_code_t rc = EI_OK;
    if (t->cert_path == NULL || t->key_path == NULL ||
        (client_ca_path != NULL && t->ca_path == NULL))
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
    if (rc == EI_OK)
        rc = load_set(t, &t->cur, err);
    if (rc != EI_OK) {
        ei__tls_destroy(t);
        return rc;
    }
    t->initial = t->cur;
    t->generation = 1;
    atomic_fetch_add(&t->initial->refs, 1);
    *out = t;
    return EI_OK;
}

ei_code_t ei__tls_reload(ei__tls_t *t, ei_error_t *err)
{
    cred_set_t *c = NULL;
    ei_code_t rc = load_set(t, &c, err);
    if (rc != EI_OK)
        return rc;
    pthread_mutex_lock(&t->mu);
    cred_set_t *old = t->cur;
    t->cur = c;
    t->generation++;
    pthread_mutex_unlock(&t->mu);
    set_release(old);
    return EI_OK;
}

bool ei__tls_mutual(const ei__tls_t *t)
{
    return t->ca_path != NULL;
}

const char *ei__tls_initial_cert_pem(const ei__tls_t *t)
{
    return t->initial->cert_pem;
}

const char *ei__tls_initial_key_pem(const ei__tls_t *t)
{
    return t->initial->key_pem;
}

const char *ei__tls_initial_ca_pem(const ei__tls_t *t)
{
    return t->initial->ca_pem;
}

void *ei__tls_attach(ei__tls_t *t, void *gnutls_session)
{
    gnutls_session_t s = gnutls_session;
    pthread_mutex_lock(&t->mu);
    cred_set_t *c = t->cur;
    atomic_fetch_add(&c->refs, 1);
    pthread_mutex_unlock(&t->mu);
    if (gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred) < 0) {
        set_release(c);
        return NULL;
    }
    if (t->ca_path != NULL) {
        /* Ask for a client certificate, refuse the handshake without one, and verify it against
         * the CA during the handshake (no host name: any certificate the CA signed is a client). */
        gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
        gnutls_session_set_verify_cert(s, NULL, 0);
    }
    return c;
}

void ei__tls_detach(ei__tls_t *t, void *handle)
{
    (void)t;
    set_release(handle);
}

bool ei__tls_peer_ok(const ei__tls_t *t, void *gnutls_session)
{
    if (t->ca_path == NULL)
        return true;
    unsigned status = 0;
    unsigned n = 0;
    if (gnutls_certificate_get_peers(gnutls_session, &n) == NULL || n == 0)
        return false;
    return gnutls_certificate_verify_peers2(gnutls_session, &status) == 0 && status == 0;
}

ei_code_t ei__tls_pem_copy(ei__tls_t *t, char **cert, char **key, char **ca, ei_error_t *err)
{
    pthread_mutex_lock(&t->mu);
    cred_set_t *c = t->cur;
    atomic_fetch_add(&c->refs, 1);
    pthread_mutex_unlock(&t->mu);
    *cert = ei__strdup(c->cert_pem);
    *key = ei__strdup(c->key_pem);
    bool has_ca = c->ca_pem != NULL;
    *ca = has_ca ? ei__strdup(c->ca_pem) : NULL;
    set_release(c);
    if (*cert == NULL || *key == NULL || (has_ca && *ca == NULL)) {
        ei__free(*cert);
        ei__free(*key);
        ei__free(*ca);
        *cert = *key = *ca = NULL;
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    return EI_OK;
}

unsigned long ei__tls_generation(ei__tls_t *t)
{
    pthread_mutex_lock(&t->mu);
    unsigned long g = t->generation;
    pthread_mutex_unlock(&t->mu);
    return g;
}

long long ei__tls_not_after(ei__tls_t *t)
{
    pthread_mutex_lock(&t->mu);
    long long v = t->cur->not_after;
    pthread_mutex_unlock(&t->mu);
    return v;
}

void ei__tls_destroy(ei__tls_t *t)
{
    if (t == NULL)
        return;
    set_release(t->cur);
    set_release(t->initial);
    pthread_mutex_destroy(&t->mu);
    ei__free(t->cert_path);
    ei__free(t->key_path);
    ei__free(t->ca_path);
    ei__free(t);
}
