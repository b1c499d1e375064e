/* SPDX-License-Identifier: MIT */
/*
 * API keys (src/server/auth.c): the key file (good and every kind of bad line), the check's
 * verdicts for each way a credential can be presented, scopes (infer implies metadata, '*'),
 * health open unless protected, reload (new keys in force, a broken file keeps the old ones), and
 * checks racing a reload.
 */
#include "auth.h"
#include "test.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[256];

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* "NAME sha256:HEX SCOPES\n" for token TOKEN. */
static void key_line(char *buf, size_t size, const char *name, const char *token,
                     const char *scopes)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof(h) + 1];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(buf, size, "%s sha256:%s %s\n", name, hex, scopes);
}

static ei__auth_t *make(const char *text, bool protect_health, ei_error_t *err)
{
    ei__auth_t *a = NULL;
    write_file(text);
    if (ei__auth_create(path, protect_health, &a, err) != EI_OK)
        return NULL;
    return a;
}

TEST(verdicts)
{
    char l1[256], l2[256], l3[256], text[1024];
    ei_error_t err = {0};
    key_line(l1, sizeof(l1), "ci", "tok-infer", "infer");
    key_line(l2, sizeof(l2), "ops", "tok-ops", "repository,metrics,statistics");
    key_line(l3, sizeof(l3), "root", "tok-root", "*");
    snprintf(text, sizeof(text), "# keys\n\n%s  %s\r\n%s", l1, l2, l3);
    ei__auth_t *a = make(text, false, &err);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(ei__auth_key_count(a), 3);
    char who[65];
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, NULL, who, sizeof(who)), EI__AUTH_MISSING);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Basic dXNlcjpwYXNz", who, sizeof(who)),
              EI__AUTH_INVALID);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Bearer", who, sizeof(who)), EI__AUTH_INVALID);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Bearer   ", who, sizeof(who)), EI__AUTH_INVALID);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Bearer tok-wrong", who, sizeof(who)),
              EI__AUTH_INVALID);
    ASSERT_STR_EQ(who, "");
    /* The hash in the file is not a token. */
    char hashtok[300];
    snprintf(hashtok, sizeof(hashtok), "Bearer %.64s", strstr(l1, "sha256:") + 7);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, hashtok, who, sizeof(who)), EI__AUTH_INVALID);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Bearer tok-infer", who, sizeof(who)),
              EI__AUTH_ALLOW);
    ASSERT_STR_EQ(who, "ci");
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "bearer \ttok-infer  ", who, sizeof(who)),
              EI__AUTH_ALLOW);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_METADATA, "Bearer tok-infer", who, sizeof(who)),
              EI__AUTH_ALLOW); /* infer implies metadata */
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_REPOSITORY, "Bearer tok-infer", who, sizeof(who)),
              EI__AUTH_FORBIDDEN);
    ASSERT_STR_EQ(who, "ci");
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_SHM, "Bearer tok-infer", who, sizeof(who)),
              EI__AUTH_FORBIDDEN);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Bearer tok-ops", who, sizeof(who)),
              EI__AUTH_FORBIDDEN);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_METRICS, "Bearer tok-ops", who, sizeof(who)),
              EI__AUTH_ALLOW);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_SHM, "Bearer tok-root", who, sizeof(who)),
              EI__AUTH_ALLOW);
    /* Health is open without protect_health, even with a bad credential; NONE always is. */
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_HEALTH, NULL, who, sizeof(who)), EI__AUTH_ALLOW);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_OPEN, "junk", who, sizeof(who)), EI__AUTH_ALLOW);
    /* A route that names no scope needs a valid key, any key. */
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_AUTHENTICATED, NULL, who, sizeof(who)), EI__AUTH_MISSING);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_AUTHENTICATED, "Bearer tok-ops", who, sizeof(who)),
              EI__AUTH_ALLOW);
    /* No key table: everything is allowed. */
    ASSERT_EQ(ei__auth_check(NULL, EI__SCOPE_REPOSITORY, NULL, who, sizeof(who)), EI__AUTH_ALLOW);
    char msg[128];
    ei__auth_message(EI__AUTH_FORBIDDEN, EI__SCOPE_REPOSITORY, "ci", msg, sizeof(msg));
    ASSERT_CONTAINS(msg, "'ci' lacks the 'repository' scope");
    ei__auth_destroy(a);

    a = make(text, true, &err);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_HEALTH, NULL, who, sizeof(who)), EI__AUTH_MISSING);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_HEALTH, "Bearer tok-infer", who, sizeof(who)),
              EI__AUTH_FORBIDDEN);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_HEALTH, "Bearer tok-root", who, sizeof(who)),
              EI__AUTH_ALLOW);
    ei__auth_destroy(a);
}

TEST(bad_files)
{
    static const struct {
        const char *text, *says;
    } cases[] = {
        {"", "no keys"},
        {"# nothing\n\n", "no keys"},
        {"bad/name sha256:00 infer\n", "line 1: expected a key name"},
        {"ci\n", "has no hash"},
        {"ci s3cret-token infer\n", "never the token itself"},
        {"ci sha256:abcd infer\n", "64 hex digits"},
        {"ci sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
         "expected scopes"},
        {"ci sha256:0000000000000000000000000000000000000000000000000000000000000000 infer,admin\n",
         "expected scopes"},
        {"ci sha256:0000000000000000000000000000000000000000000000000000000000000000 infer x\n",
         "unexpected text"},
        {"ci 0000000000000000000000000000000000000000000000000000000000000000 infer\n"
         "ci 1111111111111111111111111111111111111111111111111111111111111111 metrics\n",
         "line 2: key name 'ci' appears twice"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ei_error_t err = {0};
        ei__auth_t *a = make(cases[i].text, false, &err);
        ASSERT_NULL(a);
        ASSERT_EQ(err.code, EI_EFORMAT);
        ASSERT_CONTAINS(err.msg, cases[i].says);
        ASSERT_CONTAINS(err.msg, path);
    }
    ei_error_t err = {0};
    ei__auth_t *a = NULL;
    ASSERT_EQ(ei__auth_create("/nonexistent/keys", false, &a, &err), EI_ENOENT);
}

TEST(reload_keeps_or_swaps)
{
    char l1[256], l2[256];
    ei_error_t err = {0};
    key_line(l1, sizeof(l1), "old", "tok-old", "infer");
    key_line(l2, sizeof(l2), "new", "tok-new", "infer");
    ei__auth_t *a = make(l1, false, &err);
    ASSERT_NOT_NULL(a);
    write_file("garbage\n");
    ASSERT_EQ(ei__auth_reload(a, &err), EI_EFORMAT);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Bearer tok-old", NULL, 0), EI__AUTH_ALLOW);
    write_file(l2);
    ASSERT_OK(ei__auth_reload(a, &err), &err);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Bearer tok-old", NULL, 0), EI__AUTH_INVALID);
    ASSERT_EQ(ei__auth_check(a, EI__SCOPE_INFER, "Bearer tok-new", NULL, 0), EI__AUTH_ALLOW);
    ei__auth_destroy(a);
}

struct race {
    ei__auth_t *a;
    _Atomic int stop;
    _Atomic long bad;
};

static void *checker(void *arg)
{
    struct race *r = arg;
    while (!atomic_load(&r->stop)) {
        /* Both files hold "stay"; the other key comes and goes. */
        if (ei__auth_check(r->a, EI__SCOPE_INFER, "Bearer tok-stay", NULL, 0) != EI__AUTH_ALLOW)
            atomic_fetch_add(&r->bad, 1);
    }
    return NULL;
}

TEST(checks_race_reloads)
{
    char l1[256], l2[256], both[512];
    ei_error_t err = {0};
    key_line(l1, sizeof(l1), "stay", "tok-stay", "infer");
    key_line(l2, sizeof(l2), "extra", "tok-extra", "metrics");
    snprintf(both, sizeof(both), "%s%s", l1, l2);
    struct race r = {.a = make(l1, false, &err)};
    ASSERT_NOT_NULL(r.a);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, checker, &r);
    for (int i = 0; i < 200; i++) {
        write_file(i % 2 ? l1 : both);
        if (ei__auth_reload(r.a, &err) != EI_OK)
            atomic_fetch_add(&r.bad, 1000);
    }
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    ASSERT_EQ(atomic_load(&r.bad), 0);
    ei__auth_destroy(r.a);
}

int main(void)
{
    snprintf(path, sizeof(path), "/tmp/ei_auth_keys_%d", (int)getpid());
    int rc = RUN_TESTS(verdicts, bad_files, reload_keeps_or_swaps, checks_race_reloads);
    unlink(path);
    return rc;
}
