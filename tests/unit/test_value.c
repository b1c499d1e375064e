/* SPDX-License-Identifier: MIT */
/*
 * Sequence, map and optional values (include/edgeinfer/value.h): building them and the ownership
 * rules on failure, .pb round trips (SequenceProto, MapProto, OptionalProto), files written by
 * ONNX's own Python helpers and ours read back by them, running models whose inputs and outputs
 * are such values (backend test models, and ZipMap / DictVectorizer models made here for maps),
 * the empty-sequence and None paths, malformed and truncated files, and allocation failures.
 */
#include "test.h"

#include <edgeinfer/edgeinfer.h>
#include <unistd.h>

static char tmpdir[64];

static const char *tmp_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", tmpdir, name);
    return buf;
}

static ei_value_t *float_tensor_value(const float *data, const int64_t *shape, size_t rank)
{
    ei_tensor_t *t = NULL;
    ei_value_t *v = NULL;
    if (ei_tensor_create(EI_DTYPE_FLOAT32, shape, rank, &t, NULL) != EI_OK)
        return NULL;
    memcpy(ei_tensor_data(t), data, ei_tensor_nbytes(t));
    if (ei_value_from_tensor(t, &v, NULL) != EI_OK)
        ei_tensor_destroy(t);
    return v;
}

static ei_tensor_t *i64_tensor(const int64_t *data, size_t n)
{
    ei_tensor_t *t = NULL;
    int64_t shape[1] = {(int64_t)n};
    if (ei_tensor_create(EI_DTYPE_INT64, shape, 1, &t, NULL) != EI_OK)
        return NULL;
    memcpy(ei_tensor_data(t), data, n * sizeof(int64_t));
    return t;
}

static ei_tensor_t *f32_tensor(const float *data, size_t n)
{
    ei_tensor_t *t = NULL;
    int64_t shape[1] = {(int64_t)n};
    if (ei_tensor_create(EI_DTYPE_FLOAT32, shape, 1, &t, NULL) != EI_OK)
        return NULL;
    memcpy(ei_tensor_data(t), data, n * sizeof(float));
    return t;
}

TEST(build_and_ownership)
{
    ei_error_t err = {0};
    ei_value_t *seq = NULL;
    ASSERT_OK(ei_value_sequence_create(EI_VALUE_TENSOR, EI_DTYPE_FLOAT32, &seq, &err), &err);
    ASSERT_EQ(ei_value_kind(seq), EI_VALUE_SEQUENCE);
    ASSERT_EQ(ei_value_count(seq), 0);
    float a[3] = {1, 2, 3};
    int64_t s3[1] = {3}, s1[1] = {1};
    for (int i = 0; i < 5; i++) {
        ei_value_t *e = float_tensor_value(a, i % 2 ? s3 : s1, 1);
        ASSERT_NOT_NULL(e);
        ASSERT_OK(ei_value_sequence_append(seq, e, &err), &err);
    }
    ASSERT_EQ(ei_value_count(seq), 5);
    ASSERT_EQ(ei_tensor_count(ei_value_tensor(ei_value_element(seq, 1))), 3);
    ASSERT_NULL(ei_value_element(seq, 5));
    ASSERT_NULL(ei_value_tensor(seq));

    /* A wrong element type is refused and the caller still owns the element. */
    int64_t iv[2] = {1, 2};
    ei_tensor_t *it = i64_tensor(iv, 2);
    ei_value_t *ie = NULL;
    ASSERT_OK(ei_value_from_tensor(it, &ie, &err), &err);
    ASSERT_EQ(ei_value_sequence_append(seq, ie, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "int64");
    ASSERT_EQ(ei_value_count(seq), 5);
    ei_value_destroy(ie);

    /* Sequences hold tensors or maps; optionals hold tensors or sequences. */
    ei_value_t *bad = NULL;
    ASSERT_EQ(ei_value_sequence_create(EI_VALUE_OPTIONAL, EI_DTYPE_FLOAT32, &bad, &err),
              EI_EUNSUPPORTED);
    ASSERT_NULL(bad);
    ei_value_t *opt = NULL;
    ASSERT_OK(ei_value_optional_create(seq, EI_VALUE_TENSOR, EI_DTYPE_UNDEFINED, &opt, &err), &err);
    ASSERT_EQ(ei_value_count(opt), 1);
    ASSERT_EQ(ei_value_elem_kind(opt), EI_VALUE_SEQUENCE);
    ASSERT_TRUE(ei_value_element(opt, 0) == seq);
    ei_value_t *none = NULL;
    ASSERT_OK(ei_value_optional_create(NULL, EI_VALUE_TENSOR, EI_DTYPE_INT32, &none, &err), &err);
    ASSERT_EQ(ei_value_count(none), 0);
    ASSERT_NULL(ei_value_element(none, 0));
    ASSERT_EQ(ei_value_elem_dtype(none), EI_DTYPE_INT32);
    ei_value_destroy(opt); /* frees the sequence and its elements too */
    ei_value_destroy(none);

    /* Maps: 1-D keys and values of the same length, int64/string keys without duplicates. */
    int64_t k[3] = {5, 9, 5};
    float x[3] = {0.5f, 1.5f, 2.5f};
    ei_tensor_t *kt = i64_tensor(k, 3), *xt = f32_tensor(x, 3);
    ei_value_t *map = NULL;
    ASSERT_EQ(ei_value_map_create(kt, xt, &map, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "key 5 appears twice");
    ASSERT_NULL(map);
    ((int64_t *)ei_tensor_data(kt))[2] = 7;
    ASSERT_OK(ei_value_map_create(kt, xt, &map, &err), &err);
    ASSERT_EQ(ei_value_count(map), 3);
    ASSERT_TRUE(ei_value_map_keys(map) == kt);
    ASSERT_EQ(ei_value_elem_dtype(map), EI_DTYPE_FLOAT32);
    ASSERT_EQ(ei_value_optional_create(map, EI_VALUE_TENSOR, EI_DTYPE_UNDEFINED, &opt, &err),
              EI_EUNSUPPORTED);
    ei_value_destroy(map);

    ei_tensor_t *sk = NULL, *sv = f32_tensor(x, 2);
    int64_t s2[1] = {2};
    ASSERT_OK(ei_tensor_create(EI_DTYPE_STRING, s2, 1, &sk, &err), &err);
    ASSERT_OK(ei_tensor_set_string(sk, 0, "dup", 3, &err), &err);
    ASSERT_OK(ei_tensor_set_string(sk, 1, "dup", 3, &err), &err);
    ASSERT_EQ(ei_value_map_create(sk, sv, &map, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "'dup' appears twice");
    ei_tensor_t *sv3 = f32_tensor(x, 3);
    ASSERT_EQ(ei_value_map_create(sk, sv3, &map, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "2 keys but 3 values");
    ASSERT_EQ(ei_value_map_create(sv, sk, &map, &err), EI_EUNSUPPORTED);
    ei_tensor_destroy(sk);
    ei_tensor_destroy(sv);
    ei_tensor_destroy(sv3);
}

/* A sequence of two float tensors, a map(int64, float) and a map(string, int64). */
static ei_value_t *make_seq(void)
{
    ei_value_t *seq = NULL;
    float a[6] = {1, 2, 3, 4, 5, 6};
    int64_t s23[2] = {2, 3}, s0[1] = {0};
    if (ei_value_sequence_create(EI_VALUE_TENSOR, EI_DTYPE_FLOAT32, &seq, NULL) != EI_OK)
        return NULL;
    ei_value_t *e1 = float_tensor_value(a, s23, 2), *e2 = float_tensor_value(a, s0, 1);
    if (ei_value_sequence_append(seq, e1, NULL) != EI_OK)
        ei_value_destroy(e1);
    if (ei_value_sequence_append(seq, e2, NULL) != EI_OK)
        ei_value_destroy(e2);
    return seq;
}

static ei_value_t *make_map_i64(void)
{
    int64_t k[3] = {3, 1, 7};
    float x[3] = {0.5f, -1.0f, 8.25f};
    ei_value_t *m = NULL;
    ei_tensor_t *kt = i64_tensor(k, 3), *xt = f32_tensor(x, 3);
    if (ei_value_map_create(kt, xt, &m, NULL) != EI_OK) {
        ei_tensor_destroy(kt);
        ei_tensor_destroy(xt);
    }
    return m;
}

static ei_value_t *make_map_str(void)
{
    ei_tensor_t *kt = NULL;
    int64_t s2[1] = {2}, v[2] = {-4, 1LL << 40};
    ei_value_t *m = NULL;
    if (ei_tensor_create(EI_DTYPE_STRING, s2, 1, &kt, NULL) != EI_OK)
        return NULL;
    if (ei_tensor_set_string(kt, 0, "alpha", 5, NULL) != EI_OK ||
        ei_tensor_set_string(kt, 1, "b\0c", 3, NULL) != EI_OK) {
        ei_tensor_destroy(kt);
        return NULL;
    }
    ei_tensor_t *vt = i64_tensor(v, 2);
    if (ei_value_map_create(kt, vt, &m, NULL) != EI_OK) {
        ei_tensor_destroy(kt);
        ei_tensor_destroy(vt);
    }
    return m;
}

/* Deep equality (exact) of two values. */
static bool same_value(const ei_value_t *a, const ei_value_t *b)
{
    if (ei_value_kind(a) != ei_value_kind(b) || ei_value_count(a) != ei_value_count(b))
        return false;
    switch (ei_value_kind(a)) {
    case EI_VALUE_TENSOR: {
        const ei_tensor_t *x = ei_value_tensor(a), *y = ei_value_tensor(b);
        if (ei_tensor_dtype(x) != ei_tensor_dtype(y) || ei_tensor_rank(x) != ei_tensor_rank(y) ||
            ei_tensor_count(x) != ei_tensor_count(y))
            return false;
        for (size_t d = 0; d < ei_tensor_rank(x); d++) {
            if (ei_tensor_shape(x)[d] != ei_tensor_shape(y)[d])
                return false;
        }
        if (ei_tensor_dtype(x) == EI_DTYPE_STRING) {
            for (size_t i = 0; i < ei_tensor_count(x); i++) {
                size_t lx = 0, ly = 0;
                const char *sx = ei_tensor_string(x, i, &lx), *sy = ei_tensor_string(y, i, &ly);
                if (lx != ly || memcmp(sx, sy, lx) != 0)
                    return false;
            }
            return true;
        }
        return memcmp(ei_tensor_data(x), ei_tensor_data(y), ei_tensor_nbytes(x)) == 0;
    }
    case EI_VALUE_MAP: {
        const ei_tensor_t *k1 = ei_value_map_keys(a), *k2 = ei_value_map_keys(b);
        const ei_tensor_t *v1 = ei_value_map_values(a), *v2 = ei_value_map_values(b);
        if (ei_tensor_dtype(k1) != ei_tensor_dtype(k2) ||
            ei_tensor_dtype(v1) != ei_tensor_dtype(v2))
            return false;
        for (size_t i = 0; i < ei_tensor_count(k1); i++) {
            size_t l1 = 0, l2 = 0;
            if (ei_tensor_dtype(k1) == EI_DTYPE_STRING) {
                const char *s1 = ei_tensor_string(k1, i, &l1), *s2 = ei_tensor_string(k2, i, &l2);
                if (l1 != l2 || memcmp(s1, s2, l1) != 0)
                    return false;
            } else if (ei_tensor_get_f64(k1, i) != ei_tensor_get_f64(k2, i)) {
                return false;
            }
            if (ei_tensor_get_f64(v1, i) != ei_tensor_get_f64(v2, i))
                return false;
        }
        return true;
    }
    default:
        if (ei_value_elem_kind(a) != ei_value_elem_kind(b))
            return false;
        for (size_t i = 0; i < ei_value_count(a); i++) {
            if (!same_value(ei_value_element(a, i), ei_value_element(b, i)))
                return false;
        }
        return true;
    }
}

TEST(pb_round_trips)
{
    ei_error_t err = {0};
    char path[256];
    ei_value_t *vals[8] = {0};
    size_t n = 0;
    vals[n++] = make_seq();
    vals[n++] = make_map_i64();
    vals[n++] = make_map_str();
    ei_value_t *seq_of_maps = NULL;
    ASSERT_OK(ei_value_sequence_create(EI_VALUE_MAP, EI_DTYPE_UNDEFINED, &seq_of_maps, &err), &err);
    ASSERT_OK(ei_value_sequence_append(seq_of_maps, make_map_i64(), &err), &err);
    ASSERT_OK(ei_value_sequence_append(seq_of_maps, make_map_i64(), &err), &err);
    vals[n++] = seq_of_maps;
    ei_value_t *opt_t = NULL, *opt_s = NULL, *none = NULL, *empty = NULL;
    float one = 4.0f;
    ASSERT_OK(ei_value_optional_create(float_tensor_value(&one, NULL, 0), EI_VALUE_TENSOR,
                                       EI_DTYPE_UNDEFINED, &opt_t, &err),
              &err);
    vals[n++] = opt_t;
    ASSERT_OK(
        ei_value_optional_create(make_seq(), EI_VALUE_TENSOR, EI_DTYPE_UNDEFINED, &opt_s, &err),
        &err);
    vals[n++] = opt_s;
    ASSERT_OK(ei_value_optional_create(NULL, EI_VALUE_TENSOR, EI_DTYPE_UNDEFINED, &none, &err),
              &err);
    vals[n++] = none;
    ASSERT_OK(ei_value_sequence_create(EI_VALUE_TENSOR, EI_DTYPE_INT32, &empty, &err), &err);
    vals[n++] = empty;
    for (size_t i = 0; i < n; i++) {
        char file[32];
        ASSERT_NOT_NULL(vals[i]);
        snprintf(file, sizeof(file), "rt_%zu.pb", i);
        tmp_path(file, path, sizeof(path));
        ASSERT_OK(ei_value_save_pb(vals[i], "v", path, &err), &err);
        ei_value_t *back = NULL;
        char *name = NULL;
        ASSERT_OK(ei_value_load_pb(path, ei_value_kind(vals[i]), &back, &name, &err), &err);
        ASSERT_STR_EQ(name, "v");
        if (!same_value(vals[i], back))
            EI_TEST_FAIL_("value %zu (%s) differs after a round trip", i,
                          ei_value_kind_name(ei_value_kind(vals[i])));
        ei_free(name);
        ei_value_destroy(back);
    }
    ei_value_t *back = NULL;
    ASSERT_OK(ei_value_load_pb(tmp_path("rt_7.pb", path, sizeof(path)), EI_VALUE_SEQUENCE, &back,
                               NULL, &err),
              &err);
    /* A SequenceProto cannot say what an empty sequence would hold: the model's input does. */
    ASSERT_EQ(ei_value_count(back), 0);
    ASSERT_EQ(ei_value_elem_kind(back), EI_VALUE_TENSOR);
    ASSERT_EQ(ei_value_elem_dtype(back), EI_DTYPE_UNDEFINED);
    ei_value_destroy(back);
    for (size_t i = 0; i < n; i++)
        ei_value_destroy(vals[i]);
}

static const char py_script[] =
    "import sys, numpy as np, onnx\n"
    "from onnx import helper, numpy_helper, TensorProto, OptionalProto\n"
    "out = sys.argv[1]\n"
    "def w(name, m): open('%s/%s' % (out, name), 'wb').write(m.SerializeToString())\n"
    "def map_type(k, v):\n"
    "  t = onnx.TypeProto(); t.map_type.key_type = k; t.map_type.value_type.CopyFrom(v); return t\n"
    "if sys.argv[2] == 'make':\n"
    "  w('py_seq.pb', numpy_helper.from_list([np.arange(6, dtype=np.float32).reshape(2, 3),\n"
    "      np.array([7.5], dtype=np.float32), np.zeros((0,), dtype=np.float32)], 'seq'))\n"
    "  vals = numpy_helper.from_list([np.array(v, dtype=np.float32) for v in (0.5, -1, 8.25)])\n"
    "  w('py_map.pb', helper.make_map('map', TensorProto.INT64, [3, 1, 7], vals))\n"
    "  svals = numpy_helper.from_list([np.array(v, dtype=np.int64) for v in (-4, 2**40)])\n"
    "  w('py_smap.pb', helper.make_map('smap', TensorProto.STRING, [b'alpha', b'b\\0c'], svals))\n"
    "  w('py_opt.pb', numpy_helper.from_optional(np.array([1, 2, 3], dtype=np.int32), 'opt',\n"
    "      dtype=OptionalProto.TENSOR))\n"
    "  w('py_none.pb', numpy_helper.from_optional(None, 'none'))\n"
    "  w('py_none_t.pb', numpy_helper.from_optional(None, 'none', dtype=OptionalProto.TENSOR))\n"
    "  X = helper.make_tensor_value_info('X', TensorProto.FLOAT, [1, 3])\n"
    "  Z = helper.make_value_info('Z', helper.make_sequence_type_proto(map_type(\n"
    "      TensorProto.INT64, helper.make_tensor_type_proto(TensorProto.FLOAT, None))))\n"
    "  zm = helper.make_node('ZipMap', ['X'], ['Z'], domain='ai.onnx.ml',\n"
    "      classlabels_int64s=[10, 20, 30])\n"
    "  g = helper.make_graph([zm], 'zipmap', [X], [Z])\n"
    "  m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13),\n"
    "      helper.make_opsetid('ai.onnx.ml', 1)])\n"
    "  m.ir_version = 8\n"
    "  onnx.save(m, '%s/zipmap.onnx' % out)\n"
    "  M = helper.make_value_info('M', map_type(TensorProto.STRING,\n"
    "      helper.make_tensor_type_proto(TensorProto.INT64, None)))\n"
    "  Y = helper.make_tensor_value_info('Y', TensorProto.INT64, None)\n"
    "  dv = helper.make_node('DictVectorizer', ['M'], ['Y'], domain='ai.onnx.ml',\n"
    "      string_vocabulary=['a', 'b', 'c'])\n"
    "  g = helper.make_graph([dv], 'dictvec', [M], [Y])\n"
    "  m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13),\n"
    "      helper.make_opsetid('ai.onnx.ml', 1)])\n"
    "  m.ir_version = 8\n"
    "  onnx.save(m, '%s/dictvec.onnx' % out)\n"
    "else:\n"
    "  def r(name, cls):\n"
    "    m = cls(); m.ParseFromString(open('%s/%s' % (out, name), 'rb').read()); return m\n"
    "  s = numpy_helper.to_list(r('ours_seq.pb', onnx.SequenceProto))\n"
    "  assert len(s) == 2 and s[0].shape == (2, 3) and s[0].dtype == np.float32, s\n"
    "  assert (s[0].ravel() == np.arange(1, 7)).all() and s[1].shape == (0,), s\n"
    "  mp = r('ours_map.pb', onnx.MapProto)\n"
    "  assert list(mp.keys) == [3, 1, 7], mp\n"
    "  v = [float(numpy_helper.to_array(t)) for t in mp.values.tensor_values]\n"
    "  assert v == [0.5, -1.0, 8.25], v\n"
    "  o = numpy_helper.to_optional(r('ours_opt.pb', onnx.OptionalProto))\n"
    "  assert float(o) == 4.0, o\n"
    "  assert numpy_helper.to_optional(r('ours_none.pb', onnx.OptionalProto)) is None\n"
    "  print('python read our files')\n";

static const char *python(void)
{
    const char *py = getenv("EI_PYTHON");
    return py != NULL ? py : "/usr/bin/python3";
}

static bool run_py(const char *mode)
{
    char script[256], cmd[1024];
    tmp_path("values.py", script, sizeof(script));
    FILE *f = fopen(script, "w");
    if (f == NULL)
        return false;
    fputs(py_script, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s' %s", python(), script, tmpdir, mode);
    return system(cmd) == 0;
}

TEST(files_from_and_for_onnx_python)
{
    ei_error_t err = {0};
    char path[256];
    if (!run_py("make"))
        EI_TEST_FAIL_("the python3-onnx script failed: is python3-onnx installed?");
    ei_value_t *v = NULL;
    char *name = NULL;
    ASSERT_OK(ei_value_load_pb(tmp_path("py_seq.pb", path, sizeof(path)), EI_VALUE_SEQUENCE, &v,
                               &name, &err),
              &err);
    ASSERT_STR_EQ(name, "seq");
    ASSERT_EQ(ei_value_count(v), 3);
    ASSERT_EQ(ei_value_elem_dtype(v), EI_DTYPE_FLOAT32);
    const ei_tensor_t *t0 = ei_value_tensor(ei_value_element(v, 0));
    ASSERT_EQ(ei_tensor_rank(t0), 2);
    ASSERT_NEAR(ei_tensor_get_f64(t0, 5), 5.0, 0);
    ASSERT_NEAR(ei_tensor_get_f64(ei_value_tensor(ei_value_element(v, 1)), 0), 7.5, 0);
    ASSERT_EQ(ei_tensor_count(ei_value_tensor(ei_value_element(v, 2))), 0);
    ei_free(name);
    ei_value_destroy(v);

    ei_value_t *want = make_map_i64();
    ASSERT_OK(
        ei_value_load_pb(tmp_path("py_map.pb", path, sizeof(path)), EI_VALUE_MAP, &v, NULL, &err),
        &err);
    ASSERT_TRUE(same_value(want, v));
    ei_value_destroy(v);
    ei_value_destroy(want);
    want = make_map_str();
    ASSERT_OK(
        ei_value_load_pb(tmp_path("py_smap.pb", path, sizeof(path)), EI_VALUE_MAP, &v, NULL, &err),
        &err);
    ASSERT_TRUE(same_value(want, v));
    ei_value_destroy(v);
    ei_value_destroy(want);
    ASSERT_OK(ei_value_load_pb(tmp_path("py_opt.pb", path, sizeof(path)), EI_VALUE_OPTIONAL, &v,
                               NULL, &err),
              &err);
    ASSERT_EQ(ei_value_count(v), 1);
    ASSERT_EQ(ei_value_elem_dtype(v), EI_DTYPE_INT32);
    ASSERT_NEAR(ei_tensor_get_f64(ei_value_tensor(ei_value_element(v, 0)), 2), 3.0, 0);
    ei_value_destroy(v);
    ASSERT_OK(ei_value_load_pb(tmp_path("py_none.pb", path, sizeof(path)), EI_VALUE_OPTIONAL, &v,
                               NULL, &err),
              &err);
    ASSERT_EQ(ei_value_count(v), 0);
    ei_value_destroy(v);
    ASSERT_OK(ei_value_load_pb(tmp_path("py_none_t.pb", path, sizeof(path)), EI_VALUE_OPTIONAL, &v,
                               NULL, &err),
              &err);
    ASSERT_EQ(ei_value_count(v), 0);
    ASSERT_EQ(ei_value_elem_kind(v), EI_VALUE_TENSOR);
    ei_value_destroy(v);

    /* And the other way: files we write, read by ONNX's helpers. */
    ei_value_t *seq = make_seq(), *map = make_map_i64(), *opt = NULL, *none = NULL;
    float four = 4.0f;
    ASSERT_OK(ei_value_optional_create(float_tensor_value(&four, NULL, 0), EI_VALUE_TENSOR,
                                       EI_DTYPE_UNDEFINED, &opt, &err),
              &err);
    ASSERT_OK(ei_value_optional_create(NULL, EI_VALUE_TENSOR, EI_DTYPE_FLOAT32, &none, &err), &err);
    ASSERT_OK(ei_value_save_pb(seq, "s", tmp_path("ours_seq.pb", path, sizeof(path)), &err), &err);
    ASSERT_OK(ei_value_save_pb(map, "m", tmp_path("ours_map.pb", path, sizeof(path)), &err), &err);
    ASSERT_OK(ei_value_save_pb(opt, "o", tmp_path("ours_opt.pb", path, sizeof(path)), &err), &err);
    ASSERT_OK(ei_value_save_pb(none, "n", tmp_path("ours_none.pb", path, sizeof(path)), &err),
              &err);
    ei_value_destroy(seq);
    ei_value_destroy(map);
    ei_value_destroy(opt);
    ei_value_destroy(none);
    if (!run_py("check"))
        EI_TEST_FAIL_(
            "ONNX's numpy_helper could not read our SequenceProto/MapProto/OptionalProto");
}

/* Runs `model` with one input and returns the one output (or NULL with err set). */
static ei_value_t *run1(ei_session_t *s, ei_value_t *in, ei_code_t *rc, ei_error_t *err)
{
    const char *name = ei_session_input(s, 0)->name;
    ei_value_t *out = NULL;
    *rc = ei_session_run_values(s, &name, &in, 1, NULL, &out, 1, err);
    return out;
}

TEST(maps_through_onnx_runtime)
{
    /* Made by files_from_and_for_onnx_python (which runs first). */
    ei_error_t err = {0};
    char path[256];
    ei_session_t *s = NULL;
    ei_code_t rc;
    ASSERT_OK(ei_session_create(tmp_path("zipmap.onnx", path, sizeof(path)), NULL, &s, &err), &err);
    const ei_value_info_t *oi = ei_session_output(s, 0);
    ASSERT_EQ(oi->kind, EI_VALUE_SEQUENCE);
    ASSERT_EQ(oi->elem_kind, EI_VALUE_MAP);
    ASSERT_EQ(oi->key_dtype, EI_DTYPE_INT64);
    ASSERT_EQ(oi->dtype, EI_DTYPE_FLOAT32);
    float x[3] = {0.25f, 0.5f, 0.125f};
    int64_t shape[2] = {1, 3};
    ei_value_t *in = float_tensor_value(x, shape, 2);
    ei_value_t *out = run1(s, in, &rc, &err);
    ASSERT_OK(rc, &err);
    ASSERT_EQ(ei_value_count(out), 1);
    const ei_value_t *m = ei_value_element(out, 0);
    ASSERT_EQ(ei_value_kind(m), EI_VALUE_MAP);
    ASSERT_EQ(ei_value_count(m), 3);
    for (size_t i = 0; i < 3; i++) {
        /* ORT's map is ordered by key: 10, 20, 30. */
        ASSERT_NEAR(ei_tensor_get_f64(ei_value_map_keys(m), i), 10.0 * (double)(i + 1), 0);
        ASSERT_NEAR(ei_tensor_get_f64(ei_value_map_values(m), i), x[i], 0);
    }
    /* The plain tensor API says what to use instead. */
    ei_tensor_t *tin = ei_value_tensor(in), *tout = NULL;
    const char *name = "X";
    ASSERT_EQ(ei_session_run(s, &name, &tin, 1, NULL, &tout, 1, &err), EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "ei_session_run_values");
    ei_value_destroy(out);
    ei_value_destroy(in);
    ei_session_destroy(s);

    ASSERT_OK(ei_session_create(tmp_path("dictvec.onnx", path, sizeof(path)), NULL, &s, &err),
              &err);
    ASSERT_EQ(ei_session_input(s, 0)->kind, EI_VALUE_MAP);
    ASSERT_EQ(ei_session_input(s, 0)->key_dtype, EI_DTYPE_STRING);
    ei_tensor_t *kt = NULL;
    int64_t s2[1] = {2}, v[2] = {5, -3};
    ASSERT_OK(ei_tensor_create(EI_DTYPE_STRING, s2, 1, &kt, &err), &err);
    ASSERT_OK(ei_tensor_set_string(kt, 0, "c", 1, &err), &err);
    ASSERT_OK(ei_tensor_set_string(kt, 1, "a", 1, &err), &err);
    ei_value_t *map = NULL;
    ASSERT_OK(ei_value_map_create(kt, i64_tensor(v, 2), &map, &err), &err);
    out = run1(s, map, &rc, &err);
    ASSERT_OK(rc, &err);
    const ei_tensor_t *y = ei_value_tensor(out);
    ASSERT_NOT_NULL(y);
    ASSERT_EQ(ei_tensor_count(y), 3);
    ASSERT_NEAR(ei_tensor_get_f64(y, 0), -3, 0); /* a */
    ASSERT_NEAR(ei_tensor_get_f64(y, 1), 0, 0);  /* b */
    ASSERT_NEAR(ei_tensor_get_f64(y, 2), 5, 0);  /* c */
    ei_value_destroy(out);
    /* A map of the wrong types is refused before ONNX Runtime sees it. */
    ei_value_t *wrong = make_map_i64();
    out = run1(s, wrong, &rc, &err);
    ASSERT_EQ(rc, EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "expected a map(string, int64), got map(int64, float32)");
    ASSERT_NULL(out);
    ei_value_destroy(wrong);
    ei_value_destroy(map);
    ei_session_destroy(s);
}

static ei_session_t *backend_model(const char *cas)
{
    const char *d = getenv("EI_ONNX_TESTDATA");
    char path[512];
    snprintf(path, sizeof(path), "%s/node/%s/model.onnx",
             d ? d : "/usr/include/onnx/backend/test/data", cas);
    ei_session_t *s = NULL;
    ei_error_t err = {0};
    if (ei_session_create(path, NULL, &s, &err) != EI_OK)
        fprintf(stderr, "%s: %s\n", path, err.msg);
    return s;
}

TEST(sequences_and_optionals_through_onnx_runtime)
{
    ei_error_t err = {0};
    ei_code_t rc;
    /* SequenceInsert: seq + tensor -> seq. */
    ei_session_t *s = backend_model("test_sequence_insert_at_back");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(ei_session_input(s, 0)->kind, EI_VALUE_SEQUENCE);
    ASSERT_EQ(ei_session_input(s, 0)->dtype, EI_DTYPE_INT64);
    int64_t a[3] = {1, 2, 3}, b[3] = {7, 8, 9};
    ei_value_t *seq = NULL, *e = NULL, *tv = NULL, *out = NULL;
    ASSERT_OK(ei_value_sequence_create(EI_VALUE_TENSOR, EI_DTYPE_INT64, &seq, &err), &err);
    ASSERT_OK(ei_value_from_tensor(i64_tensor(a, 3), &e, &err), &err);
    ASSERT_OK(ei_value_sequence_append(seq, e, &err), &err);
    ASSERT_OK(ei_value_from_tensor(i64_tensor(b, 3), &tv, &err), &err);
    const char *names[2] = {"sequence", "tensor"};
    ei_value_t *ins[2] = {seq, tv};
    ASSERT_OK(ei_session_run_values(s, names, ins, 2, NULL, &out, 1, &err), &err);
    ASSERT_EQ(ei_value_kind(out), EI_VALUE_SEQUENCE);
    ASSERT_EQ(ei_value_count(out), 2);
    ASSERT_NEAR(ei_tensor_get_f64(ei_value_tensor(ei_value_element(out, 1)), 2), 9, 0);
    ei_value_destroy(out);
    /* A tensor where a sequence belongs, and a sequence of the wrong element type. */
    ins[0] = tv;
    ASSERT_EQ(ei_session_run_values(s, names, ins, 2, NULL, &out, 1, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "input 'sequence': expected a sequence, got a tensor");
    ei_value_t *fseq = make_seq();
    ins[0] = fseq;
    ASSERT_EQ(ei_session_run_values(s, names, ins, 2, NULL, &out, 1, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "element 0 has element type float32, expected int64");
    ei_value_destroy(fseq);
    /* An empty sequence is fed through a SequenceEmpty model (the C API cannot make one). */
    ei_value_t *empty = NULL;
    ASSERT_OK(ei_value_sequence_create(EI_VALUE_TENSOR, EI_DTYPE_INT64, &empty, &err), &err);
    ins[0] = empty;
    ASSERT_OK(ei_session_run_values(s, names, ins, 2, NULL, &out, 1, &err), &err);
    ASSERT_EQ(ei_value_count(out), 1);
    ASSERT_EQ(ei_tensor_count(ei_value_tensor(ei_value_element(out, 0))), 3);
    ei_value_destroy(out);
    ei_value_destroy(empty);
    ei_value_destroy(seq);
    ei_value_destroy(tv);
    ei_session_destroy(s);

    /* OptionalHasElement: a present optional, a bare tensor for it, and a refused None. */
    s = backend_model("test_optional_has_element");
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(ei_session_input(s, 0)->kind, EI_VALUE_OPTIONAL);
    ASSERT_EQ(ei_session_input(s, 0)->elem_kind, EI_VALUE_TENSOR);
    int64_t s4[1] = {4};
    ei_tensor_t *ft = NULL;
    ASSERT_OK(ei_tensor_create(ei_session_input(s, 0)->dtype, s4, 1, &ft, &err), &err);
    ei_value_t *bare = NULL, *opt = NULL, *none = NULL;
    ASSERT_OK(ei_value_from_tensor(ft, &bare, &err), &err);
    out = run1(s, bare, &rc, &err);
    ASSERT_OK(rc, &err);
    ASSERT_NEAR(ei_tensor_get_f64(ei_value_tensor(out), 0), 1, 0);
    ei_value_destroy(out);
    ASSERT_OK(ei_value_optional_create(bare, EI_VALUE_TENSOR, EI_DTYPE_UNDEFINED, &opt, &err),
              &err);
    out = run1(s, opt, &rc, &err);
    ASSERT_OK(rc, &err);
    ASSERT_NEAR(ei_tensor_get_f64(ei_value_tensor(out), 0), 1, 0);
    ei_value_destroy(out);
    ASSERT_OK(ei_value_optional_create(NULL, EI_VALUE_TENSOR, EI_DTYPE_UNDEFINED, &none, &err),
              &err);
    out = run1(s, none, &rc, &err);
    ASSERT_EQ(rc, EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "None");
    ASSERT_NULL(out);
    ei_value_destroy(none);
    ei_value_destroy(opt);
    ei_session_destroy(s);

    /* If with an optional(sequence) output: comes back as an optional holding a sequence. */
    s = backend_model("test_if_opt");
    ASSERT_NOT_NULL(s);
    ei_tensor_t *cond = NULL;
    ASSERT_OK(ei_tensor_create(EI_DTYPE_BOOL, NULL, 0, &cond, &err), &err);
    ei_value_t *cv = NULL;
    ASSERT_OK(ei_value_from_tensor(cond, &cv, &err), &err);
    out = run1(s, cv, &rc, &err);
    ASSERT_OK(rc, &err);
    ASSERT_EQ(ei_value_kind(out), EI_VALUE_OPTIONAL);
    ASSERT_EQ(ei_value_count(out), 1);
    ASSERT_EQ(ei_value_kind(ei_value_element(out, 0)), EI_VALUE_SEQUENCE);
    ei_value_destroy(out);
    ei_value_destroy(cv);
    ei_session_destroy(s);
}

TEST(malformed_files)
{
    ei_error_t err = {0};
    ei_value_t *v = NULL;
    char *name = NULL;
    uint8_t garbage[48];
    for (size_t i = 0; i < sizeof(garbage); i++)
        garbage[i] = (uint8_t)(i * 151 + 7);
    ei_value_kind_t kinds[3] = {EI_VALUE_SEQUENCE, EI_VALUE_MAP, EI_VALUE_OPTIONAL};
    for (int k = 0; k < 3; k++) {
        ei_code_t rc =
            ei_value_parse_pb(garbage, sizeof(garbage), "garbage.pb", kinds[k], &v, &name, &err);
        ASSERT_NE(rc, EI_OK);
        ASSERT_NULL(v);
        ASSERT_NULL(name);
        ASSERT_CONTAINS(err.msg, "garbage.pb");
    }
    /* A map whose key count and value count differ; a sequence holding sequences; an optional
     * with elem_type MAP. Hand-written protobuf bytes. */
    const uint8_t map_bad[] = {0x10, 0x07, 0x18, 0x01, 0x18, 0x02, 0x2a, 0x00};
    ASSERT_EQ(ei_value_parse_pb(map_bad, sizeof(map_bad), "m.pb", EI_VALUE_MAP, &v, NULL, &err),
              EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "2 keys but 0 values");
    const uint8_t seq_seq[] = {0x10, 0x03, 0x2a, 0x00};
    ASSERT_EQ(
        ei_value_parse_pb(seq_seq, sizeof(seq_seq), "s.pb", EI_VALUE_SEQUENCE, &v, NULL, &err),
        EI_EUNSUPPORTED);
    ASSERT_CONTAINS(err.msg, "sequence of sequences");
    const uint8_t opt_map[] = {0x10, 0x04};
    ASSERT_EQ(
        ei_value_parse_pb(opt_map, sizeof(opt_map), "o.pb", EI_VALUE_OPTIONAL, &v, NULL, &err),
        EI_EUNSUPPORTED);
    /* A sequence whose second tensor is corrupt names that element. */
    char path[256];
    ei_value_t *seq = make_seq();
    ASSERT_OK(ei_value_save_pb(seq, "s", tmp_path("trunc_seq.pb", path, sizeof(path)), &err), &err);
    ei_value_destroy(seq);
    FILE *f = fopen(path, "rb");
    ASSERT_NOT_NULL(f);
    uint8_t buf[512];
    size_t size = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    ASSERT_TRUE(size > 40 && size < sizeof(buf));
    /* Every prefix: an error or a shorter valid sequence, never a crash or a leak. */
    for (size_t n = 0; n < size; n++) {
        ei_code_t rc = ei_value_parse_pb(buf, n, "trunc.pb", EI_VALUE_SEQUENCE, &v, &name, &err);
        if (rc == EI_OK) {
            ASSERT_TRUE(ei_value_count(v) <= 2);
            ei_value_destroy(v);
            ei_free(name);
        } else {
            ASSERT_NULL(v);
        }
    }
    ASSERT_EQ(ei_value_load_pb(tmp_path("missing.pb", path, sizeof(path)), EI_VALUE_SEQUENCE, &v,
                               NULL, &err),
              EI_ENOENT);
}

TEST(allocation_failures)
{
    ei_error_t err = {0};
    char path[256], path2[256];
    ei_value_t *seq = make_seq();
    ASSERT_NOT_NULL(seq);
    ASSERT_OK(ei_value_save_pb(seq, "s", tmp_path("oom.pb", path, sizeof(path)), &err), &err);
    tmp_path("oom2.pb", path2, sizeof(path2));
    ei_test_oom_install();
    bool loaded = false, saved = false;
    for (int n = 0; n < 300 && !(loaded && saved); n++) {
        ei_value_t *v = NULL;
        ei_test_oom_arm(n);
        ei_code_t rc = loaded ? EI_OK : ei_value_load_pb(path, EI_VALUE_SEQUENCE, &v, NULL, &err);
        ei_code_t rc2 = saved ? EI_OK : ei_value_save_pb(seq, "s", path2, &err);
        ei_test_oom_disarm();
        /* protobuf-c reports a failed allocation as a parse failure: EI_EFORMAT is fair too. */
        if (rc != EI_OK && rc != EI_ENOMEM && rc != EI_EFORMAT)
            EI_TEST_FAIL_("load after %d allocations: %s", n, ei_code_name(rc));
        if (rc2 != EI_OK && rc2 != EI_ENOMEM)
            EI_TEST_FAIL_("save after %d allocations: %s", n, ei_code_name(rc2));
        if (v != NULL) {
            ASSERT_EQ(ei_value_count(v), 2);
            loaded = true;
        }
        saved = saved || rc2 == EI_OK;
        ei_value_destroy(v);
    }
    ei_test_oom_uninstall();
    ASSERT_TRUE(loaded && saved);
    ei_value_destroy(seq);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ei_test_value_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    int rc = RUN_TESTS(build_and_ownership, pb_round_trips, files_from_and_for_onnx_python,
                       maps_through_onnx_runtime, sequences_and_optionals_through_onnx_runtime,
                       malformed_files, allocation_failures);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
