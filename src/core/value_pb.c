/* SPDX-License-Identifier: MIT */
/*
 * SequenceProto, MapProto and OptionalProto files (the .pb inputs and outputs of the ONNX backend
 * test cases whose values are not tensors), read into ei_value_t and written back. The bytes are
 * untrusted: every count is checked against what the value may hold, nesting is bounded by the
 * kinds themselves (a sequence holds tensors or maps, an optional a tensor or a sequence), and
 * every refusal names the file and what was wrong. Fuzzed by fuzz/fuzz_tensor_files.c.
 */
#include "pb_internal.h"

#include <edgeinfer/tensor_io.h>
#include <edgeinfer/value.h>
#include <string.h>

#define PB_MAX_FILE ((size_t)1 << 31)

/* SequenceProto / OptionalProto elem_type values. */
enum {
    ELEM_UNDEFINED = 0,
    ELEM_TENSOR = 1,
    ELEM_SPARSE = 2,
    ELEM_SEQUENCE = 3,
    ELEM_MAP = 4,
    ELEM_OPTIONAL = 5
};

static const char *elem_name(int32_t e)
{
    static const char *const names[] = {"undefined", "tensor", "sparse tensor",
                                        "sequence",  "map",    "optional"};
    return e >= 0 && e <= ELEM_OPTIONAL ? names[e] : "unknown";
}

/* Reading ------------------------------------------------------------------------------------ */

static ei_code_t map_from_proto(const Onnx__MapProto *mp, const char *what, ei_value_t **out,
                                ei_error_t *err);

static ei_code_t tensor_value(const Onnx__TensorProto *tp, const char *what, ei_value_t **out,
                              ei_error_t *err)
{
    ei_tensor_t *t = NULL;
    ei_code_t rc = ei__tensor_from_proto(tp, what, &t, err);
    if (rc == EI_OK) {
        rc = ei_value_from_tensor(t, out, err);
        if (rc != EI_OK)
            ei_tensor_destroy(t);
    }
    return rc;
}

static ei_code_t seq_from_proto(const Onnx__SequenceProto *sp, const char *what, ei_value_t **out,
                                ei_error_t *err)
{
    *out = NULL;
    int32_t et = sp->has_elem_type ? sp->elem_type : ELEM_UNDEFINED;
    size_t n_tensors = sp->n_tensor_values, n_maps = sp->n_map_values;
    if (sp->n_sparse_tensor_values > 0 || sp->n_sequence_values > 0 || sp->n_optional_values > 0)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "%s: a sequence of %s is not supported (sequences hold tensors or maps)",
                        what,
                        sp->n_sparse_tensor_values > 0 ? "sparse tensors"
                        : sp->n_sequence_values > 0    ? "sequences"
                                                       : "optionals");
    if (et != ELEM_UNDEFINED && et != ELEM_TENSOR && et != ELEM_MAP)
        return ei__fail(err, et >= 0 && et <= ELEM_OPTIONAL ? EI_EUNSUPPORTED : EI_EFORMAT,
                        "%s: a sequence of %s elements (elem_type %d) is not supported", what,
                        elem_name(et), (int)et);
    if (n_tensors > 0 && n_maps > 0)
        return ei__fail(err, EI_EFORMAT, "%s: sequence holds both tensors and maps", what);
    if ((et == ELEM_TENSOR && n_maps > 0) || (et == ELEM_MAP && n_tensors > 0))
        return ei__fail(err, EI_EFORMAT, "%s: sequence of elem_type %s holds %s", what,
                        elem_name(et), n_maps > 0 ? "maps" : "tensors");
    bool maps = et == ELEM_MAP || n_maps > 0;
    ei_value_t *seq = NULL;
    ei_dtype_t dt = n_tensors > 0 && sp->tensor_values[0]->has_data_type
                        ? (ei_dtype_t)sp->tensor_values[0]->data_type
                        : EI_DTYPE_UNDEFINED;
    if (!ei_dtype_valid(dt))
        dt = EI_DTYPE_UNDEFINED; /* the element's own check names the problem */
    ei_code_t rc = ei_value_sequence_create(maps ? EI_VALUE_MAP : EI_VALUE_TENSOR, dt, &seq, err);
    if (rc != EI_OK)
        return rc;
    size_t n = maps ? n_maps : n_tensors;
    for (size_t i = 0; i < n && rc == EI_OK; i++) {
        ei_value_t *e = NULL;
        rc = maps ? map_from_proto(sp->map_values[i], what, &e, err)
                  : tensor_value(sp->tensor_values[i], what, &e, err);
        if (rc == EI_OK) {
            rc = ei_value_sequence_append(seq, e, err);
            if (rc != EI_OK) {
                ei_value_destroy(e);
                if (err != NULL)
                    err->code = EI_EFORMAT;
                rc = EI_EFORMAT;
                ei__error_prefix(err, "%s", what);
            }
        } else if (err != NULL) {
            /* "<file>: sequence element 3: <why>" reads better than the file named twice. */
            char why[EI_ERROR_MSG_SIZE];
            size_t wl = strlen(what);
            const char *m = err->msg;
            if (strncmp(m, what, wl) == 0 && m[wl] == ':' && m[wl + 1] == ' ')
                m += wl + 2;
            ei__strlcpy(why, m, sizeof(why));
            ei__fail(err, rc, "%s: sequence element %zu: %s", what, i, why);
        }
    }
    if (rc != EI_OK) {
        ei_value_destroy(seq);
        return rc;
    }
    *out = seq;
    return EI_OK;
}

static ei_code_t map_from_proto(const Onnx__MapProto *mp, const char *what, ei_value_t **out,
                                ei_error_t *err)
{
    *out = NULL;
    ei_dtype_t kt = mp->has_key_type ? (ei_dtype_t)mp->key_type : EI_DTYPE_UNDEFINED;
    if (kt != EI_DTYPE_INT64 && kt != EI_DTYPE_STRING)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "%s: map key_type %d is not supported (int64 or string keys)", what,
                        mp->has_key_type ? (int)mp->key_type : 0);
    size_t n = kt == EI_DTYPE_INT64 ? mp->n_keys : mp->n_string_keys;
    if ((kt == EI_DTYPE_INT64 && mp->n_string_keys > 0) ||
        (kt == EI_DTYPE_STRING && mp->n_keys > 0))
        return ei__fail(err, EI_EFORMAT, "%s: map with %s keys also holds %s keys", what,
                        ei_dtype_name(kt), kt == EI_DTYPE_INT64 ? "string" : "int64");
    const Onnx__SequenceProto *vs = mp->values;
    size_t nv = vs != NULL ? vs->n_tensor_values : 0;
    if (vs != NULL && (vs->n_sequence_values > 0 || vs->n_map_values > 0 ||
                       vs->n_optional_values > 0 || vs->n_sparse_tensor_values > 0))
        return ei__fail(err, EI_EUNSUPPORTED,
                        "%s: map values that are not scalars are not supported", what);
    if (nv != n)
        return ei__fail(err, EI_EFORMAT, "%s: map has %zu keys but %zu values", what, n, nv);
    ei_dtype_t vt = EI_DTYPE_UNDEFINED;
    ei_tensor_t *keys = NULL, *vals = NULL, *one = NULL;
    ei_code_t rc = EI_OK;
    int64_t shape[1] = {(int64_t)n};
    for (size_t i = 0; i < n && rc == EI_OK; i++) {
        rc = ei__tensor_from_proto(vs->tensor_values[i], what, &one, err);
        if (rc != EI_OK)
            break;
        ei_dtype_t dt = ei_tensor_dtype(one);
        if (ei_tensor_count(one) != 1) {
            rc = ei__fail(err, EI_EFORMAT, "%s: map value %zu holds %zu elements, not one", what, i,
                          ei_tensor_count(one));
        } else if (vals == NULL) {
            vt = dt;
            rc = ei_tensor_create(vt, shape, 1, &vals, err);
        } else if (dt != vt) {
            rc = ei__fail(err, EI_EFORMAT, "%s: map value %zu is %s, value 0 is %s", what, i,
                          ei_dtype_name(dt), ei_dtype_name(vt));
        }
        if (rc == EI_OK) {
            if (vt == EI_DTYPE_STRING) {
                size_t len = 0;
                const char *str = ei_tensor_string(one, 0, &len);
                rc = ei_tensor_set_string(vals, i, str, len, err);
            } else {
                size_t w = ei_dtype_size(vt);
                memcpy((char *)ei_tensor_data(vals) + i * w, ei_tensor_data(one), w);
            }
        }
        ei_tensor_destroy(one);
        one = NULL;
    }
    if (rc == EI_OK && vals == NULL) /* an empty map: float values, as good as any */
        rc = ei_tensor_create(EI_DTYPE_FLOAT32, shape, 1, &vals, err);
    if (rc == EI_OK)
        rc = ei_tensor_create(kt, shape, 1, &keys, err);
    for (size_t i = 0; i < n && rc == EI_OK; i++) {
        if (kt == EI_DTYPE_INT64)
            ((int64_t *)ei_tensor_data(keys))[i] = mp->keys[i];
        else
            rc = ei_tensor_set_string(keys, i, (const char *)mp->string_keys[i].data,
                                      mp->string_keys[i].len, err);
    }
    if (rc == EI_OK) {
        rc = ei_value_map_create(keys, vals, out, err);
        if (rc != EI_OK) {
            if (err != NULL && rc == EI_EINVAL)
                err->code = rc = EI_EFORMAT;
            ei__error_prefix(err, "%s", what);
        }
    }
    if (rc != EI_OK) {
        ei_tensor_destroy(keys);
        ei_tensor_destroy(vals);
    }
    return rc;
}

static ei_code_t opt_from_proto(const Onnx__OptionalProto *op, const char *what, ei_value_t **out,
                                ei_error_t *err)
{
    *out = NULL;
    int32_t et = op->has_elem_type ? op->elem_type : ELEM_UNDEFINED;
    int present = (op->tensor_value != NULL) + (op->sequence_value != NULL) +
                  (op->map_value != NULL) + (op->optional_value != NULL) +
                  (op->sparse_tensor_value != NULL);
    if (present > 1)
        return ei__fail(err, EI_EFORMAT, "%s: optional holds more than one value", what);
    if (op->map_value != NULL || op->optional_value != NULL || op->sparse_tensor_value != NULL ||
        et == ELEM_MAP || et == ELEM_OPTIONAL || et == ELEM_SPARSE)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "%s: an optional %s is not supported (optionals hold a tensor or a "
                        "sequence)",
                        what,
                        op->map_value != NULL || et == ELEM_MAP             ? "map"
                        : op->optional_value != NULL || et == ELEM_OPTIONAL ? "optional"
                                                                            : "sparse tensor");
    if (et < ELEM_UNDEFINED || et > ELEM_OPTIONAL)
        return ei__fail(err, EI_EFORMAT, "%s: optional elem_type %d is not a value kind", what,
                        (int)et);
    if ((et == ELEM_TENSOR && op->sequence_value != NULL) ||
        (et == ELEM_SEQUENCE && op->tensor_value != NULL))
        return ei__fail(err, EI_EFORMAT, "%s: optional of elem_type %s holds a %s", what,
                        elem_name(et), op->tensor_value != NULL ? "tensor" : "sequence");
    ei_value_t *inner = NULL;
    ei_code_t rc = EI_OK;
    if (op->tensor_value != NULL)
        rc = tensor_value(op->tensor_value, what, &inner, err);
    else if (op->sequence_value != NULL)
        rc = seq_from_proto(op->sequence_value, what, &inner, err);
    if (rc != EI_OK)
        return rc;
    /* An elem_type of UNDEFINED with no value is ONNX's way of writing None. */
    ei_value_kind_t none_kind = et == ELEM_SEQUENCE ? EI_VALUE_SEQUENCE : EI_VALUE_TENSOR;
    rc = ei_value_optional_create(inner, none_kind, EI_DTYPE_UNDEFINED, out, err);
    if (rc != EI_OK)
        ei_value_destroy(inner);
    return rc;
}

ei_code_t ei_value_parse_pb(const void *data, size_t size, const char *what, ei_value_kind_t kind,
                            ei_value_t **out, char **name, ei_error_t *err)
{
    *out = NULL;
    if (name != NULL)
        *name = NULL;
    if (what == NULL)
        what = "value";
    if (data == NULL && size > 0)
        return ei__fail(err, EI_EINVAL, "%s: data is NULL", what);
    if (kind == EI_VALUE_TENSOR) {
        ei_tensor_t *t = NULL;
        ei_code_t rc = ei_tensor_parse_pb(data, size, what, &t, name, err);
        if (rc == EI_OK) {
            rc = ei_value_from_tensor(t, out, err);
            if (rc != EI_OK) {
                ei_tensor_destroy(t);
                if (name != NULL) {
                    ei__free(*name);
                    *name = NULL;
                }
            }
        }
        return rc;
    }
    const char *stored = NULL;
    ei_code_t rc = EI_OK;
    void *msg = NULL;
    const char *proto = "";
    switch (kind) {
    case EI_VALUE_SEQUENCE: {
        proto = "SequenceProto";
        Onnx__SequenceProto *sp = onnx__sequence_proto__unpack(&ei__pb_allocator, size, data);
        msg = sp;
        if (sp != NULL) {
            stored = sp->name;
            rc = seq_from_proto(sp, what, out, err);
        }
        break;
    }
    case EI_VALUE_MAP: {
        proto = "MapProto";
        Onnx__MapProto *mp = onnx__map_proto__unpack(&ei__pb_allocator, size, data);
        msg = mp;
        if (mp != NULL) {
            stored = mp->name;
            rc = map_from_proto(mp, what, out, err);
        }
        break;
    }
    case EI_VALUE_OPTIONAL: {
        proto = "OptionalProto";
        Onnx__OptionalProto *op = onnx__optional_proto__unpack(&ei__pb_allocator, size, data);
        msg = op;
        if (op != NULL) {
            stored = op->name;
            rc = opt_from_proto(op, what, out, err);
        }
        break;
    }
    default:
        return ei__fail(err, EI_EUNSUPPORTED, "%s: %s values cannot be read from .pb files", what,
                        ei_value_kind_name(kind));
    }
    if (msg == NULL)
        return ei__fail(err, EI_EFORMAT,
                        "%s: not a valid %s (%zu bytes could not be parsed as protobuf)", what,
                        proto, size);
    if (rc == EI_OK && name != NULL) {
        *name = ei__strdup(stored != NULL ? stored : "");
        if (*name == NULL)
            rc = ei__fail(err, EI_ENOMEM, "%s: out of memory for the value name", what);
    }
    protobuf_c_message_free_unpacked(msg, &ei__pb_allocator);
    if (rc != EI_OK) {
        ei_value_destroy(*out);
        *out = NULL;
    }
    return rc;
}

ei_code_t ei_value_load_pb(const char *path, ei_value_kind_t kind, ei_value_t **out, char **name,
                           ei_error_t *err)
{
    uint8_t *data = NULL;
    size_t size = 0;
    *out = NULL;
    if (name != NULL)
        *name = NULL;
    if (path == NULL)
        return ei__fail(err, EI_EINVAL, "path is NULL");
    ei_code_t rc = ei__file_read(path, PB_MAX_FILE, &data, &size, err);
    if (rc == EI_OK)
        rc = ei_value_parse_pb(data, size, path, kind, out, name, err);
    ei__free(data);
    return rc;
}

/* Writing ------------------------------------------------------------------------------------ */

/* Everything one write allocates, freed together. */
typedef struct {
    void **p;
    size_t n, cap;
    bool failed;
} arena_t;

static void *arena_keep(arena_t *a, void *p)
{
    if (p == NULL) {
        a->failed = true;
        return NULL;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void **np = ei__realloc(a->p, cap * sizeof(*np));
        if (np == NULL) {
            ei__free(p);
            a->failed = true;
            return NULL;
        }
        a->p = np;
        a->cap = cap;
    }
    a->p[a->n++] = p;
    return p;
}

static void *arena_calloc(arena_t *a, size_t n, size_t size)
{
    return arena_keep(a, ei__calloc(n ? n : 1, size));
}

static void arena_free(arena_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        ei__free(a->p[i]);
    ei__free(a->p);
}

/* A TensorProto for `t`, its memory kept in `a`. NULL on failure (message in err). */
static Onnx__TensorProto *tensor_proto(arena_t *a, const ei_tensor_t *t, ei_error_t *err)
{
    Onnx__TensorProto *tp = arena_calloc(a, 1, sizeof(*tp));
    if (tp == NULL) {
        ei__fail(err, EI_ENOMEM, "out of memory");
        return NULL;
    }
    onnx__tensor_proto__init(tp);
    void *scratch = NULL;
    if (ei__tensor_to_proto(t, tp, &scratch, err) != EI_OK)
        return NULL;
    if (scratch != NULL && arena_keep(a, scratch) == NULL) {
        ei__fail(err, EI_ENOMEM, "out of memory");
        return NULL;
    }
    return tp;
}

/* Tensors made for map values (one scalar per entry) live until the write ends. */
typedef struct {
    arena_t mem;
    ei_tensor_t **tensors;
    size_t n_tensors, cap_tensors;
} writer_t;

static ei_tensor_t *writer_tensor(writer_t *w, ei_dtype_t dt, ei_error_t *err)
{
    if (w->n_tensors == w->cap_tensors) {
        size_t cap = w->cap_tensors ? w->cap_tensors * 2 : 16;
        ei_tensor_t **nt = ei__realloc(w->tensors, cap * sizeof(*nt));
        if (nt == NULL) {
            ei__fail(err, EI_ENOMEM, "out of memory");
            return NULL;
        }
        w->tensors = nt;
        w->cap_tensors = cap;
    }
    ei_tensor_t *t = NULL;
    if (ei_tensor_create(dt, NULL, 0, &t, err) != EI_OK)
        return NULL;
    w->tensors[w->n_tensors++] = t;
    return t;
}

static Onnx__SequenceProto *seq_proto(writer_t *w, const ei_value_t *v, ei_error_t *err);

static Onnx__MapProto *map_proto(writer_t *w, const ei_value_t *v, ei_error_t *err)
{
    arena_t *a = &w->mem;
    const ei_tensor_t *keys = ei_value_map_keys(v), *vals = ei_value_map_values(v);
    size_t n = ei_tensor_count(keys);
    ei_dtype_t vt = ei_tensor_dtype(vals);
    Onnx__MapProto *mp = arena_calloc(a, 1, sizeof(*mp));
    Onnx__SequenceProto *vs = arena_calloc(a, 1, sizeof(*vs));
    Onnx__TensorProto **tps = arena_calloc(a, n, sizeof(*tps));
    if (mp == NULL || vs == NULL || tps == NULL) {
        ei__fail(err, EI_ENOMEM, "out of memory");
        return NULL;
    }
    onnx__map_proto__init(mp);
    onnx__sequence_proto__init(vs);
    mp->has_key_type = 1;
    mp->key_type = (int32_t)ei_tensor_dtype(keys);
    if (mp->key_type == EI_DTYPE_INT64) {
        mp->n_keys = n;
        mp->keys = ei_tensor_data(keys);
    } else {
        ProtobufCBinaryData *sk = arena_calloc(a, n, sizeof(*sk));
        if (sk == NULL) {
            ei__fail(err, EI_ENOMEM, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            size_t len = 0;
            sk[i].data = (uint8_t *)(uintptr_t)ei_tensor_string(keys, i, &len);
            sk[i].len = len;
        }
        mp->n_string_keys = n;
        mp->string_keys = sk;
    }
    for (size_t i = 0; i < n; i++) {
        ei_tensor_t *one = writer_tensor(w, vt, err);
        if (one == NULL)
            return NULL;
        if (vt == EI_DTYPE_STRING) {
            size_t len = 0;
            const char *str = ei_tensor_string(vals, i, &len);
            if (ei_tensor_set_string(one, 0, str, len, err) != EI_OK)
                return NULL;
        } else {
            memcpy(ei_tensor_data(one), (const char *)ei_tensor_data(vals) + i * ei_dtype_size(vt),
                   ei_dtype_size(vt));
        }
        tps[i] = tensor_proto(a, one, err);
        if (tps[i] == NULL)
            return NULL;
    }
    vs->has_elem_type = 1;
    vs->elem_type = ELEM_TENSOR;
    vs->n_tensor_values = n;
    vs->tensor_values = tps;
    mp->values = vs;
    return mp;
}

static Onnx__SequenceProto *seq_proto(writer_t *w, const ei_value_t *v, ei_error_t *err)
{
    arena_t *a = &w->mem;
    size_t n = ei_value_count(v);
    Onnx__SequenceProto *sp = arena_calloc(a, 1, sizeof(*sp));
    if (sp == NULL) {
        ei__fail(err, EI_ENOMEM, "out of memory");
        return NULL;
    }
    onnx__sequence_proto__init(sp);
    sp->has_elem_type = 1;
    if (ei_value_elem_kind(v) == EI_VALUE_MAP) {
        sp->elem_type = ELEM_MAP;
        Onnx__MapProto **mps = arena_calloc(a, n, sizeof(*mps));
        if (mps == NULL) {
            ei__fail(err, EI_ENOMEM, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < n; i++) {
            mps[i] = map_proto(w, ei_value_element(v, i), err);
            if (mps[i] == NULL)
                return NULL;
        }
        sp->n_map_values = n;
        sp->map_values = mps;
        return sp;
    }
    sp->elem_type = ELEM_TENSOR;
    Onnx__TensorProto **tps = arena_calloc(a, n, sizeof(*tps));
    if (tps == NULL) {
        ei__fail(err, EI_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        tps[i] = tensor_proto(a, ei_value_tensor(ei_value_element(v, i)), err);
        if (tps[i] == NULL)
            return NULL;
    }
    sp->n_tensor_values = n;
    sp->tensor_values = tps;
    return sp;
}

ei_code_t ei_value_save_pb(const ei_value_t *v, const char *name, const char *path, ei_error_t *err)
{
    if (v == NULL || path == NULL)
        return ei__fail(err, EI_EINVAL, "value or path is NULL");
    if (ei_value_kind(v) == EI_VALUE_TENSOR)
        return ei_tensor_save_pb(ei_value_tensor(v), name, path, err);
    writer_t w = {0};
    ProtobufCMessage *msg = NULL;
    char *nm = name != NULL && name[0] != '\0' ? (char *)(uintptr_t)name : NULL;
    ei_error_t local;
    if (err == NULL)
        err = &local;
    ei_error_clear(err);
    switch (ei_value_kind(v)) {
    case EI_VALUE_SEQUENCE: {
        Onnx__SequenceProto *sp = seq_proto(&w, v, err);
        if (sp != NULL) {
            sp->name = nm;
            msg = &sp->base;
        }
        break;
    }
    case EI_VALUE_MAP: {
        Onnx__MapProto *mp = map_proto(&w, v, err);
        if (mp != NULL) {
            mp->name = nm;
            msg = &mp->base;
        }
        break;
    }
    case EI_VALUE_OPTIONAL: {
        Onnx__OptionalProto *op = arena_calloc(&w.mem, 1, sizeof(*op));
        if (op == NULL) {
            ei__fail(err, EI_ENOMEM, "out of memory");
            break;
        }
        onnx__optional_proto__init(op);
        op->name = nm;
        const ei_value_t *inner = ei_value_element(v, 0);
        if (inner == NULL) {
            /* None: ONNX writes elem_type UNDEFINED and no value. */
            msg = &op->base;
            break;
        }
        op->has_elem_type = 1;
        if (ei_value_kind(inner) == EI_VALUE_TENSOR) {
            op->elem_type = ELEM_TENSOR;
            op->tensor_value = tensor_proto(&w.mem, ei_value_tensor(inner), err);
            if (op->tensor_value != NULL)
                msg = &op->base;
        } else {
            op->elem_type = ELEM_SEQUENCE;
            op->sequence_value = seq_proto(&w, inner, err);
            if (op->sequence_value != NULL)
                msg = &op->base;
        }
        break;
    }
    default:
        ei__fail(err, EI_EUNSUPPORTED, "a %s cannot be written",
                 ei_value_kind_name(ei_value_kind(v)));
        break;
    }
    ei_code_t rc = EI_OK;
    if (msg == NULL) {
        rc = err->code != EI_OK ? err->code : ei__fail(err, EI_ENOMEM, "out of memory");
        ei__error_prefix(err, "%s", path);
    } else {
        size_t size = protobuf_c_message_get_packed_size(msg);
        uint8_t *buf = ei__malloc(size ? size : 1);
        if (buf == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "%s: out of memory for %zu bytes", path, size);
        } else if (protobuf_c_message_pack(msg, buf) != size) {
            rc = ei__fail(err, EI_ERUNTIME, "%s: protobuf packing wrote an unexpected size", path);
        } else {
            const void *parts[] = {buf};
            rc = ei__file_write(path, parts, &size, 1, err);
        }
        ei__free(buf);
    }
    for (size_t i = 0; i < w.n_tensors; i++)
        ei_tensor_destroy(w.tensors[i]);
    ei__free(w.tensors);
    arena_free(&w.mem);
    return rc;
}
