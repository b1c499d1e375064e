/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for .npy files (src/core/tensor_npy.c): the NumPy-written fixtures in tests/data/npy
 * (made by make_npy.py: every dtype, both byte orders, Fortran order, strings, versions 2 and 3),
 * save/load round trips of every type NumPy has, and every way a file can be broken: each prefix of
 * a valid file, garbage, lying headers, trailing bytes.
 */
#include "test.h"

#include <edgeinfer/edgeinfer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fixture_dir[1024];

static const char *fixture(const char *name)
{
    static char path[1200];
    snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
    return path;
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Each le_/be_ fixture holds arange(6) as a 2x3 array. */
TEST(load_every_dtype_both_orders)
{
    static const struct {
        const char *code;
        ei_dtype_t dtype;
    } cases[] = {
        {"i1", EI_DTYPE_INT8},    {"u1", EI_DTYPE_UINT8},   {"i2", EI_DTYPE_INT16},
        {"u2", EI_DTYPE_UINT16},  {"i4", EI_DTYPE_INT32},   {"u4", EI_DTYPE_UINT32},
        {"i8", EI_DTYPE_INT64},   {"u8", EI_DTYPE_UINT64},  {"f2", EI_DTYPE_FLOAT16},
        {"f4", EI_DTYPE_FLOAT32}, {"f8", EI_DTYPE_FLOAT64}, {"b1", EI_DTYPE_BOOL},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (int be = 0; be < 2; be++) {
            char name[32];
            snprintf(name, sizeof(name), "%s_%s.npy", be ? "be" : "le", cases[c].code);
            if (be && (cases[c].code[1] == '1'))
                continue; /* one-byte types have no byte order */
            ei_error_t err = {0};
            ei_tensor_t *t = NULL;
            ASSERT_OK(ei_tensor_load_npy(fixture(name), &t, &err), &err);
            ASSERT_EQ(ei_tensor_dtype(t), cases[c].dtype);
            ASSERT_EQ(ei_tensor_rank(t), 2);
            ASSERT_EQ(ei_tensor_shape(t)[0], 2);
            ASSERT_EQ(ei_tensor_shape(t)[1], 3);
            for (size_t i = 0; i < 6; i++) {
                double want = cases[c].dtype == EI_DTYPE_BOOL ? (double)(i % 2) : (double)i;
                if (ei_tensor_get_f64(t, i) != want)
                    fprintf(stderr, "%s element %zu\n", name, i);
                ASSERT_NEAR(ei_tensor_get_f64(t, i), want, 0);
            }
            ei_tensor_destroy(t);
        }
    }
}

TEST(load_complex_is_refused)
{
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    ASSERT_EQ(ei_tensor_load_npy(fixture("le_c8.npy"), &t, &err), EI_EUNSUPPORTED);
    ASSERT_NULL(t);
    ASSERT_CONTAINS(err.msg, "le_c8.npy");
    ASSERT_CONTAINS(err.msg, "complex64");
}

TEST(load_fortran_order)
{
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    ASSERT_OK(ei_tensor_load_npy(fixture("fortran_f4.npy"), &t, &err), &err);
    ASSERT_EQ(ei_tensor_rank(t), 3);
    ASSERT_EQ(ei_tensor_shape(t)[2], 4);
    for (size_t i = 0; i < 24; i++)
        ASSERT_NEAR(ei_tensor_get_f64(t, i), (double)i, 0);
    ei_tensor_destroy(t);
    ASSERT_OK(ei_tensor_load_npy(fixture("fortran_be_i8.npy"), &t, &err), &err);
    ASSERT_EQ(ei_tensor_dtype(t), EI_DTYPE_INT64);
    for (size_t i = 0; i < 24; i++)
        ASSERT_EQ(((const int64_t *)ei_tensor_data(t))[i], (int64_t)i);
    ei_tensor_destroy(t);
}

TEST(load_scalar_empty_versions)
{
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    ASSERT_OK(ei_tensor_load_npy(fixture("scalar_f8.npy"), &t, &err), &err);
    ASSERT_EQ(ei_tensor_rank(t), 0);
    ASSERT_EQ(ei_tensor_count(t), 1);
    ASSERT_NEAR(ei_tensor_get_f64(t, 0), 3.5, 0);
    ei_tensor_destroy(t);
    ASSERT_OK(ei_tensor_load_npy(fixture("empty_f4.npy"), &t, &err), &err);
    ASSERT_EQ(ei_tensor_count(t), 0);
    ASSERT_EQ(ei_tensor_shape(t)[1], 3);
    ei_tensor_destroy(t);
    const char *vs[] = {"v2_i4.npy", "v3_i4.npy"};
    for (size_t k = 0; k < 2; k++) {
        ASSERT_OK(ei_tensor_load_npy(fixture(vs[k]), &t, &err), &err);
        ASSERT_EQ(ei_tensor_dtype(t), EI_DTYPE_INT32);
        ASSERT_NEAR(ei_tensor_get_f64(t, 5), 5.0, 0);
        ei_tensor_destroy(t);
    }
}

static const char *const want_strs[] = {"a",
                                        "bc",
                                        ("d\xc3\xa9"
                                         "f"),
                                        "",
                                        "x",
                                        "\xe2\x82\xac\xf0\x9f\x98\x80"};

TEST(load_strings)
{
    const char *files[] = {"str_U.npy", "str_be_U.npy", "str_fortran_U.npy"};
    for (size_t f = 0; f < 3; f++) {
        ei_error_t err = {0};
        ei_tensor_t *t = NULL;
        ASSERT_OK(ei_tensor_load_npy(fixture(files[f]), &t, &err), &err);
        ASSERT_EQ(ei_tensor_dtype(t), EI_DTYPE_STRING);
        ASSERT_EQ(ei_tensor_count(t), 6);
        for (size_t i = 0; i < 6; i++)
            ASSERT_STR_EQ(ei_tensor_string(t, i, NULL), want_strs[i]);
        ei_tensor_destroy(t);
    }
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    ASSERT_OK(ei_tensor_load_npy(fixture("str_S.npy"), &t, &err), &err);
    ASSERT_EQ(ei_tensor_count(t), 3);
    size_t len = 9;
    ASSERT_STR_EQ(ei_tensor_string(t, 0, &len), "ab");
    ASSERT_EQ(len, 2);
    ASSERT_STR_EQ(ei_tensor_string(t, 1, NULL), "c");
    ASSERT_STR_EQ(ei_tensor_string(t, 2, &len), "");
    ASSERT_EQ(len, 0);
    ei_tensor_destroy(t);
}

TEST(load_unsupported_kinds)
{
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    ASSERT_EQ(ei_tensor_load_npy(fixture("object.npy"), &t, &err), EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "object");
    ASSERT_EQ(ei_tensor_load_npy(fixture("structured.npy"), &t, &err), EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "structured");
    ASSERT_EQ(ei_tensor_load_npy(fixture("no_such_file.npy"), &t, &err), EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "no_such_file.npy");
    ASSERT_NULL(t);
}

/* Every proper prefix of a valid file is refused with EI_EFORMAT (never a crash or a tensor). */
TEST(every_truncation_fails)
{
    const char *files[] = {"le_f4.npy", "str_U.npy", "v2_i4.npy", "fortran_f4.npy"};
    for (size_t f = 0; f < 4; f++) {
        size_t size = 0;
        unsigned char *buf = slurp(fixture(files[f]), &size);
        ASSERT_NOT_NULL(buf);
        for (size_t n = 0; n < size; n++) {
            /* A copy of exactly n bytes, so ASan sees any read past the end. */
            unsigned char *copy = malloc(n ? n : 1);
            memcpy(copy, buf, n);
            ei_error_t err = {0};
            ei_tensor_t *t = NULL;
            ei_code_t rc = ei_tensor_parse_npy(copy, n, "cut.npy", &t, &err);
            free(copy);
            if (rc != EI_EFORMAT)
                fprintf(stderr, "%s cut at %zu: rc %d msg %s\n", files[f], n, rc, err.msg);
            ASSERT_EQ(rc, EI_EFORMAT);
            ASSERT_NULL(t);
            ASSERT_CONTAINS(err.msg, "cut.npy");
        }
        /* The last cut says it is truncated and how much data was missing. */
        ei_error_t err = {0};
        ei_tensor_t *t = NULL;
        ASSERT_EQ(ei_tensor_parse_npy(buf, size - 1, "cut.npy", &t, &err), EI_EFORMAT);
        ASSERT_CONTAINS(err.msg, "truncated");
        /* One byte too many is also refused. */
        unsigned char *more = malloc(size + 1);
        memcpy(more, buf, size);
        more[size] = 0;
        ASSERT_EQ(ei_tensor_parse_npy(more, size + 1, "long.npy", &t, &err), EI_EFORMAT);
        ASSERT_CONTAINS(err.msg, "trailing");
        free(more);
        free(buf);
    }
}

/* Builds a version 1.0 file with the given header text and `data_len` zero bytes of data. */
static unsigned char *make_npy(const char *header, size_t data_len, size_t *size)
{
    size_t hlen = strlen(header);
    *size = 10 + hlen + data_len;
    unsigned char *b = calloc(*size, 1);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(hlen & 0xFF);
    b[9] = (unsigned char)(hlen >> 8);
    memcpy(b + 10, header, hlen);
    return b;
}

TEST(bad_headers)
{
    static const struct {
        const char *header;
        size_t data;
        ei_code_t code;
        const char *msg;
    } cases[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, EI_OK, ""},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4, EI_EFORMAT, "truncated"},
        {"{'descr': '<f4', 'fortran_order': False}", 0, EI_EFORMAT, "lacks 'shape'"},
        {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}", 4, EI_EFORMAT, "fortran_order"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", 4, EI_EFORMAT, "dim 0"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}", 8, EI_EFORMAT, "separator"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': "
         "(99999999999999999999,)}",
         4, EI_EFORMAT, "dim 0"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': "
         "(4294967296, 4294967296, 4294967296)}",
         4, EI_EFORMAT, "overflows"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)}",
         4, EI_EFORMAT, "more than 16"},
        {"{'descr': '<q7', 'fortran_order': False, 'shape': ()}", 7, EI_EUNSUPPORTED, "'<q7'"},
        {"{'descr': '<f', 'fortran_order': False, 'shape': ()}", 4, EI_EFORMAT, "malformed"},
        {"{'descr': '', 'fortran_order': False, 'shape': ()}", 4, EI_EFORMAT, "malformed"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", 4, EI_EFORMAT, "'x'"},
        {"['descr']", 0, EI_EFORMAT, "not a dict"},
        {"{'descr: '<f4'}", 0, EI_EFORMAT, "expected"},
        {"{'descr': '<f4' 'shape': ()}", 4, EI_EFORMAT, "expected ','"},
        {"", 0, EI_EFORMAT, "not a dict"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t size = 0;
        unsigned char *b = make_npy(cases[i].header, cases[i].data, &size);
        ei_error_t err = {0};
        ei_tensor_t *t = NULL;
        ei_code_t rc = ei_tensor_parse_npy(b, size, "h.npy", &t, &err);
        free(b);
        if (rc != cases[i].code || (rc != EI_OK && strstr(err.msg, cases[i].msg) == NULL))
            fprintf(stderr, "case %zu: rc %d: %s\n", i, rc, err.msg);
        ASSERT_EQ(rc, cases[i].code);
        if (rc != EI_OK) {
            ASSERT_CONTAINS(err.msg, cases[i].msg);
            ASSERT_CONTAINS(err.msg, "h.npy");
        }
        ei_tensor_destroy(t);
    }
}

TEST(garbage_and_lying_lengths)
{
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    const char text[] = "this is not numpy at all, just text\n";
    ASSERT_EQ(ei_tensor_parse_npy(text, sizeof(text) - 1, "g.npy", &t, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "not a .npy file");
    ASSERT_EQ(ei_tensor_parse_npy(NULL, 0, "g.npy", &t, &err), EI_EFORMAT);
    /* Version 2 with a 4 GiB header length, and version 1 promising more than the file has. */
    unsigned char v2[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, '{', '}'};
    ASSERT_EQ(ei_tensor_parse_npy(v2, sizeof(v2), "g.npy", &t, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "over the limit");
    unsigned char v1[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xFF, 0x00, '{', '}'};
    ASSERT_EQ(ei_tensor_parse_npy(v1, sizeof(v1), "g.npy", &t, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "truncated");
    unsigned char v9[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 9, 0, 2, 0, '{', '}'};
    ASSERT_EQ(ei_tensor_parse_npy(v9, sizeof(v9), "g.npy", &t, &err), EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "9.0");
    /* Pseudo-random bytes after a valid magic never crash. */
    uint32_t x = 12345;
    for (int round = 0; round < 2000; round++) {
        unsigned char buf[96];
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        for (size_t i = 8; i < sizeof(buf); i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (unsigned char)(x >> 16);
        }
        buf[8] = (unsigned char)(round % 90);
        buf[9] = 0;
        ei_code_t rc = ei_tensor_parse_npy(buf, sizeof(buf), "r.npy", &t, &err);
        ASSERT_NE(rc, EI_OK);
        ASSERT_NULL(t);
    }
}

TEST(round_trip_every_numpy_type)
{
    static const ei_dtype_t types[] = {EI_DTYPE_BOOL,    EI_DTYPE_INT8,    EI_DTYPE_UINT8,
                                       EI_DTYPE_INT16,   EI_DTYPE_UINT16,  EI_DTYPE_INT32,
                                       EI_DTYPE_UINT32,  EI_DTYPE_INT64,   EI_DTYPE_UINT64,
                                       EI_DTYPE_FLOAT16, EI_DTYPE_FLOAT32, EI_DTYPE_FLOAT64};
    int64_t shapes[][3] = {{2, 3, 5}, {7, 0, 0}, {0, 0, 0}};
    size_t ranks[] = {3, 1, 0};
    char path[] = "/tmp/ei_test_npy_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        for (size_t s = 0; s < 3; s++) {
            ei_error_t err = {0};
            ei_tensor_t *t = NULL, *back = NULL;
            ASSERT_OK(ei_tensor_create(types[k], shapes[s], ranks[s], &t, &err), &err);
            unsigned char *d = ei_tensor_data(t);
            for (size_t i = 0; i < ei_tensor_nbytes(t); i++)
                d[i] = (unsigned char)(i * 37 + k);
            if (types[k] == EI_DTYPE_BOOL) {
                for (size_t i = 0; i < ei_tensor_nbytes(t); i++)
                    d[i] = (unsigned char)(i % 3 == 0);
            }
            ASSERT_OK(ei_tensor_save_npy(t, path, &err), &err);
            ASSERT_OK(ei_tensor_load_npy(path, &back, &err), &err);
            ASSERT_EQ(ei_tensor_dtype(back), types[k]);
            ASSERT_EQ(ei_tensor_rank(back), ranks[s]);
            for (size_t r = 0; r < ranks[s]; r++)
                ASSERT_EQ(ei_tensor_shape(back)[r], shapes[s][r]);
            ASSERT_EQ(ei_tensor_nbytes(back), ei_tensor_nbytes(t));
            ASSERT_TRUE(memcmp(ei_tensor_data(back), d, ei_tensor_nbytes(t)) == 0);
            ei_tensor_destroy(t);
            ei_tensor_destroy(back);
        }
    }
    /* The data starts on a 64-byte boundary, as NumPy writes it. */
    size_t size = 0;
    unsigned char *raw = slurp(path, &size);
    ASSERT_NOT_NULL(raw);
    ASSERT_EQ((10 + (size_t)raw[8]) % 64, 0);
    ASSERT_EQ(raw[10 + raw[8] - 1], '\n');
    free(raw);
    unlink(path);
}

TEST(round_trip_strings)
{
    char path[] = "/tmp/ei_test_npy_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    int64_t shape[] = {2, 3};
    ei_error_t err = {0};
    ei_tensor_t *t = NULL, *back = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_STRING, shape, 2, &t, &err), &err);
    for (size_t i = 0; i < 6; i++)
        ASSERT_OK(ei_tensor_set_string(t, i, want_strs[i], strlen(want_strs[i]), &err), &err);
    ASSERT_OK(ei_tensor_save_npy(t, path, &err), &err);
    size_t size = 0;
    unsigned char *raw = slurp(path, &size);
    ASSERT_NOT_NULL(raw);
    raw[size - 1] = 0;
    ASSERT_TRUE(memmem(raw, size, "'<U3'", 5) != NULL); /* longest is 3 code points */
    free(raw);
    ASSERT_OK(ei_tensor_load_npy(path, &back, &err), &err);
    ASSERT_EQ(ei_tensor_dtype(back), EI_DTYPE_STRING);
    for (size_t i = 0; i < 6; i++)
        ASSERT_STR_EQ(ei_tensor_string(back, i, NULL), want_strs[i]);
    ei_tensor_destroy(back);
    /* Not UTF-8: written as bytes, read back unchanged. */
    ASSERT_OK(ei_tensor_set_string(t, 1, "\xff\xfe", 2, &err), &err);
    ASSERT_OK(ei_tensor_save_npy(t, path, &err), &err);
    ASSERT_OK(ei_tensor_load_npy(path, &back, &err), &err);
    ASSERT_STR_EQ(ei_tensor_string(back, 1, NULL), "\xff\xfe");
    ASSERT_STR_EQ(ei_tensor_string(back, 2, NULL), want_strs[2]);
    ei_tensor_destroy(back);
    ei_tensor_destroy(t);
    unlink(path);
}

TEST(save_refuses_types_numpy_lacks)
{
    int64_t shape[] = {2};
    ei_dtype_t types[] = {EI_DTYPE_BFLOAT16, EI_DTYPE_FLOAT8E4M3FN, EI_DTYPE_INT4};
    for (size_t k = 0; k < 3; k++) {
        ei_error_t err = {0};
        ei_tensor_t *t = NULL;
        ASSERT_OK(ei_tensor_create(types[k], shape, 1, &t, &err), &err);
        ASSERT_EQ(ei_tensor_save_npy(t, "/tmp/ei_never_written.npy", &err), EI_EUNSUPPORTED);
        ASSERT_CONTAINS(err.msg, ei_dtype_name(types[k]));
        ei_tensor_destroy(t);
    }
    ASSERT_TRUE(access("/tmp/ei_never_written.npy", F_OK) != 0);
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, shape, 1, &t, &err), &err);
    ASSERT_EQ(ei_tensor_save_npy(t, "/nonexistent-dir/x.npy", &err), EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "/nonexistent-dir/x.npy");
    ei_tensor_destroy(t);
}

/* Every allocation failure while loading or saving is EI_ENOMEM, with nothing leaked. */
/* Found by fuzz/fuzz_tensor_files: a 100-byte file declaring 35 million zero-width strings. */
TEST(zero_width_bomb_is_refused)
{
    static const char hdr[] = "{'descr': '|U0', 'fortran_order': False, 'shape': (852, 3, 4, 3, 4, "
                              "3, 4, 3, 4), }";
    unsigned char buf[256];
    size_t hlen = sizeof(hdr) - 1 + 1;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)hlen;
    buf[9] = 0;
    memcpy(buf + 10, hdr, sizeof(hdr) - 1);
    buf[10 + hlen - 1] = '\n';
    ei_tensor_t *t = NULL;
    ei_error_t err = {0};
    ASSERT_EQ(ei_tensor_parse_npy(buf, 10 + hlen, "bomb.npy", &t, &err), EI_ELIMIT);
    ASSERT_NULL(t);
    ASSERT_CONTAINS(err.msg, "zero-width");
    /* A small zero-width array is still fine: three empty strings. */
    static const char small[] = "{'descr': '|S0', 'fortran_order': False, 'shape': (3,), }";
    hlen = sizeof(small) - 1 + 1;
    buf[8] = (unsigned char)hlen;
    memcpy(buf + 10, small, sizeof(small) - 1);
    buf[10 + hlen - 1] = '\n';
    ASSERT_OK(ei_tensor_parse_npy(buf, 10 + hlen, "small.npy", &t, &err), &err);
    ASSERT_EQ(ei_tensor_count(t), 3);
    ASSERT_STR_EQ(ei_tensor_string(t, 2, NULL), "");
    ei_tensor_destroy(t);
}

TEST(out_of_memory_loop)
{
    const char *files[] = {"str_U.npy", "fortran_f4.npy"};
    for (size_t f = 0; f < 2; f++) {
        long n = 0;
        ei_test_oom_install();
        for (; n < 10000; n++) {
            ei_test_oom_arm(n);
            ei_error_t err = {0};
            ei_tensor_t *t = NULL;
            ei_code_t rc = ei_tensor_load_npy(fixture(files[f]), &t, &err);
            if (rc == EI_OK) {
                rc = ei_tensor_save_npy(t, "/tmp/ei_test_npy_oom.npy", &err);
                ei_tensor_destroy(t);
                t = NULL;
                if (rc == EI_OK)
                    break;
            }
            if (rc != EI_ENOMEM) {
                ei_test_oom_disarm();
                ei_test_oom_uninstall();
                fprintf(stderr, "%s budget %ld: rc %d: %s\n", files[f], n, rc, err.msg);
            }
            ASSERT_EQ(rc, EI_ENOMEM);
            ASSERT_NULL(t);
        }
        ei_test_oom_disarm();
        ei_test_oom_uninstall();
        ASSERT_TRUE(n > 0 && n < 10000);
    }
    unlink("/tmp/ei_test_npy_oom.npy");
}

int main(void)
{
    const char *src = getenv("EI_SOURCE_DIR");
    snprintf(fixture_dir, sizeof(fixture_dir), "%s/tests/data/npy", src ? src : ".");
    return RUN_TESTS(
        load_every_dtype_both_orders, load_complex_is_refused, load_fortran_order,
        load_scalar_empty_versions, load_strings, load_unsupported_kinds, every_truncation_fails,
        bad_headers, garbage_and_lying_lengths, round_trip_every_numpy_type, round_trip_strings,
        save_refuses_types_numpy_lacks, zero_width_bomb_is_refused, out_of_memory_loop);
}
