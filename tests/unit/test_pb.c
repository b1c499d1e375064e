/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for ONNX TensorProto (.pb) files (src/core/tensor_pb.c): round trips for every
 * element type, files written by ONNX's own Python helpers (typed fields and raw_data), and bad
 * files (garbage, every truncation, wrong counts, external data, segments) that must be
 * EI_EFORMAT without crashing.
 */
#include "onnx.pb-c.h"
#include "test.h"

#include <edgeinfer/tensor.h>
#include <edgeinfer/tensor_io.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

static const char *tmp_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

/* A deterministic value for element i, representable in every numeric type. */
static double pattern(ei_dtype_t dt, size_t i)
{
    switch (dt) {
    case EI_DTYPE_BOOL:
        return (double)(i % 3 == 0);
    case EI_DTYPE_UINT4:
        return (double)(i % 16);
    case EI_DTYPE_INT4:
        return (double)((int)(i % 16) - 8);
    case EI_DTYPE_UINT8:
    case EI_DTYPE_UINT16:
    case EI_DTYPE_UINT32:
    case EI_DTYPE_UINT64:
        return (double)((i * 7) % 13);
    case EI_DTYPE_INT8:
    case EI_DTYPE_INT16:
    case EI_DTYPE_INT32:
    case EI_DTYPE_INT64:
        return (double)((int)((i * 7) % 13) - 6);
    default: /* floating point */
        return (double)((int)((i * 7) % 13) - 6) * 0.5;
    }
}

/* Writes pattern() into a fresh tensor of `dt` (bit patterns for the float types). */
static ei_tensor_t *make_pattern_tensor(ei_dtype_t dt, const int64_t *shape, size_t rank)
{
    ei_tensor_t *t = NULL;
    ei_error_t err = {0};
    if (ei_tensor_create(dt, shape, rank, &t, &err) != EI_OK) {
        fprintf(stderr, "create %s: %s\n", ei_dtype_name(dt), err.msg);
        return NULL;
    }
    size_t n = ei_tensor_count(t);
    uint8_t *p = ei_tensor_data(t);
    for (size_t i = 0; i < n; i++) {
        double v = pattern(dt, i);
        switch (dt) {
        case EI_DTYPE_FLOAT32:
            ((float *)p)[i] = (float)v;
            break;
        case EI_DTYPE_FLOAT64:
            ((double *)p)[i] = v;
            break;
        case EI_DTYPE_FLOAT16:
            ((uint16_t *)p)[i] = ei_f32_to_f16((float)v);
            break;
        case EI_DTYPE_BFLOAT16:
            ((uint16_t *)p)[i] = ei_f32_to_bf16((float)v);
            break;
        case EI_DTYPE_INT8:
            ((int8_t *)p)[i] = (int8_t)v;
            break;
        case EI_DTYPE_UINT8:
            ((uint8_t *)p)[i] = (uint8_t)v;
            break;
        case EI_DTYPE_BOOL:
            ((uint8_t *)p)[i] = (uint8_t)v;
            break;
        case EI_DTYPE_INT16:
            ((int16_t *)p)[i] = (int16_t)v;
            break;
        case EI_DTYPE_UINT16:
            ((uint16_t *)p)[i] = (uint16_t)v;
            break;
        case EI_DTYPE_INT32:
            ((int32_t *)p)[i] = (int32_t)v;
            break;
        case EI_DTYPE_UINT32:
            ((uint32_t *)p)[i] = (uint32_t)v;
            break;
        case EI_DTYPE_INT64:
            ((int64_t *)p)[i] = (int64_t)v;
            break;
        case EI_DTYPE_UINT64:
            ((uint64_t *)p)[i] = (uint64_t)v;
            break;
        case EI_DTYPE_UINT4:
        case EI_DTYPE_INT4: {
            uint8_t nib = (uint8_t)((int)v & 0xf);
            p[i / 2] = (uint8_t)(i % 2 ? (p[i / 2] & 0x0f) | (nib << 4) : (p[i / 2] & 0xf0) | nib);
            break;
        }
        default: /* float8: any byte is a valid bit pattern */
            p[i] = (uint8_t)(i * 37 + 11);
            break;
        }
    }
    return t;
}

static int same_tensor(const ei_tensor_t *a, const ei_tensor_t *b)
{
    if (ei_tensor_dtype(a) != ei_tensor_dtype(b) || ei_tensor_rank(a) != ei_tensor_rank(b))
        return 0;
    if (memcmp(ei_tensor_shape(a), ei_tensor_shape(b), ei_tensor_rank(a) * sizeof(int64_t)) != 0)
        return 0;
    if (ei_tensor_dtype(a) == EI_DTYPE_STRING) {
        for (size_t i = 0; i < ei_tensor_count(a); i++) {
            size_t la = 0, lb = 0;
            const char *sa = ei_tensor_string(a, i, &la), *sb = ei_tensor_string(b, i, &lb);
            if (la != lb || memcmp(sa, sb, la) != 0)
                return 0;
        }
        return 1;
    }
    return ei_tensor_nbytes(a) == ei_tensor_nbytes(b) &&
           (ei_tensor_nbytes(a) == 0 ||
            memcmp(ei_tensor_data(a), ei_tensor_data(b), ei_tensor_nbytes(a)) == 0);
}

TEST(round_trip_every_dtype)
{
    static const int64_t shapes[][3] = {{2, 3, 5}, {7, 0, 0}, {0, 0, 0}, {0, 4, 0}};
    static const size_t ranks[] = {3, 1, 0, 2};
    char path[256];
    for (int d = 1; d < EI__DTYPE_COUNT; d++) {
        ei_dtype_t dt = (ei_dtype_t)d;
        if (!ei_dtype_valid(dt) || dt == EI_DTYPE_STRING)
            continue;
        for (size_t s = 0; s < sizeof(ranks) / sizeof(ranks[0]); s++) {
            ei_error_t err = {0};
            ei_tensor_t *t = make_pattern_tensor(dt, shapes[s], ranks[s]);
            ASSERT_NOT_NULL(t);
            tmp_path("rt.pb", path, sizeof(path));
            ASSERT_OK(ei_tensor_save_pb(t, "my_tensor", path, &err), &err);
            ei_tensor_t *back = NULL;
            char *name = NULL;
            ASSERT_OK(ei_tensor_load_pb(path, &back, &name, &err), &err);
            ASSERT_STR_EQ(name, "my_tensor");
            if (!same_tensor(t, back))
                EI_TEST_FAIL_("%s rank %zu: round trip differs", ei_dtype_name(dt), ranks[s]);
            ei_free(name);
            ei_tensor_destroy(back);
            ei_tensor_destroy(t);
        }
    }
}

TEST(round_trip_strings)
{
    int64_t shape[2] = {2, 2};
    ei_tensor_t *t = NULL, *back = NULL;
    ei_error_t err = {0};
    char path[256];
    char *name = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_STRING, shape, 2, &t, &err), &err);
    ASSERT_OK(ei_tensor_set_string(t, 0, "hello", 5, &err), &err);
    ASSERT_OK(ei_tensor_set_string(t, 1, "a\0b", 3, &err), &err);
    ASSERT_OK(ei_tensor_set_string(t, 3, "\xc3\xa9t\xc3\xa9", 6, &err), &err);
    tmp_path("str.pb", path, sizeof(path));
    ASSERT_OK(ei_tensor_save_pb(t, NULL, path, &err), &err);
    ASSERT_OK(ei_tensor_load_pb(path, &back, &name, &err), &err);
    ASSERT_STR_EQ(name, "");
    ASSERT_TRUE(same_tensor(t, back));
    size_t len = 0;
    ASSERT_NOT_NULL(ei_tensor_string(back, 1, &len));
    ASSERT_EQ(len, 3);
    ei_free(name);
    ei_tensor_destroy(back);
    ei_tensor_destroy(t);
}

/*
 * ONNX's Python helpers write the reference files: make_tensor(raw=False) puts values in the typed
 * fields (bit patterns in int32_data for float16/bfloat16/bool/8- and 16-bit ints, uint64_data for
 * uint32), numpy_helper.from_array uses raw_data. Values follow pattern() above.
 */
static const char py_script[] =
    "import sys, numpy as np\n"
    "from onnx import helper, numpy_helper, TensorProto as T\n"
    "out = sys.argv[1]\n"
    "shape = [2, 3, 5]\n"
    "n = 30\n"
    "def pat(kind):\n"
    "    if kind == 'bool': return [i % 3 == 0 for i in range(n)]\n"
    "    if kind == 'u': return [(i * 7) % 13 for i in range(n)]\n"
    "    if kind == 'i': return [(i * 7) % 13 - 6 for i in range(n)]\n"
    "    return [((i * 7) % 13 - 6) * 0.5 for i in range(n)]\n"
    "types = {'float32': (T.FLOAT, 'f', np.float32), 'float64': (T.DOUBLE, 'f', np.float64),\n"
    "  'float16': (T.FLOAT16, 'f', np.float16), 'bfloat16': (T.BFLOAT16, 'f', None),\n"
    "  'int8': (T.INT8, 'i', np.int8), 'int16': (T.INT16, 'i', np.int16),\n"
    "  'int32': (T.INT32, 'i', np.int32), 'int64': (T.INT64, 'i', np.int64),\n"
    "  'uint8': (T.UINT8, 'u', np.uint8), 'uint16': (T.UINT16, 'u', np.uint16),\n"
    "  'uint32': (T.UINT32, 'u', np.uint32), 'uint64': (T.UINT64, 'u', np.uint64),\n"
    "  'bool': (T.BOOL, 'bool', np.bool_)}\n"
    "for name, (dt, kind, npt) in types.items():\n"
    "    vals = pat(kind)\n"
    "    t = helper.make_tensor(name, dt, shape, vals, raw=False)\n"
    "    assert not t.raw_data, name\n"
    "    open('%s/typed_%s.pb' % (out, name), 'wb').write(t.SerializeToString())\n"
    "    if npt is not None:\n"
    "        t = numpy_helper.from_array(np.array(vals, dtype=npt).reshape(shape), name)\n"
    "        assert t.raw_data, name\n"
    "        open('%s/raw_%s.pb' % (out, name), 'wb').write(t.SerializeToString())\n"
    "t = numpy_helper.from_array(np.array([b'ab', b'', b'x\\x00y'], dtype=object), 'strings')\n"
    "open('%s/typed_string.pb' % out, 'wb').write(t.SerializeToString())\n"
    "t = numpy_helper.from_array(np.array(3.5, dtype=np.float32), 'scalar')\n"
    "open('%s/raw_scalar.pb' % out, 'wb').write(t.SerializeToString())\n";

TEST(files_from_onnx_python)
{
    const char *py = getenv("EI_PYTHON");
    char script[256], cmd[1024], path[256];
    if (py == NULL)
        py = "/usr/bin/python3";
    if (access(py, X_OK) != 0) {
        fprintf(stderr, "skipping: %s not found\n", py);
        return;
    }
    tmp_path("gen.py", script, sizeof(script));
    FILE *f = fopen(script, "w");
    ASSERT_NOT_NULL(f);
    fputs(py_script, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s'", py, script, tmpdir);
    int rc = system(cmd);
    if (rc != 0) {
        /* Without the onnx module the files cannot be made; that is a set-up problem. */
        EI_TEST_FAIL_("%s failed (%d): is python3-onnx installed?", cmd, rc);
    }
    static const char *const names[] = {"float32", "float64", "float16", "bfloat16", "int8",
                                        "int16",   "int32",   "int64",   "uint8",    "uint16",
                                        "uint32",  "uint64",  "bool"};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        ei_dtype_t dt = ei_dtype_parse(names[k]);
        for (int raw = 0; raw < 2; raw++) {
            char file[64];
            ei_tensor_t *t = NULL;
            ei_error_t err = {0};
            char *name = NULL;
            if (raw && dt == EI_DTYPE_BFLOAT16)
                continue; /* NumPy has no bfloat16 */
            snprintf(file, sizeof(file), "%s_%s.pb", raw ? "raw" : "typed", names[k]);
            ASSERT_OK(ei_tensor_load_pb(tmp_path(file, path, sizeof(path)), &t, &name, &err), &err);
            ASSERT_STR_EQ(name, names[k]);
            ASSERT_EQ(ei_tensor_dtype(t), dt);
            ASSERT_EQ(ei_tensor_rank(t), 3);
            ASSERT_EQ(ei_tensor_shape(t)[2], 5);
            ASSERT_EQ(ei_tensor_count(t), 30);
            for (size_t i = 0; i < 30; i++) {
                double want = pattern(dt, i), got = ei_tensor_get_f64(t, i);
                if (got != want)
                    EI_TEST_FAIL_("%s element %zu: expected %g, got %g", file, i, want, got);
            }
            ei_free(name);
            ei_tensor_destroy(t);
        }
    }
    ei_tensor_t *t = NULL;
    ei_error_t err = {0};
    size_t len = 0;
    ASSERT_OK(ei_tensor_load_pb(tmp_path("typed_string.pb", path, sizeof(path)), &t, NULL, &err),
              &err);
    ASSERT_EQ(ei_tensor_dtype(t), EI_DTYPE_STRING);
    ASSERT_EQ(ei_tensor_count(t), 3);
    ASSERT_STR_EQ(ei_tensor_string(t, 0, &len), "ab");
    ASSERT_STR_EQ(ei_tensor_string(t, 1, &len), "");
    ASSERT_NOT_NULL(ei_tensor_string(t, 2, &len));
    ASSERT_EQ(len, 3);
    ei_tensor_destroy(t);
    ASSERT_OK(ei_tensor_load_pb(tmp_path("raw_scalar.pb", path, sizeof(path)), &t, NULL, &err),
              &err);
    ASSERT_EQ(ei_tensor_rank(t), 0);
    ASSERT_EQ(ei_tensor_count(t), 1);
    ASSERT_NEAR(ei_tensor_get_f64(t, 0), 3.5, 0);
    ei_tensor_destroy(t);
}

/* Packs a hand-made TensorProto and parses it; returns the code and leaves the message in err. */
static ei_code_t parse_proto(const Onnx__TensorProto *tp, ei_error_t *err)
{
    size_t size = onnx__tensor_proto__get_packed_size(tp);
    uint8_t *buf = malloc(size + 1);
    onnx__tensor_proto__pack(tp, buf);
    ei_tensor_t *t = NULL;
    char *name = NULL;
    ei_code_t rc = ei_tensor_parse_pb(buf, size, "crafted.pb", &t, &name, err);
    ei_tensor_destroy(t);
    ei_free(name);
    free(buf);
    return rc;
}

TEST(typed_fields_crafted)
{
    ei_error_t err = {0};
    int64_t dims[1] = {4};
    int32_t i32[2] = {0x21, 0xf7}; /* int4 [1, 2, 7, -1] packed two per entry */
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    tp.n_dims = 1;
    tp.dims = dims;
    tp.has_data_type = 1;
    tp.data_type = EI_DTYPE_INT4;
    tp.n_int32_data = 2;
    tp.int32_data = i32;
    size_t size = onnx__tensor_proto__get_packed_size(&tp);
    uint8_t buf[256];
    ASSERT_TRUE(size <= sizeof(buf));
    onnx__tensor_proto__pack(&tp, buf);
    ei_tensor_t *t = NULL;
    ASSERT_OK(ei_tensor_parse_pb(buf, size, "int4.pb", &t, NULL, &err), &err);
    ASSERT_EQ(ei_tensor_dtype(t), EI_DTYPE_INT4);
    ASSERT_NEAR(ei_tensor_get_f64(t, 0), 1, 0);
    ASSERT_NEAR(ei_tensor_get_f64(t, 1), 2, 0);
    ASSERT_NEAR(ei_tensor_get_f64(t, 2), 7, 0);
    ASSERT_NEAR(ei_tensor_get_f64(t, 3), -1, 0);
    ei_tensor_destroy(t);

    /* float8e4m3fn bit patterns in int32_data: 0x38 is 1.0, 0xc0 is -2.0. */
    int32_t f8[4] = {0x38, 0xc0, 0, 0x40};
    tp.data_type = EI_DTYPE_FLOAT8E4M3FN;
    tp.n_int32_data = 4;
    tp.int32_data = f8;
    size = onnx__tensor_proto__get_packed_size(&tp);
    onnx__tensor_proto__pack(&tp, buf);
    ASSERT_OK(ei_tensor_parse_pb(buf, size, "f8.pb", &t, NULL, &err), &err);
    ASSERT_EQ(((uint8_t *)ei_tensor_data(t))[1], 0xc0);
    ASSERT_NEAR(ei_tensor_get_f64(t, 0), 1.0, 0);
    ASSERT_NEAR(ei_tensor_get_f64(t, 1), -2.0, 0);
    ei_tensor_destroy(t);
}

TEST(bad_protos_are_eformat)
{
    ei_error_t err = {0};
    int64_t dims[2] = {2, 3};
    float f[6] = {1, 2, 3, 4, 5, 6};
    int64_t i64[6] = {0};
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    tp.n_dims = 2;
    tp.dims = dims;
    tp.has_data_type = 1;
    tp.data_type = EI_DTYPE_FLOAT32;
    tp.n_float_data = 5; /* one short */
    tp.float_data = f;
    ASSERT_EQ(parse_proto(&tp, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "crafted.pb");
    ASSERT_CONTAINS(err.msg, "expected 6");
    tp.n_float_data = 6;
    ASSERT_EQ(parse_proto(&tp, &err), EI_OK);

    /* raw_data of the wrong size. */
    Onnx__TensorProto raw = tp;
    raw.n_float_data = 0;
    raw.has_raw_data = 1;
    raw.raw_data.data = (uint8_t *)f;
    raw.raw_data.len = 23;
    ASSERT_EQ(parse_proto(&raw, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "23 bytes, expected 24");

    /* Values in a field that does not belong to the type. */
    Onnx__TensorProto wrong = tp;
    wrong.n_float_data = 0;
    wrong.n_int64_data = 6;
    wrong.int64_data = i64;
    ASSERT_EQ(parse_proto(&wrong, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "int64_data");

    /* Negative dims, no data type, no data at all. */
    Onnx__TensorProto neg = tp;
    int64_t bad_dims[2] = {2, -3};
    neg.dims = bad_dims;
    ASSERT_EQ(parse_proto(&neg, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "negative");
    Onnx__TensorProto notype = tp;
    notype.has_data_type = 0;
    ASSERT_EQ(parse_proto(&notype, &err), EI_EFORMAT);
    Onnx__TensorProto nodata = tp;
    nodata.n_float_data = 0;
    ASSERT_EQ(parse_proto(&nodata, &err), EI_EFORMAT);

    /* A huge shape with no data must fail before allocating. */
    Onnx__TensorProto huge = tp;
    int64_t huge_dims[2] = {INT64_C(1) << 40, INT64_C(1) << 20};
    huge.dims = huge_dims;
    ASSERT_EQ(parse_proto(&huge, &err), EI_EFORMAT);

    /* External data and segments are refused with a clear message. */
    Onnx__TensorProto ext = tp;
    Onnx__StringStringEntryProto loc = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    Onnx__StringStringEntryProto *locs[1] = {&loc};
    loc.key = (char *)"location";
    loc.value = (char *)"weights.bin";
    ext.n_float_data = 0;
    ext.n_external_data = 1;
    ext.external_data = locs;
    ext.has_data_location = 1;
    ext.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    ASSERT_EQ(parse_proto(&ext, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "weights.bin");
    Onnx__TensorProto seg = tp;
    Onnx__TensorProto__Segment s = ONNX__TENSOR_PROTO__SEGMENT__INIT;
    s.has_begin = s.has_end = 1;
    s.begin = 0;
    s.end = 3;
    seg.segment = &s;
    ASSERT_EQ(parse_proto(&seg, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "segment");

    /* Complex types are parsed but ONNX Runtime cannot hold them. */
    Onnx__TensorProto cplx = tp;
    cplx.data_type = EI_DTYPE_COMPLEX64;
    ASSERT_EQ(parse_proto(&cplx, &err), EI_EUNSUPPORTED);
}

TEST(garbage_and_truncated)
{
    ei_error_t err = {0};
    ei_tensor_t *t = NULL;
    char *name = NULL;
    uint8_t garbage[64];
    for (size_t i = 0; i < sizeof(garbage); i++)
        garbage[i] = (uint8_t)(i * 151 + 7);
    ASSERT_EQ(ei_tensor_parse_pb(garbage, sizeof(garbage), "garbage.pb", &t, &name, &err),
              EI_EFORMAT);
    ASSERT_NULL(t);
    ASSERT_NULL(name);
    ASSERT_CONTAINS(err.msg, "garbage.pb");
    ASSERT_EQ(ei_tensor_parse_pb("", 0, "empty.pb", &t, &name, &err), EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "empty.pb");

    /* Every proper prefix of a valid file is an error (never a crash, never a partial tensor). */
    int64_t shape[2] = {3, 4};
    ei_tensor_t *src = make_pattern_tensor(EI_DTYPE_INT64, shape, 2);
    char path[256];
    ASSERT_NOT_NULL(src);
    ASSERT_OK(ei_tensor_save_pb(src, "x", tmp_path("trunc.pb", path, sizeof(path)), &err), &err);
    ei_tensor_destroy(src);
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    uint8_t buf[512];
    size_t size = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    ASSERT_TRUE(size > 96 && size < sizeof(buf));
    for (size_t n = 0; n < size; n++) {
        ei_code_t rc = ei_tensor_parse_pb(buf, n, "trunc.pb", &t, &name, &err);
        if (rc != EI_EFORMAT)
            EI_TEST_FAIL_("prefix of %zu/%zu bytes: got %s, expected EI_EFORMAT", n, size,
                          ei_code_name(rc));
        ASSERT_NULL(t);
    }
    ASSERT_OK(ei_tensor_parse_pb(buf, size, "trunc.pb", &t, &name, &err), &err);
    ei_tensor_destroy(t);
    ei_free(name);

    ASSERT_EQ(ei_tensor_load_pb(tmp_path("missing.pb", path, sizeof(path)), &t, NULL, &err),
              EI_ENOENT);
    ASSERT_CONTAINS(err.msg, "missing.pb");
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ei_test_pb_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    int rc = RUN_TESTS(round_trip_every_dtype, round_trip_strings, files_from_onnx_python,
                       typed_fields_crafted, bad_protos_are_eformat, garbage_and_truncated);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
