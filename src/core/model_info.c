/* SPDX-License-Identifier: MIT */
/*
 * ONNX file inspection (include/edgeinfer/model.h): the file is mapped once, unpacked with
 * protobuf-c (onnx.proto compiled at build time) and summarised; ONNX Runtime is not involved, so
 * this works on models ORT would refuse. Not a validator: it reports what the file declares and
 * only refuses what cannot be a ModelProto.
 */
#include "ei_util.h"
#include "onnx.pb-c.h"

#include <edgeinfer/model.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper nesting of subgraphs than this is refused rather than walked. */
#define MAX_GRAPH_DEPTH 64

/* The public struct plus everything it points to, freed in one place. */
struct info_impl {
    ei_model_info_t pub;
    void **allocs;
    size_t n_allocs, cap_allocs;
    ei_op_count_t *ops;
    size_t n_ops, cap_ops;
};

static void *pool_add(struct info_impl *m, void *p)
{
    if (p == NULL)
        return NULL;
    if (m->n_allocs == m->cap_allocs) {
        size_t cap = m->cap_allocs ? 2 * m->cap_allocs : 64;
        void **a = ei__realloc(m->allocs, cap * sizeof(*a));
        if (a == NULL) {
            ei__free(p);
            return NULL;
        }
        m->allocs = a;
        m->cap_allocs = cap;
    }
    m->allocs[m->n_allocs++] = p;
    return p;
}

static void *pool_calloc(struct info_impl *m, size_t count, size_t size)
{
    return pool_add(m, ei__calloc(count ? count : 1, size));
}

/* A pooled copy of `s` ("" for NULL); NULL only when out of memory. */
static const char *pool_str(struct info_impl *m, const char *s)
{
    return pool_add(m, ei__strdup(s != NULL ? s : ""));
}

void ei_model_info_destroy(ei_model_info_t *info)
{
    if (info == NULL)
        return;
    struct info_impl *m = (struct info_impl *)info;
    for (size_t i = 0; i < m->n_allocs; i++)
        ei__free(m->allocs[i]);
    ei__free(m->allocs);
    ei__free(m);
}

/* protobuf-c's allocator; `data` points to a flag raised when an allocation fails. */
static void *pb_alloc(void *data, size_t size)
{
    void *p = ei__malloc(size);
    if (p == NULL)
        *(bool *)data = true;
    return p;
}

static void pb_free(void *data, void *p)
{
    (void)data;
    ei__free(p);
}

static bool default_domain(const char *d)
{
    return d == NULL || d[0] == '\0' || strcmp(d, "ai.onnx") == 0;
}

static ei_code_t count_op(struct info_impl *m, const Onnx__NodeProto *n, bool in_sub,
                          ei_error_t *err)
{
    char name[256];
    const char *op = n->op_type != NULL ? n->op_type : "";
    if (default_domain(n->domain))
        ei__strlcpy(name, op, sizeof(name));
    else
        snprintf(name, sizeof(name), "%s:%s", n->domain, op);
    for (size_t i = 0; i < m->n_ops; i++) {
        if (strcmp(m->ops[i].op_type, name) == 0) {
            m->ops[i].count++;
            m->ops[i].in_subgraphs += in_sub;
            return EI_OK;
        }
    }
    if (m->n_ops == m->cap_ops) {
        size_t cap = m->cap_ops ? 2 * m->cap_ops : 32;
        ei_op_count_t *a = ei__realloc(m->ops, cap * sizeof(*a));
        if (a == NULL)
            return ei__fail(err, EI_ENOMEM, "out of memory counting operators");
        m->ops = a;
        m->cap_ops = cap;
    }
    const char *copy = pool_str(m, name);
    if (copy == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory counting operators");
    m->ops[m->n_ops].op_type = copy;
    m->ops[m->n_ops].count = 1;
    m->ops[m->n_ops].in_subgraphs = in_sub;
    m->n_ops++;
    return EI_OK;
}

static ei_code_t walk_graph(struct info_impl *m, const Onnx__GraphProto *g, int depth,
                            const char *what, ei_error_t *err);

/* Quantisation ----------------------------------------------------------------------------------
 */

const char *ei_quant_format_name(ei_quant_format_t f)
{
    switch (f) {
    case EI_QUANT_QDQ:
        return "QDQ";
    case EI_QUANT_QOPERATOR:
        return "QOperator";
    case EI_QUANT_DYNAMIC:
        return "dynamic";
    case EI_QUANT_NONE:
        break;
    }
    return "none";
}

/* The constant called `name` in `g`: an initializer or a Constant node's value. */
static const Onnx__TensorProto *constant(const Onnx__GraphProto *g, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return NULL;
    for (size_t i = 0; i < g->n_initializer; i++) {
        if (g->initializer[i]->name != NULL && strcmp(g->initializer[i]->name, name) == 0)
            return g->initializer[i];
    }
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        if (n->op_type == NULL || strcmp(n->op_type, "Constant") != 0 || n->n_output != 1 ||
            n->output[0] == NULL || strcmp(n->output[0], name) != 0)
            continue;
        for (size_t a = 0; a < n->n_attribute; a++) {
            if (n->attribute[a]->t != NULL)
                return n->attribute[a]->t;
        }
    }
    return NULL;
}

static bool is_float_type(int32_t t)
{
    return t == EI_DTYPE_FLOAT32 || t == EI_DTYPE_FLOAT16 || t == EI_DTYPE_BFLOAT16 ||
           t == EI_DTYPE_FLOAT64;
}

static uint32_t type_bit(int32_t t)
{
    return t > 0 && t < 32 ? 1u << t : 0;
}

static size_t element_count(const Onnx__TensorProto *t)
{
    size_t n = 1;
    for (size_t d = 0; d < t->n_dims; d++)
        n = t->dims[d] > 0 ? n * (size_t)t->dims[d] : 0;
    return n;
}

/*
 * Records what a quantisation node reads. Scales are the float constants; a zero point is the
 * integer constant right after a scale (or a scalar); other integer constants are quantised data
 * (weights). MatMulInteger / ConvInteger have no scales: inputs 2 and 3 are their zero points.
 */
static void quant_node(struct info_impl *m, const Onnx__GraphProto *g, const Onnx__NodeProto *n)
{
    const char *op = n->op_type != NULL ? n->op_type : "";
    size_t len = strlen(op);
    bool integer = len > 7 && strcmp(op + len - 7, "Integer") == 0;
    bool qlinear = strncmp(op, "QLinear", 7) == 0 || strcmp(op, "QGemm") == 0 ||
                   strcmp(op, "QAttention") == 0 || strcmp(op, "MatMulIntegerToFloat") == 0;
    bool qdq = strcmp(op, "QuantizeLinear") == 0 || strcmp(op, "DequantizeLinear") == 0;
    bool dynamic = strncmp(op, "DynamicQuantize", 15) == 0;
    if (!integer && !qlinear && !qdq && !dynamic)
        return;
    ei_model_info_t *p = &m->pub;
    p->n_quant_nodes++;
    ei_quant_format_t f = dynamic                ? EI_QUANT_DYNAMIC
                          : (integer || qlinear) ? EI_QUANT_QOPERATOR
                                                 : EI_QUANT_QDQ;
    if (f > p->quant_format)
        p->quant_format = f;
    bool after_scale = false;
    for (size_t i = 0; i < n->n_input; i++) {
        const Onnx__TensorProto *t = constant(g, n->input[i]);
        bool was_scale = after_scale;
        after_scale = false;
        if (t == NULL || !t->has_data_type)
            continue;
        int32_t dt = t->data_type;
        if (is_float_type(dt)) {
            if (integer)
                continue; /* a bias or other float input, not a scale */
            p->quant_scale_types |= type_bit(dt);
            if (element_count(t) > 1)
                p->quant_per_channel = true;
            after_scale = true;
        } else if (dt == EI_DTYPE_INT32 && !was_scale) {
            continue; /* QLinearConv's bias and the like */
        } else if ((integer && i >= 2) || (!integer && (was_scale || t->n_dims == 0))) {
            p->quant_zero_point_types |= type_bit(dt);
        } else {
            p->quant_weight_types |= type_bit(dt);
        }
    }
}

static ei_code_t walk_sub(struct info_impl *m, const Onnx__GraphProto *g, int depth,
                          const char *what, ei_error_t *err)
{
    if (g == NULL)
        return EI_OK;
    if (depth > MAX_GRAPH_DEPTH)
        return ei__fail(err, EI_EMODEL, "%s: subgraphs nested deeper than %d", what,
                        MAX_GRAPH_DEPTH);
    m->pub.n_subgraphs++;
    return walk_graph(m, g, depth, what, err);
}

static ei_code_t walk_graph(struct info_impl *m, const Onnx__GraphProto *g, int depth,
                            const char *what, ei_error_t *err)
{
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        ei_code_t rc = count_op(m, n, depth > 0, err);
        quant_node(m, g, n);
        if (rc != EI_OK)
            return rc;
        if (depth > 0)
            m->pub.n_subgraph_nodes++;
        else
            m->pub.n_nodes++;
        for (size_t a = 0; a < n->n_attribute; a++) {
            const Onnx__AttributeProto *at = n->attribute[a];
            rc = walk_sub(m, at->g, depth + 1, what, err);
            for (size_t k = 0; rc == EI_OK && k < at->n_graphs; k++)
                rc = walk_sub(m, at->graphs[k], depth + 1, what, err);
            if (rc != EI_OK)
                return rc;
        }
    }
    return EI_OK;
}

static int op_cmp(const void *a, const void *b)
{
    const ei_op_count_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->op_type, y->op_type);
}

/* Declared data bytes of a TensorProto; false when its shape is negative or overflows. */
static bool tensor_bytes(const Onnx__TensorProto *t, uint64_t *out)
{
    size_t count = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || ei__mul_overflow(count, (size_t)t->dims[i], &count))
            return false;
    }
    ei_dtype_t dt = (ei_dtype_t)t->data_type;
    if (dt == EI_DTYPE_STRING) {
        uint64_t sum = 0;
        for (size_t i = 0; i < t->n_string_data; i++)
            sum += t->string_data[i].len;
        *out = sum;
        return true;
    }
    if (t->data_type > 0 && dt < EI__DTYPE_COUNT) {
        size_t n = ei_dtype_nbytes(dt, count);
        if (n == SIZE_MAX)
            return false;
        *out = n;
        return true;
    }
    /* An element type this build does not know: what the file holds is the best answer. */
    *out = t->has_raw_data ? t->raw_data.len : 0;
    return true;
}

static bool is_external(const Onnx__TensorProto *t)
{
    return t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
}

static ei_code_t add_tensor(struct info_impl *m, const Onnx__TensorProto *t, const char *what,
                            ei_error_t *err)
{
    uint64_t bytes = 0;
    if (t == NULL)
        return EI_OK;
    if (!tensor_bytes(t, &bytes))
        return ei__fail(err, EI_EMODEL, "%s: initializer '%s' has a negative or overflowing shape",
                        what, t->name != NULL ? t->name : "");
    m->pub.initializer_bytes += bytes;
    if (is_external(t)) {
        m->pub.n_external_initializers++;
        m->pub.external_bytes += bytes;
    }
    return EI_OK;
}

static ei_code_t fill_value(struct info_impl *m, const Onnx__ValueInfoProto *v,
                            ei_model_value_t *out)
{
    out->name = pool_str(m, v->name);
    if (out->name == NULL)
        return EI_ENOMEM;
    out->shape = NULL;
    out->dim_names = NULL;
    const Onnx__TypeProto *tp = v->type;
    if (tp == NULL || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        tp->tensor_type == NULL)
        return EI_OK;
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    out->is_tensor = true;
    out->dtype = tt->has_elem_type && tt->elem_type > 0 && tt->elem_type < EI__DTYPE_COUNT
                     ? (ei_dtype_t)tt->elem_type
                     : EI_DTYPE_UNDEFINED;
    if (tt->shape == NULL)
        return EI_OK;
    size_t rank = tt->shape->n_dim;
    int64_t *shape = pool_calloc(m, rank, sizeof(int64_t));
    const char **names = pool_calloc(m, rank, sizeof(char *));
    if (shape == NULL || names == NULL)
        return EI_ENOMEM;
    for (size_t d = 0; d < rank; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        shape[d] = -1;
        names[d] = "";
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
            dim->dim_value >= 0)
            shape[d] = dim->dim_value;
        else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
            names[d] = pool_str(m, dim->dim_param);
        if (names[d] == NULL)
            return EI_ENOMEM;
    }
    out->rank_known = true;
    out->rank = rank;
    out->shape = shape;
    out->dim_names = names;
    return EI_OK;
}

static bool is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++) {
        if (g->initializer[i]->name != NULL && strcmp(g->initializer[i]->name, name) == 0)
            return true;
    }
    for (size_t i = 0; i < g->n_sparse_initializer; i++) {
        const Onnx__TensorProto *v = g->sparse_initializer[i]->values;
        if (v != NULL && v->name != NULL && strcmp(v->name, name) == 0)
            return true;
    }
    return false;
}

/* Everything but the operator table, from an unpacked model. */
static ei_code_t summarise(struct info_impl *m, const Onnx__ModelProto *mp, const char *what,
                           ei_error_t *err)
{
    ei_model_info_t *p = &m->pub;
    const Onnx__GraphProto *g = mp->graph;
    ei_code_t rc = EI_OK;
    p->ir_version = mp->ir_version;
    p->model_version = mp->has_model_version ? mp->model_version : 0;
    p->producer_name = pool_str(m, mp->producer_name);
    p->producer_version = pool_str(m, mp->producer_version);
    p->domain = pool_str(m, mp->domain);
    p->doc_string = pool_str(m, mp->doc_string);
    p->graph_name = pool_str(m, g->name);
    p->graph_doc_string = pool_str(m, g->doc_string);
    p->n_functions = mp->n_functions;
    ei_opset_t *ops = pool_calloc(m, mp->n_opset_import, sizeof(*ops));
    const char **keys = pool_calloc(m, mp->n_metadata_props, sizeof(char *));
    const char **values = pool_calloc(m, mp->n_metadata_props, sizeof(char *));
    ei_model_value_t *ins = pool_calloc(m, g->n_input, sizeof(*ins));
    ei_model_value_t *outs = pool_calloc(m, g->n_output, sizeof(*outs));
    if (!p->producer_name || !p->producer_version || !p->domain || !p->doc_string ||
        !p->graph_name || !p->graph_doc_string || !ops || !keys || !values || !ins || !outs)
        goto oom;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        ops[i].domain = pool_str(m, mp->opset_import[i]->domain);
        ops[i].version = mp->opset_import[i]->version;
        if (ops[i].domain == NULL)
            goto oom;
    }
    p->opsets = ops;
    p->n_opsets = mp->n_opset_import;
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        keys[i] = pool_str(m, mp->metadata_props[i]->key);
        values[i] = pool_str(m, mp->metadata_props[i]->value);
        if (keys[i] == NULL || values[i] == NULL)
            goto oom;
    }
    p->metadata_keys = keys;
    p->metadata_values = values;
    p->n_metadata = mp->n_metadata_props;
    for (size_t i = 0; i < g->n_input; i++) {
        const char *name = g->input[i]->name != NULL ? g->input[i]->name : "";
        if (is_initializer(g, name))
            continue;
        if (fill_value(m, g->input[i], &ins[p->n_inputs]) != EI_OK)
            goto oom;
        p->n_inputs++;
    }
    p->inputs = ins;
    for (size_t i = 0; i < g->n_output; i++) {
        if (fill_value(m, g->output[i], &outs[i]) != EI_OK)
            goto oom;
    }
    p->outputs = outs;
    p->n_outputs = g->n_output;
    p->n_initializers = g->n_initializer + g->n_sparse_initializer;
    for (size_t i = 0; rc == EI_OK && i < g->n_initializer; i++)
        rc = add_tensor(m, g->initializer[i], what, err);
    for (size_t i = 0; rc == EI_OK && i < g->n_sparse_initializer; i++) {
        rc = add_tensor(m, g->sparse_initializer[i]->values, what, err);
        if (rc == EI_OK)
            rc = add_tensor(m, g->sparse_initializer[i]->indices, what, err);
    }
    return rc;
oom:
    return ei__fail(err, EI_ENOMEM, "%s: out of memory", what);
}

ei_code_t ei_model_inspect_memory(const void *data, size_t size, const char *what,
                                  ei_model_info_t **out, ei_error_t *err)
{
    bool oom = false;
    ProtobufCAllocator alloc = {pb_alloc, pb_free, &oom};
    Onnx__ModelProto *mp = NULL;
    struct info_impl *m = NULL;
    ei_code_t rc = EI_OK;
    if (what == NULL)
        what = "model";
    *out = NULL;
    if (data == NULL || size == 0) {
        rc = ei__fail(err, EI_EMODEL, "%s: empty file, not an ONNX model", what);
        goto out;
    }
    mp = onnx__model_proto__unpack(&alloc, size, data);
    if (mp == NULL && oom) {
        rc = ei__fail(err, EI_ENOMEM, "%s: out of memory parsing the model", what);
        goto out;
    }
    if (mp == NULL) {
        rc = ei__fail(err, EI_EMODEL,
                      "%s: not an ONNX model (the protobuf does not parse: truncated or another "
                      "format)",
                      what);
        goto out;
    }
    /* Bytes can parse as protobuf by chance; a real ModelProto has an IR version and a graph. */
    if (!mp->has_ir_version || mp->ir_version <= 0 || mp->graph == NULL) {
        rc = ei__fail(err, EI_EMODEL, "%s: not an ONNX model (no %s)", what,
                      mp->graph == NULL ? "graph" : "ir_version");
        goto out;
    }
    m = ei__calloc(1, sizeof(*m));
    if (m == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "%s: out of memory", what);
        goto out;
    }
    m->pub.file_size = size;
    rc = summarise(m, mp, what, err);
    if (rc == EI_OK)
        rc = walk_graph(m, mp->graph, 0, what, err);
    if (rc != EI_OK)
        goto out;
    if (m->n_ops > 0)
        qsort(m->ops, m->n_ops, sizeof(*m->ops), op_cmp);
    m->pub.op_counts = m->ops;
    m->pub.n_op_types = m->n_ops;
    /* The op table now belongs to the pool. */
    if (m->ops != NULL && pool_add(m, m->ops) == NULL) {
        m->ops = NULL;
        rc = ei__fail(err, EI_ENOMEM, "%s: out of memory", what);
        goto out;
    }
    m->ops = NULL;
    *out = &m->pub;
    m = NULL;
out:
    if (m != NULL) {
        ei__free(m->ops);
        ei_model_info_destroy(&m->pub);
    }
    if (mp != NULL)
        onnx__model_proto__free_unpacked(mp, &alloc);
    return rc;
}

ei_code_t ei_model_inspect(const char *path, ei_model_info_t **out, ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    void *map = MAP_FAILED;
    size_t size = 0;
    struct stat st;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = ei__fail(err, EI_EIO, "%s: not a regular file", path);
        goto out;
    }
    size = (size_t)st.st_size;
    if (size == 0) {
        rc = ei__fail(err, EI_EMODEL, "%s: empty file, not an ONNX model", path);
        goto out;
    }
    map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        rc = ei__fail(err, EI_EIO, "%s: mmap: %s", path, strerror(errno));
        goto out;
    }
    rc = ei_model_inspect_memory(map, size, path, out, err);
out:
    if (map != MAP_FAILED)
        munmap(map, size);
    if (fd >= 0)
        close(fd);
    return rc;
}
