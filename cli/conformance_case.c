/* SPDX-License-Identifier: MIT */
/*
 * ONNX backend test cases for `edgeinfer conformance`: finding them on disk, reading the skip list,
 * comparing outputs with the backend tests' tolerances, and running one case (all its data sets)
 * through the public session API. Process isolation, parallelism and reporting are in
 * cmd_conformance.c; nothing here forks.
 */
#include "conformance.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONF_MAX_DEPTH 16
#define CONF_MAX_IO 64

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL) {
        fprintf(stderr, "edgeinfer: error: out of memory\n");
        exit(1);
    }
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "<parent>/<name>" from a folder path (trailing slashes ignored). */
static char *case_id(const char *dir)
{
    char buf[4096];
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    memcpy(buf, dir, len);
    buf[len] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL)
        return xstrdup(buf);
    *slash = '\0';
    const char *name = slash + 1;
    const char *parent = strrchr(buf, '/');
    parent = parent != NULL ? parent + 1 : buf;
    char id[sizeof(buf) + 2];
    if (*parent == '\0' || strcmp(parent, ".") == 0)
        snprintf(id, sizeof(id), "%s", name);
    else
        snprintf(id, sizeof(id), "%s/%s", parent, name);
    return xstrdup(id);
}

static void add_case(ei_conf_cases_t *out, const char *dir, bool download_only, const char *filter)
{
    char *id = case_id(dir);
    if (filter != NULL && strstr(id, filter) == NULL) {
        free(id);
        return;
    }
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        ei_conf_case_t *items = realloc(out->items, cap * sizeof(*items));
        if (items == NULL) {
            fprintf(stderr, "edgeinfer: error: out of memory\n");
            exit(1);
        }
        out->items = items;
        out->cap = cap;
    }
    out->items[out->n].dir = xstrdup(dir);
    out->items[out->n].id = id;
    out->items[out->n].download_only = download_only;
    out->n++;
}

static bool find_rec(const char *dir, const char *filter, ei_conf_cases_t *out, int depth,
                     ei_error_t *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/model.onnx", dir);
    if (is_file(path)) {
        add_case(out, dir, false, filter);
        return true;
    }
    snprintf(path, sizeof(path), "%s/data.json", dir);
    if (is_file(path)) {
        add_case(out, dir, true, filter);
        return true;
    }
    if (depth >= CONF_MAX_DEPTH)
        return true;
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s: cannot read folder: %s", dir, strerror(errno));
        err->code = errno == ENOENT ? EI_ENOENT : EI_EIO;
        return false;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*names));
            if (nn == NULL) {
                fprintf(stderr, "edgeinfer: error: out of memory\n");
                exit(1);
            }
            names = nn;
        }
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (ok && is_dir(path))
            ok = find_rec(path, filter, out, depth + 1, err);
        free(names[i]);
    }
    free(names);
    return ok;
}

bool ei_conf_find_cases(const char *dir, const char *filter, ei_conf_cases_t *out, ei_error_t *err)
{
    if (!is_dir(dir)) {
        snprintf(err->msg, sizeof(err->msg), "%s: not a folder", dir);
        err->code = EI_ENOENT;
        return false;
    }
    return find_rec(dir, filter, out, 0, err);
}

void ei_conf_cases_free(ei_conf_cases_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].dir);
        free(c->items[i].id);
    }
    free(c->items);
    memset(c, 0, sizeof(*c));
}

/* Skip list ---------------------------------------------------------------------------------- */

bool ei_conf_skip_load(const char *path, ei_conf_skip_t *out, ei_error_t *err)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s: cannot open skip list: %s", path,
                 strerror(errno));
        err->code = errno == ENOENT ? EI_ENOENT : EI_EIO;
        return false;
    }
    char line[4096];
    size_t cap = 0, lineno = 0;
    bool ok = true;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t len = strlen(line);
        while (len > 0 && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        char *id = p;
        while (*p != '\0' && !isspace((unsigned char)*p))
            p++;
        if (*p != '\0')
            *p++ = '\0';
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0') {
            snprintf(err->msg, sizeof(err->msg), "%.200s:%zu: entry '%.200s' has no reason", path,
                     lineno, id);
            err->code = EI_EFORMAT;
            ok = false;
            break;
        }
        if (ei_conf_skip_find(out, id) >= 0) {
            snprintf(err->msg, sizeof(err->msg), "%.200s:%zu: case '%.200s' is listed twice", path,
                     lineno, id);
            err->code = EI_EFORMAT;
            ok = false;
            break;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 128;
            char **ids = realloc(out->ids, cap * sizeof(char *));
            if (ids != NULL)
                out->ids = ids;
            char **reasons = realloc(out->reasons, cap * sizeof(char *));
            if (reasons != NULL)
                out->reasons = reasons;
            bool *used = realloc(out->used, cap * sizeof(bool));
            if (used != NULL)
                out->used = used;
            if (ids == NULL || reasons == NULL || used == NULL) {
                fprintf(stderr, "edgeinfer: error: out of memory\n");
                exit(1);
            }
        }
        out->ids[out->n] = xstrdup(id);
        out->reasons[out->n] = xstrdup(p);
        out->used[out->n] = false;
        out->n++;
    }
    fclose(f);
    if (!ok)
        ei_conf_skip_free(out);
    return ok;
}

long ei_conf_skip_find(const ei_conf_skip_t *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->ids[i], id) == 0)
            return (long)i;
    }
    return -1;
}

void ei_conf_skip_free(ei_conf_skip_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->ids[i]);
        free(s->reasons[i]);
    }
    free(s->ids);
    free(s->reasons);
    free(s->used);
    memset(s, 0, sizeof(*s));
}

/* Comparison --------------------------------------------------------------------------------- */

static bool is_floating(ei_dtype_t dt)
{
    switch (dt) {
    case EI_DTYPE_FLOAT32:
    case EI_DTYPE_FLOAT64:
    case EI_DTYPE_FLOAT16:
    case EI_DTYPE_BFLOAT16:
    case EI_DTYPE_FLOAT8E4M3FN:
    case EI_DTYPE_FLOAT8E4M3FNUZ:
    case EI_DTYPE_FLOAT8E5M2:
    case EI_DTYPE_FLOAT8E5M2FNUZ:
        return true;
    default:
        return false;
    }
}

/* Element i of an integer or bool tensor, exactly; `*neg` distinguishes the signed case. */
static uint64_t int_bits(const ei_tensor_t *t, size_t i)
{
    const void *p = ei_tensor_data(t);
    switch (ei_tensor_dtype(t)) {
    case EI_DTYPE_INT8:
        return (uint64_t)(int64_t)((const int8_t *)p)[i];
    case EI_DTYPE_UINT8:
    case EI_DTYPE_BOOL:
        return ((const uint8_t *)p)[i];
    case EI_DTYPE_INT16:
        return (uint64_t)(int64_t)((const int16_t *)p)[i];
    case EI_DTYPE_UINT16:
        return ((const uint16_t *)p)[i];
    case EI_DTYPE_INT32:
        return (uint64_t)(int64_t)((const int32_t *)p)[i];
    case EI_DTYPE_UINT32:
        return ((const uint32_t *)p)[i];
    case EI_DTYPE_INT64:
        return (uint64_t)((const int64_t *)p)[i];
    case EI_DTYPE_UINT64:
        return ((const uint64_t *)p)[i];
    default: /* 4-bit types */
        return (uint64_t)(int64_t)ei_tensor_get_f64(t, i);
    }
}

static void format_int(const ei_tensor_t *t, uint64_t v, char *buf, size_t size)
{
    if (ei_tensor_dtype(t) == EI_DTYPE_UINT64)
        snprintf(buf, size, "%" PRIu64, v);
    else
        snprintf(buf, size, "%" PRId64, (int64_t)v);
}

/* Writes "[i,j,k]" for flat index `flat`. */
static void format_index(const ei_tensor_t *t, size_t flat, char *buf, size_t size)
{
    int64_t idx[EI_MAX_RANK];
    size_t rank = ei_tensor_rank(t);
    const int64_t *shape = ei_tensor_shape(t);
    for (size_t k = rank; k-- > 0;) {
        size_t d = shape[k] > 0 ? (size_t)shape[k] : 1;
        idx[k] = (int64_t)(flat % d);
        flat /= d;
    }
    ei_shape_format(idx, rank, buf, size);
}

/* A string quoted for a message, at most 40 bytes, non-printables as \xNN. */
static void quote(const char *s, size_t len, char *buf, size_t size)
{
    size_t o = 0;
    if (size < 8)
        return;
    buf[o++] = '"';
    for (size_t i = 0; i < len && o + 6 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= 40) {
            o += (size_t)snprintf(buf + o, size - o, "...");
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    if (o + 2 <= size) {
        buf[o++] = '"';
        buf[o] = '\0';
    } else {
        buf[size - 1] = '\0';
    }
}

bool ei_conf_compare(const ei_tensor_t *expected, const ei_tensor_t *got, const ei_conf_tol_t *tol,
                     char *why, size_t why_size)
{
    ei_dtype_t dt = ei_tensor_dtype(expected);
    char se[128], sg[128];
    if (ei_tensor_dtype(got) != dt) {
        snprintf(why, why_size, "expected dtype %s, got %s", ei_dtype_name(dt),
                 ei_dtype_name(ei_tensor_dtype(got)));
        return false;
    }
    size_t rank = ei_tensor_rank(expected);
    if (ei_tensor_rank(got) != rank ||
        (rank > 0 &&
         memcmp(ei_tensor_shape(got), ei_tensor_shape(expected), rank * sizeof(int64_t)) != 0)) {
        ei_shape_format(ei_tensor_shape(expected), rank, se, sizeof(se));
        ei_shape_format(ei_tensor_shape(got), ei_tensor_rank(got), sg, sizeof(sg));
        snprintf(why, why_size, "expected shape %s, got %s", se, sg);
        return false;
    }
    size_t n = ei_tensor_count(expected);
    size_t bad = 0, first = 0;
    double max_diff = 0;
    char ve[128] = "", vg[128] = "";
    bool floating = is_floating(dt);
    for (size_t i = 0; i < n; i++) {
        bool ok;
        if (dt == EI_DTYPE_STRING) {
            size_t le = 0, lg = 0;
            const char *a = ei_tensor_string(expected, i, &le);
            const char *b = ei_tensor_string(got, i, &lg);
            ok = le == lg && (le == 0 || memcmp(a, b, le) == 0);
            if (!ok && bad == 0) {
                quote(a, le, ve, sizeof(ve));
                quote(b, lg, vg, sizeof(vg));
            }
        } else if (floating) {
            double e = ei_tensor_get_f64(expected, i), g = ei_tensor_get_f64(got, i);
            if (isnan(e) || isnan(g))
                ok = isnan(e) && isnan(g);
            else if (isinf(e) || isinf(g))
                ok = e == g;
            else
                ok = fabs(g - e) <= tol->atol + tol->rtol * fabs(e);
            if (!ok && !isnan(e) && !isnan(g) && !isinf(e) && !isinf(g) && fabs(g - e) > max_diff)
                max_diff = fabs(g - e);
            if (!ok && bad == 0) {
                snprintf(ve, sizeof(ve), "%.9g", e);
                snprintf(vg, sizeof(vg), "%.9g", g);
            }
        } else {
            uint64_t e = int_bits(expected, i), g = int_bits(got, i);
            ok = e == g;
            if (!ok && bad == 0) {
                format_int(expected, e, ve, sizeof(ve));
                format_int(got, g, vg, sizeof(vg));
            }
        }
        if (!ok) {
            if (bad == 0)
                first = i;
            bad++;
        }
    }
    if (bad == 0)
        return true;
    char idx[160];
    format_index(expected, first, idx, sizeof(idx));
    int w = snprintf(why, why_size, "%zu of %zu elements differ; first at %s: expected %s, got %s",
                     bad, n, idx, ve, vg);
    if (floating && max_diff > 0 && w > 0 && (size_t)w < why_size)
        snprintf(why + w, why_size - (size_t)w, " (max |diff| %.3g, rtol %g, atol %g)", max_diff,
                 tol->rtol, tol->atol);
    return false;
}

/* Running one case --------------------------------------------------------------------------- */

/* Copies `msg` into `why` with newlines and tabs turned into spaces. */
static void one_line(char *why, size_t size, const char *prefix, const char *msg)
{
    snprintf(why, size, "%s%s", prefix, msg);
    for (char *p = why; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    }
}

bool ei_conf_compare_values(const ei_value_t *expected, const ei_value_t *got,
                            const ei_conf_tol_t *tol, char *why, size_t why_size)
{
    ei_value_kind_t ek = ei_value_kind(expected), gk = ei_value_kind(got);
    if (ek != gk) {
        snprintf(why, why_size, "expected a %s, got a %s", ei_value_kind_name(ek),
                 ei_value_kind_name(gk));
        return false;
    }
    switch (ek) {
    case EI_VALUE_TENSOR:
        return ei_conf_compare(ei_value_tensor(expected), ei_value_tensor(got), tol, why, why_size);
    case EI_VALUE_MAP: {
        char detail[900];
        if (!ei_conf_compare(ei_value_map_keys(expected), ei_value_map_keys(got), tol, detail,
                             sizeof(detail))) {
            snprintf(why, why_size, "map keys: %s", detail);
            return false;
        }
        if (!ei_conf_compare(ei_value_map_values(expected), ei_value_map_values(got), tol, detail,
                             sizeof(detail))) {
            snprintf(why, why_size, "map values: %s", detail);
            return false;
        }
        return true;
    }
    case EI_VALUE_SEQUENCE:
    case EI_VALUE_OPTIONAL: {
        size_t ne = ei_value_count(expected), ng = ei_value_count(got);
        if (ne != ng) {
            if (ek == EI_VALUE_OPTIONAL)
                snprintf(why, why_size, "expected %s, got %s", ne ? "a value" : "None",
                         ng ? "a value" : "None");
            else
                snprintf(why, why_size, "expected %zu sequence elements, got %zu", ne, ng);
            return false;
        }
        for (size_t i = 0; i < ne; i++) {
            char detail[900];
            if (!ei_conf_compare_values(ei_value_element(expected, i), ei_value_element(got, i),
                                        tol, detail, sizeof(detail))) {
                if (ek == EI_VALUE_OPTIONAL)
                    snprintf(why, why_size, "optional value: %s", detail);
                else
                    snprintf(why, why_size, "sequence element %zu: %s", i, detail);
                return false;
            }
        }
        return true;
    }
    default:
        snprintf(why, why_size, "cannot compare a %s", ei_value_kind_name(ek));
        return false;
    }
}

typedef struct {
    ei_value_t *v[CONF_MAX_IO];
    ei_value_t *owner[CONF_MAX_IO]; /* the loaded value when v[i] is a retyped view of it */
    char *names[CONF_MAX_IO];
    size_t n;
} pb_set_t;

static void pb_set_free(pb_set_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        ei_value_destroy(s->v[i]);
        ei_value_destroy(s->owner[i]);
        ei_free(s->names[i]);
    }
    s->n = 0;
}

/*
 * The ONNX 1.12 test generator stored bfloat16 tensors as UINT16 .pb files holding the bit
 * patterns (NumPy has no bfloat16). Where the model says bfloat16, view those bits as bfloat16:
 * the data is unchanged, only the element type is corrected.
 */
static bool retype_bf16(pb_set_t *s, size_t i, const ei_value_info_t *vi)
{
    const ei_tensor_t *t = ei_value_tensor(s->v[i]);
    if (vi->kind != EI_VALUE_TENSOR || vi->dtype != EI_DTYPE_BFLOAT16 || t == NULL ||
        ei_tensor_dtype(t) != EI_DTYPE_UINT16 || s->owner[i] != NULL)
        return true;
    ei_tensor_t *view = NULL;
    ei_value_t *vv = NULL;
    ei_error_t err = {0};
    if (ei_tensor_wrap(EI_DTYPE_BFLOAT16, ei_tensor_shape(t), ei_tensor_rank(t), ei_tensor_data(t),
                       ei_tensor_nbytes(t), &view, &err) != EI_OK)
        return false;
    if (ei_value_from_tensor(view, &vv, &err) != EI_OK) {
        ei_tensor_destroy(view);
        return false;
    }
    s->owner[i] = s->v[i];
    s->v[i] = vv;
    return true;
}

/* The model's declaration of input/output `i`, or NULL. */
static const ei_value_info_t *decl_at(const ei_session_t *s, bool inputs, size_t i)
{
    return inputs ? ei_session_input(s, i) : ei_session_output(s, i);
}

static const ei_value_info_t *decl_named(const ei_session_t *s, bool inputs, const char *name)
{
    int k = inputs ? ei_session_input_index(s, name) : ei_session_output_index(s, name);
    return k >= 0 ? decl_at(s, inputs, (size_t)k) : NULL;
}

/*
 * Loads <dir>/<prefix>_0.pb, _1.pb ... until one is missing. A .pb file does not say whether it
 * holds a TensorProto, SequenceProto, MapProto or OptionalProto: the model's declaration does. The
 * file is read as what the model input/output at its position is, and read again as what the
 * input/output it names is when that differs.
 */
static ei_conf_status_t load_pb_set(const ei_session_t *s, bool inputs, const char *dir,
                                    pb_set_t *out, char *why, size_t why_size)
{
    char path[4096];
    const char *prefix = inputs ? "input" : "output";
    out->n = 0;
    for (size_t i = 0;; i++) {
        int len = snprintf(path, sizeof(path), "%s/%s_%zu.pb", dir, prefix, i);
        if (len < 0 || (size_t)len >= sizeof(path)) {
            snprintf(why, why_size, "%s: path too long", dir);
            return EI_CONF_FAIL;
        }
        if (!is_file(path))
            break;
        if (i >= CONF_MAX_IO) {
            snprintf(why, why_size, "%s: more than %d %s files", dir, CONF_MAX_IO, prefix);
            return EI_CONF_FAIL;
        }
        ei_error_t err = {0};
        const ei_value_info_t *vi = decl_at(s, inputs, i);
        ei_value_kind_t kind = vi != NULL ? vi->kind : EI_VALUE_TENSOR;
        ei_code_t rc = ei_value_load_pb(path, kind, &out->v[i], &out->names[i], &err);
        if (rc == EI_OK) {
            const ei_value_info_t *named = decl_named(s, inputs, out->names[i]);
            if (named != NULL && named->kind != kind) {
                ei_value_destroy(out->v[i]);
                ei_free(out->names[i]);
                out->v[i] = NULL;
                out->names[i] = NULL;
                rc = ei_value_load_pb(path, named->kind, &out->v[i], &out->names[i], &err);
            }
        }
        if (rc != EI_OK) {
            one_line(why, why_size, "", err.msg);
            return EI_CONF_FAIL;
        }
        out->n = i + 1;
    }
    return EI_CONF_PASS;
}

/*
 * The model names for the data set's values: the names stored in the .pb files when every one
 * of them names a distinct model input/output, otherwise by position.
 */
static ei_conf_status_t bind_names(const ei_session_t *s, bool inputs, const pb_set_t *set,
                                   const char **names, const char *where, char *why,
                                   size_t why_size)
{
    size_t model_n = inputs ? ei_session_input_count(s) : ei_session_output_count(s);
    bool by_name = set->n > 0;
    for (size_t i = 0; i < set->n && by_name; i++) {
        by_name = set->names[i][0] != '\0' && decl_named(s, inputs, set->names[i]) != NULL;
        for (size_t j = 0; j < i && by_name; j++)
            by_name = strcmp(set->names[i], set->names[j]) != 0;
    }
    if (by_name) {
        for (size_t i = 0; i < set->n; i++)
            names[i] = set->names[i];
        return EI_CONF_PASS;
    }
    if (set->n > model_n) {
        snprintf(why, why_size, "%s: %zu %s files for a model with %zu %ss", where, set->n,
                 inputs ? "input" : "output", model_n, inputs ? "input" : "output");
        return EI_CONF_FAIL;
    }
    for (size_t i = 0; i < set->n; i++)
        names[i] = decl_at(s, inputs, i)->name;
    return EI_CONF_PASS;
}

/* Runs one data set; FAIL with the reason on any error or mismatch. */
static ei_conf_status_t run_set(ei_session_t *s, const char *set_dir, const char *set_name,
                                const ei_conf_tol_t *tol, char *why, size_t why_size)
{
    pb_set_t in = {0}, exp = {0};
    why[0] = '\0';
    ei_value_t *got[CONF_MAX_IO] = {0};
    const char *in_names[CONF_MAX_IO], *out_names[CONF_MAX_IO];
    ei_conf_status_t st = load_pb_set(s, true, set_dir, &in, why, why_size);
    if (st == EI_CONF_PASS)
        st = load_pb_set(s, false, set_dir, &exp, why, why_size);
    if (st == EI_CONF_PASS)
        st = bind_names(s, true, &in, in_names, set_name, why, why_size);
    if (st == EI_CONF_PASS)
        st = bind_names(s, false, &exp, out_names, set_name, why, why_size);
    if (st == EI_CONF_PASS && exp.n == 0) {
        snprintf(why, why_size, "%s: no output_N.pb files", set_name);
        st = EI_CONF_FAIL;
    }
    for (size_t i = 0; st == EI_CONF_PASS && i < in.n; i++) {
        const ei_value_info_t *vi = decl_named(s, true, in_names[i]);
        if (vi != NULL && !retype_bf16(&in, i, vi))
            st = EI_CONF_FAIL;
    }
    for (size_t i = 0; st == EI_CONF_PASS && i < exp.n; i++) {
        const ei_value_info_t *vi = decl_named(s, false, out_names[i]);
        if (vi != NULL && !retype_bf16(&exp, i, vi))
            st = EI_CONF_FAIL;
    }
    if (st != EI_CONF_PASS && why[0] == '\0')
        snprintf(why, why_size, "%s: out of memory", set_name);
    if (st != EI_CONF_PASS)
        goto out;
    ei_error_t err = {0};
    if (ei_session_run_values(s, in_names, in.v, in.n, out_names, got, exp.n, &err) != EI_OK) {
        char prefix[160];
        snprintf(prefix, sizeof(prefix), "%s: run failed: ", set_name);
        one_line(why, why_size, prefix, err.msg);
        st = EI_CONF_FAIL;
        goto out;
    }
    for (size_t i = 0; i < exp.n; i++) {
        char detail[1024];
        if (!ei_conf_compare_values(exp.v[i], got[i], tol, detail, sizeof(detail))) {
            snprintf(why, why_size, "%s: output %zu '%s': %s", set_name, i, out_names[i], detail);
            st = EI_CONF_FAIL;
            break;
        }
    }
out:
    for (size_t i = 0; i < exp.n; i++)
        ei_value_destroy(got[i]);
    pb_set_free(&in);
    pb_set_free(&exp);
    return st;
}

static const char *const *conf_custom_ops;
static size_t conf_n_custom_ops;

void ei_conf_set_custom_ops(const char *const *libs, size_t n)
{
    conf_custom_ops = libs;
    conf_n_custom_ops = n;
}

ei_conf_status_t ei_conf_run_case(const ei_conf_case_t *c, const ei_conf_tol_t *tol, char *why,
                                  size_t why_size)
{
    ei_session_t *s = NULL;
    char **sets = NULL;
    size_t n_sets = 0, cap = 0;
    ei_conf_status_t st = EI_CONF_PASS;
    char path[4096];
    why[0] = '\0';

    if (c->download_only) {
        snprintf(why, why_size,
                 "offline: only a download pointer (data.json); the model is not "
                 "available offline");
        return EI_CONF_SKIP;
    }
    ei_session_opts_t o;
    ei_session_opts_init(&o);
    o.intra_op_threads = 1;
    o.custom_op_libraries = conf_custom_ops;
    o.n_custom_op_libraries = conf_n_custom_ops;
    o.inter_op_threads = 1;
    snprintf(path, sizeof(path), "%s/model.onnx", c->dir);
    ei_error_t err = {0};
    if (ei_session_create(path, &o, &s, &err) != EI_OK) {
        /* StringNormalizer needs a locale the machine may lack: an environmental skip. */
        if (strstr(err.msg, "locale") != NULL) {
            one_line(why, why_size,
                     "environment: a locale ONNX Runtime needs is missing (scripts/setup.sh test "
                     "generates en_US.UTF-8): ",
                     err.msg);
            return EI_CONF_SKIP;
        }
        one_line(why, why_size, "load failed: ", err.msg);
        return EI_CONF_FAIL;
    }
    DIR *d = opendir(c->dir);
    if (d == NULL) {
        snprintf(why, why_size, "%s: cannot read folder: %s", c->dir, strerror(errno));
        st = EI_CONF_FAIL;
        goto out;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "test_data_set_", 14) != 0)
            continue;
        if (n_sets == cap) {
            cap = cap ? cap * 2 : 8;
            char **ns = realloc(sets, cap * sizeof(*sets));
            if (ns == NULL) {
                closedir(d);
                snprintf(why, why_size, "out of memory");
                st = EI_CONF_FAIL;
                goto out;
            }
            sets = ns;
        }
        sets[n_sets++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n_sets == 0) {
        snprintf(why, why_size, "no test_data_set_* folders in %s", c->dir);
        st = EI_CONF_FAIL;
        goto out;
    }
    qsort(sets, n_sets, sizeof(*sets), cmp_str);
    for (size_t i = 0; i < n_sets && st == EI_CONF_PASS; i++) {
        snprintf(path, sizeof(path), "%s/%s", c->dir, sets[i]);
        st = run_set(s, path, sets[i], tol, why, why_size);
    }
out:
    for (size_t i = 0; i < n_sets; i++)
        free(sets[i]);
    free(sets);
    ei_session_destroy(s);
    return st;
}
