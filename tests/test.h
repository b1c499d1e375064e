/* SPDX-License-Identifier: MIT */
/*
 * A minimal test harness: ASSERT_* macros that print file, line, both expressions and both values,
 * and a runner that executes every TEST() in order and prints "N passed, N failed".
 *
 *     TEST(parse_ok) { ASSERT_EQ(1 + 1, 2); }
 *     int main(void) { return RUN_TESTS(parse_ok); }
 */
#ifndef EI_TEST_H
#define EI_TEST_H

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ei_test_failed_flag;

#define TEST(name) static void name(void)

#define EI_TEST_FAIL_(...)                                                                         \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        ei_test_failed_flag = 1;                                                                   \
        return;                                                                                    \
    } while (0)

#define ASSERT_TRUE(c)                                                                             \
    do {                                                                                           \
        if (!(c))                                                                                  \
            EI_TEST_FAIL_("ASSERT_TRUE(%s) failed", #c);                                           \
    } while (0)
#define ASSERT_EQ(a, b)                                                                            \
    do {                                                                                           \
        long long ea_ = (long long)(a), eb_ = (long long)(b);                                      \
        if (ea_ != eb_)                                                                            \
            EI_TEST_FAIL_("ASSERT_EQ(%s, %s) failed: %lld != %lld", #a, #b, ea_, eb_);             \
    } while (0)
#define ASSERT_NE(a, b)                                                                            \
    do {                                                                                           \
        long long ea_ = (long long)(a), eb_ = (long long)(b);                                      \
        if (ea_ == eb_)                                                                            \
            EI_TEST_FAIL_("ASSERT_NE(%s, %s) failed: both %lld", #a, #b, ea_);                     \
    } while (0)
#define ASSERT_NEAR(a, b, tol)                                                                     \
    do {                                                                                           \
        double ea_ = (double)(a), eb_ = (double)(b);                                               \
        if (!(ea_ - eb_ <= (tol) && eb_ - ea_ <= (tol)))                                           \
            EI_TEST_FAIL_("ASSERT_NEAR(%s, %s) failed: %.9g vs %.9g (tol %g)", #a, #b, ea_, eb_,   \
                          (double)(tol));                                                          \
    } while (0)
#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *ea_ = (a), *eb_ = (b);                                                         \
        if (ea_ == NULL || eb_ == NULL || strcmp(ea_, eb_) != 0)                                   \
            EI_TEST_FAIL_("ASSERT_STR_EQ(%s, %s) failed: \"%s\" vs \"%s\"", #a, #b,                \
                          ea_ ? ea_ : "(null)", eb_ ? eb_ : "(null)");                             \
    } while (0)
#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *ea_ = (hay), *eb_ = (needle);                                                  \
        if (ea_ == NULL || strstr(ea_, eb_) == NULL)                                               \
            EI_TEST_FAIL_("ASSERT_CONTAINS(%s, %s) failed: \"%s\" lacks \"%s\"", #hay, #needle,    \
                          ea_ ? ea_ : "(null)", eb_);                                              \
    } while (0)
#define ASSERT_NULL(p) ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)
/* `code` must be EI_OK; on failure prints the error message held in `err`. */
#define ASSERT_OK(code, err)                                                                       \
    do {                                                                                           \
        int ec_ = (int)(code);                                                                     \
        if (ec_ != 0)                                                                              \
            EI_TEST_FAIL_("%s failed: code %d: %s", #code, ec_, (err)->msg);                       \
    } while (0)

/*
 * Allocation-failure injection through the library's allocator hook (SQLite's test_malloc idea):
 * after ei_test_oom_install() and ei_test_oom_arm(n), n more allocations succeed and every later
 * one fails, until ei_test_oom_disarm(). ei_test_oom_uninstall() restores the C allocator.
 */
static inline atomic_long *ei_test_oom_budget(void)
{
    static atomic_long budget = -1;
    return &budget;
}
static inline int ei_test_oom_should_fail(void)
{
    /* < 0: off; > 0: that many successes left; 0: every allocation fails. */
    atomic_long *b = ei_test_oom_budget();
    long v = atomic_load(b);
    while (v > 0) {
        if (atomic_compare_exchange_weak(b, &v, v - 1))
            return 0;
    }
    return v == 0;
}
static inline void *ei_test_oom_malloc(size_t n)
{
    return ei_test_oom_should_fail() ? NULL : malloc(n);
}
static inline void *ei_test_oom_realloc(void *p, size_t n)
{
    return ei_test_oom_should_fail() ? NULL : realloc(p, n);
}
static inline void ei_test_oom_arm(long n)
{
    atomic_store(ei_test_oom_budget(), n);
}
static inline void ei_test_oom_disarm(void)
{
    atomic_store(ei_test_oom_budget(), -1);
}
#define ei_test_oom_install() ei_set_allocator(ei_test_oom_malloc, ei_test_oom_realloc, free)
#define ei_test_oom_uninstall()                                                                    \
    do {                                                                                           \
        ei_test_oom_disarm();                                                                      \
        ei_set_allocator(NULL, NULL, NULL);                                                        \
    } while (0)

typedef struct {
    const char *name;
    void (*fn)(void);
} ei_test_case_t;

static inline int ei_test_run(const ei_test_case_t *cases, size_t n)
{
    int passed = 0, failed = 0;
    const char *only = getenv("EI_TEST_ONLY");
    for (size_t i = 0; i < n; i++) {
        if (only != NULL && strcmp(only, cases[i].name) != 0)
            continue;
        ei_test_failed_flag = 0;
        cases[i].fn();
        if (ei_test_failed_flag) {
            failed++;
            fprintf(stderr, "FAIL %s\n", cases[i].name);
        } else {
            passed++;
            fprintf(stderr, "ok   %s\n", cases[i].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#define EI_TEST_ENTRY_(n) {#n, n},
#define EI_TEST_MAP_(...) __VA_ARGS__
/* RUN_TESTS(a, b, c): runs the named TEST()s. */
#define RUN_TESTS(...)                                                                             \
    ei_test_run_list_(#__VA_ARGS__, (void (*[])(void)){__VA_ARGS__},                               \
                      sizeof((void (*[])(void)){__VA_ARGS__}) / sizeof(void (*)(void)))

static inline int ei_test_run_list_(const char *names, void (*fns[])(void), size_t n)
{
    /* Split the stringified argument list into names. */
    ei_test_case_t *cases = calloc(n, sizeof(*cases));
    char *copy = strdup(names);
    char *p = copy;
    for (size_t i = 0; i < n; i++) {
        while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t')
            p++;
        cases[i].name = p;
        while (*p && *p != ',')
            p++;
        char *end = p;
        while (end > cases[i].name && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\t'))
            end--;
        if (*p)
            p++;
        *end = '\0';
        cases[i].fn = fns[i];
    }
    int rc = ei_test_run(cases, n);
    free(copy);
    free(cases);
    return rc;
}

#endif
